"""The whole path, for real: HTTP server -> monitor poll -> SQLite -> monitor hits."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import FEEDS, FIXTURE_FEEDS, FeedServer

EXPECTED = json.loads((FEEDS / "expected.json").read_text(encoding="utf-8"))


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def hits_json(config: Path) -> list[dict[str, object]]:
    return json.loads(invoke(config, "hits", "--json", "--limit", "100"))


def test_poll_stores_the_seed_story_from_every_feed(fixture_config: Path) -> None:
    out = invoke(fixture_config, "poll")
    assert "polled 5 feeds" in out and "5 ok, 0 not modified, 0 failed" in out
    assert "35 new entries" in out
    hits = hits_json(fixture_config)
    db = sqlite3.connect(fixture_config.parent / "monitor.db")
    guid_of = dict(db.execute("SELECT url, guid FROM entries"))
    found: dict[str, set[str]] = {}
    for hit in hits:
        assert set(hit) >= {"id", "watch", "feed", "title", "url", "published", "matched"}
        file = FIXTURE_FEEDS[str(hit["feed"])][0]
        found.setdefault(file, set()).add(guid_of[hit["url"]])
    expected = {k: set(v) for k, v in EXPECTED.items() if k != "tagesschau_changed.xml"}
    assert found == expected
    seed = next(h for h in hits if "3,000 more troops" in str(h["title"]))
    assert seed["watch"] == "nk-troops-russia"
    assert str(seed["published"]).endswith("+00:00")
    assert {"n korea*", "russia*", "troop*"} <= set(seed["matched"])  # type: ignore[arg-type]


def test_second_poll_gets_304s_and_adds_nothing(
    fixture_config: Path, feed_server: FeedServer
) -> None:
    invoke(fixture_config, "poll")
    before = hits_json(fixture_config)
    out = invoke(fixture_config, "poll")
    assert "0 ok, 5 not modified, 0 failed; 0 new entries, 0 new hits" in out
    conditional = [h for path, h in feed_server.requests[-5:] if "If-None-Match" in h]
    assert len(conditional) == 5
    assert hits_json(fixture_config) == before


def test_changed_feed_adds_only_its_new_entries(
    fixture_config: Path, feed_server: FeedServer
) -> None:
    invoke(fixture_config, "poll")
    before = {h["id"] for h in hits_json(fixture_config)}
    feed_server.files["tagesschau.xml"] = (FEEDS / "tagesschau_changed.xml").read_bytes()
    out = invoke(fixture_config, "poll")
    assert "1 ok, 4 not modified, 0 failed; 2 new entries, 1 new hits" in out
    after = hits_json(fixture_config)
    new = [h for h in after if h["id"] not in before]
    assert [h["title"] for h in new] == ["Selenskyj: Weitere nordkoreanische Truppen an der Front"]
    db = sqlite3.connect(fixture_config.parent / "monitor.db")
    edited = db.execute(
        "SELECT count(*), max(title) FROM entries WHERE guid = ?",
        ["3e9b1c74-5f0a-4d2e-9b8c-71a6d40f2e15"],
    ).fetchone()
    # The edited title replaced the old one; the entry was not duplicated.
    assert edited[0] == 1 and "Tausende" in edited[1]


def test_hits_filters_and_formats(fixture_config: Path) -> None:
    invoke(fixture_config, "poll")
    table = invoke(fixture_config, "hits")
    assert "3,000 more troops" in table and "matched" in table.splitlines()[0]
    csv_out = invoke(fixture_config, "hits", "--csv")
    assert csv_out.splitlines()[0].startswith("id,watch,feed,title,url,published")
    assert len(json.loads(invoke(fixture_config, "hits", "--json", "--limit", "2"))) == 2
    assert len(json.loads(invoke(fixture_config, "hits", "--json", "--watch", "nk-troops-russia")))
    unknown = CliRunner().invoke(cli, ["--config", str(fixture_config), "hits", "--watch", "x"])
    assert unknown.exit_code == 1 and "no watch named 'x'" in unknown.output, unknown.output
    assert len(json.loads(invoke(fixture_config, "hits", "--json", "--since", "1h"))) == 9


def test_show_highlights_the_matched_words(fixture_config: Path) -> None:
    invoke(fixture_config, "poll")
    hit = next(h for h in hits_json(fixture_config) if h["feed"] == "yonhap-ko")
    out = invoke(fixture_config, "show", str(hit["id"]))
    assert "[쿠르스크]" in out and "[북한군]" in out and "[생포돼]" in out
    assert "north-korea:" in out and "personnel:" in out and "war:" in out
    seed = next(h for h in hits_json(fixture_config) if "weitere Soldaten" in str(h["title"]))
    full = invoke(fixture_config, "show", str(seed["id"]))
    assert "zweite größere [Truppenentsendung]" in full  # the full text, from content:encoded
    result = CliRunner().invoke(cli, ["--config", str(fixture_config), "show", "99999"])
    assert result.exit_code == 1 and "no hit with id 99999" in result.output


def test_feeds_reports_health(fixture_config: Path) -> None:
    invoke(fixture_config, "poll")
    feeds = json.loads(invoke(fixture_config, "feeds", "--json"))
    assert {f["name"] for f in feeds} == set(FIXTURE_FEEDS)
    assert all(f["failures"] == 0 and f["last_success_at"] for f in feeds)
    assert sum(f["entries"] for f in feeds) == 35
    assert sum(f["hits"] for f in feeds) == 9


def test_a_hit_explains_where_its_concepts_met(fixture_config: Path) -> None:
    """The shipped rule's about() says where North Korea and its soldiers met."""
    invoke(fixture_config, "poll")
    hits = hits_json(fixture_config)
    met = [h["explanation"]["met"] for h in hits if h["explanation"]["met"]]
    assert met and all(" met in " in m for m in met), met
    shown = invoke(
        fixture_config, "show", str(next(h["id"] for h in hits if h["explanation"]["met"]))
    )
    assert "about:      north-korea, " in shown and " met in " in shown
