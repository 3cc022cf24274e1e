"""monitor rescan: re-apply changed watches to stored entries without losing anything."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import FIXTURE_FEEDS, WATCHES, FeedServer, write_config


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == 0, result.output
    return result.output


def hits(config: Path) -> list[dict[str, object]]:
    return json.loads(run(config, "hits", "--json", "--limit", "500"))


def test_rescan_adds_marks_and_restores_without_duplicates(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    watches = tmp_path / "watches"
    shutil.copytree(WATCHES, watches)
    feeds = {n: feed_server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
    config = write_config(tmp_path, feeds, watches=watches)
    run(config, "poll")
    before = hits(config)
    assert len(before) == 9

    # Narrow the watch: only stories that name Kursk.
    shipped = (watches / "nk-troops-russia.toml").read_text(encoding="utf-8")
    # Whatever the shipped rule says, and Kursk: rule = """ ... and only_kursk """
    narrowed = re.sub(
        r'(rule = """.*?)\n"""', r'\1 and only_kursk\n"""', shipped, count=1, flags=re.S
    )
    assert narrowed != shipped
    narrowed += (
        '\n[[groups]]\nname = "only-kursk"\nrequired = false\nterms = ["kursk*", "쿠르스크*"]\n'
    )
    (watches / "nk-troops-russia.toml").write_text(narrowed, encoding="utf-8")
    out = run(config, "rescan")
    after = hits(config)
    unmatched = [h for h in after if not h["still_matches"]]
    assert len(after) == 9  # kept, never deleted
    assert 0 < len(unmatched) < 9
    assert f"rescanned 35 entries with 1 watch(es): 0 new hits, {len(unmatched)} no longer" in out

    # A second watch that also follows Kursk: new hits, for entries already stored.
    (watches / "kursk.toml").write_text(
        '[[groups]]\nname = "kursk"\nterms = ["kursk*", "쿠르스크*"]\n', encoding="utf-8"
    )
    out = run(config, "rescan", "--watch", "kursk")
    kursk = [h for h in hits(config) if h["watch"] == "kursk"]
    assert kursk and f"{len(kursk)} new hits" in out
    assert run(config, "rescan", "--watch", "kursk").startswith(
        "rescanned 35 entries with 1 watch(es): 0 new hits"
    )

    # Restore the shipped watch: the marked hits match again, with the same ids.
    (watches / "nk-troops-russia.toml").write_text(shipped, encoding="utf-8")
    out = run(config, "rescan", "--since", "1d", "--watch", "nk-troops-russia")
    assert f"{len(unmatched)} matching again" in out
    restored = [h for h in hits(config) if h["watch"] == "nk-troops-russia"]
    assert sorted(h["id"] for h in restored) == sorted(h["id"] for h in before)
    assert all(h["still_matches"] for h in restored)


def test_json_output_explains_each_hit(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = {"tagesschau": feed_server.url("/feeds/tagesschau.xml")}
    config = write_config(tmp_path, feeds)
    run(config, "poll")
    hit = next(h for h in hits(config) if "weitere Soldaten" in str(h["title"]))
    explanation = hit["explanation"]
    assert isinstance(explanation, dict)
    groups = explanation["groups"]
    assert set(groups) >= {"north-korea", "personnel", "war"}
    assert {"term": "nordkorea*", "field": "title"} in groups["north-korea"]
    assert explanation["score"] == hit["score"]
    assert "**" in str(hit["snippet"])
