"""Near misses on the command line (``monitor misses``, ``monitor flag``) and on the review
page (``/misses``), over a real SQLite file filled as a poll fills it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.config import load
from monitor.match import Matcher
from monitor.records import FetchResult
from monitor.store import Store
from monitor.worker import process_body
from tests.conftest import write_config
from tests.live_server import LiveServer

NOW = datetime.now(UTC).replace(microsecond=0)  # the CLI's --since counts back from now
WATCH = "nk-troops"
# A watch of its own, so that what is a near miss here does not move with the shipped one.
WATCH_FILE = """
description = "North Korean troops in Russia's war"
rule = "north_korea and personnel and war and about(north_korea, personnel)"

[[groups]]
name = "north-korea"
terms = ["north korea*", "pyongyang*", "kim jong un*"]

[[groups]]
name = "personnel"
terms = ["troop*", "soldier*"]

[[groups]]
name = "war"
terms = ["russia*", "putin*", "moscow*", "kursk*", "pokrovsk*"]

[stories]
window = "3d"
"""

# (key, title, summary): a near miss lacking personnel, one whose concepts never meet, a
# hit and an entry with nothing of the watch.
SUMMIT = ("summit", "Kim Jong Un meets Putin in Moscow", "Talks on trade.")
APART = (
    "apart",
    "World news in brief",
    "Russian troops advanced near Pokrovsk on Monday. Elsewhere, Pyongyang tested a"
    " cruise missile, state media said. Soldiers were also seen at the border.",
)
TROOPS = ("troops", "North Korean troops fight in Kursk", "")
SPORT = ("sport", "Bundesliga: Bayern win again", "")
HOSTILE = ("hostile", "Kim Jong Un meets Putin <script>alert(1)</script>", "Talks on oil.")


def feed_body(entries: list[tuple[str, str, str]], link: str = "https://news.example/") -> bytes:
    items = "".join(
        f"<item><guid>{key}</guid><title>{escape(title)}</title><link>{link}{key}</link>"
        f"<description>{escape(summary)}</description>"
        "<pubDate>Mon, 28 Apr 2025 09:00:00 +0000</pubDate></item>"
        for key, title, summary in entries
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}'
        "</channel></rss>"
    ).encode()


def configured(folder: Path, watch: str = WATCH) -> Path:
    """A config in ``folder`` with one feed (never fetched) and the one watch, as ``watch``."""
    watches = folder / "watches"
    watches.mkdir()
    (watches / f"{watch}.toml").write_text(WATCH_FILE, encoding="utf-8")
    return write_config(folder, {"news": "http://127.0.0.1:9/feed.xml"}, watches=watches)


def poll(config: Path, entries: list[tuple[str, str, str]], now: datetime, **kw: str) -> None:
    """What one poll of the config's feed stores, at ``now``: entries, hits, near misses."""
    settings = load(config)
    store = Store(settings.database)
    try:
        store.sync_feeds(list(settings.feeds))
        parsed = process_body(feed_body(entries, **kw), {}, "en", Matcher(settings.watches))
        store.record_poll(
            settings.feeds[0], FetchResult("ok"), parsed, error=None, next_attempt_at=now, now=now
        )
    finally:
        store.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A summit kept ten days ago; an hour ago a brief whose concepts never meet, a hit
    and a football result."""
    path = configured(tmp_path)
    poll(path, [SUMMIT], NOW - timedelta(days=10))
    poll(path, [APART, TROOPS, SPORT], NOW - timedelta(hours=1))
    return path


def run(config: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == code, result.output
    return result.output


def listed(config: Path, *args: str) -> list[dict[str, object]]:
    return list(json.loads(run(config, "misses", "--json", *args)))


# --- the command line -------------------------------------------------------------------


def test_misses_lists_the_near_misses_newest_first_with_what_they_lacked(config: Path) -> None:
    table = run(config, "misses").splitlines()
    assert table[0].split() == ["id", "published", "outlet", "title", "lacking", "found"]
    rows = [line for line in table[2:] if line.strip()]
    assert len(rows) == 2
    assert APART[1] in rows[0] and "do not meet" in rows[0]
    assert SUMMIT[1] in rows[1] and "no term of personnel" in rows[1] and "putin*" in rows[1]
    assert TROOPS[1] not in "\n".join(table)  # a hit is no near miss


def test_misses_as_json_with_filters(config: Path) -> None:
    apart, summit = listed(config)
    assert (apart["title"], summit["title"]) == (APART[1], SUMMIT[1])
    assert summit["why"] == "no term of personnel" and summit["missing"] == ["personnel"]
    assert "putin*" in summit["matched"]  # type: ignore[operator]
    assert summit["url"] == "https://news.example/summit" and summit["watch"] == WATCH
    assert summit["flagged_at"] is None and summit["hit_id"] is None
    assert "**Putin**" in str(summit["snippet"])
    assert [m["title"] for m in listed(config, "--since", "7d")] == [APART[1]]
    assert [m["title"] for m in listed(config, "--limit", "1")] == [APART[1]]
    assert len(listed(config, "--watch", WATCH, "--since", "99999999d")) == 2  # before year 1
    assert listed(config, "--flagged") == []


def test_misses_names_an_unknown_watch(config: Path) -> None:
    out = run(config, "misses", "--watch", "nope", code=1)
    assert out == f"Error: no watch named 'nope'; the watches are: {WATCH}\n"


def test_the_near_misses_of_a_watch_removed_from_the_config_stay_listable(config: Path) -> None:
    watches = config.parent / "watches"
    (watches / f"{WATCH}.toml").rename(watches / "kursk.toml")
    assert len(listed(config, "--watch", WATCH)) == 2
    assert "the watches are: kursk" in run(config, "misses", "--watch", "nope", code=1)


def test_an_empty_list_says_what_it_would_hold(tmp_path: Path) -> None:
    empty = configured(tmp_path)
    assert run(empty, "misses").startswith("No near misses waiting: entries a watch almost")
    assert "`monitor flag ID`" in run(empty, "misses", "--flagged")
    assert run(empty, "misses", "--json") == "[]\n"


def test_flag_makes_a_near_miss_a_relevant_hit_with_its_alert(config: Path) -> None:
    summit = next(m for m in listed(config) if m["title"] == SUMMIT[1])
    out = run(config, "flag", str(summit["id"]), "--note", "the summit was about troops")
    found = re.fullmatch(
        rf"near miss {summit['id']} is now hit (\d+) \(relevant\); its alert is queued;"
        r" `monitor show (\d+)` shows it\n",
        out,
    )
    assert found and found.group(1) == found.group(2), out
    hit_id = int(found.group(1))
    shown = run(config, "show", str(hit_id))
    assert "[Kim Jong Un] meets [Putin] in [Moscow]" in shown
    assert "origin:     a near miss the reader flagged" in shown
    (hit,) = (h for h in json.loads(run(config, "hits", "--json")) if h["id"] == hit_id)
    assert (hit["status"], hit["note"], hit["origin"]) == (
        "relevant",
        "the summit was about troops",
        "flagged",
    )
    assert hit["story"] is not None  # placed in its story like any new hit
    alerts = json.loads(run(config, "outbox", "--json"))
    assert [a["state"] for a in alerts if a["hit_id"] == hit_id] == ["pending"]
    assert [m["title"] for m in listed(config)] == [APART[1]]
    assert [m["hit_id"] for m in listed(config, "--flagged")] == [hit_id]
    assert str(hit_id) in run(config, "misses", "--flagged").splitlines()[2]
    again = run(config, "flag", str(summit["id"]), "--note", "twice")
    assert again.startswith(f"near miss {summit['id']} was already flagged: it is hit {hit_id};")
    assert f"monitor mark {hit_id} relevant --note" in again  # the second note is not kept
    assert (
        len([a for a in json.loads(run(config, "outbox", "--json")) if a["hit_id"] == hit_id]) == 1
    )


def test_flag_of_an_unknown_near_miss_points_to_the_list(config: Path) -> None:
    out = run(config, "flag", "999", code=1)
    assert out == "Error: no near miss with id 999; `monitor misses` lists them\n"
    usage = run(config, "flag", "abc", code=2)
    assert "'abc' is not an id" in usage and "`monitor misses` lists them" in usage
    assert "is not a duration" in run(config, "misses", "--since", "9999999999d", code=2)


# --- the review page --------------------------------------------------------------------


@pytest.fixture
def client(config: Path) -> Iterator[httpx.Client]:
    poll(config, [HOSTILE], NOW - timedelta(minutes=5), link="javascript:alert(")
    with LiveServer(config) as live, httpx.Client(base_url=live.url) as client:
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def miss_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="miss-(\d+)"', page)]


def miss_id(client: httpx.Client, title: str) -> int:
    page = client.get("/misses").text
    found = re.search(r'<li id="miss-(\d+)">\s*<[^>]+>' + re.escape(title), page)
    assert found, title
    return int(found.group(1))


def test_the_page_lists_near_misses_with_why_and_the_words_found(client: httpx.Client) -> None:
    page = client.get("/misses")
    assert page.status_code == 200
    assert "3 near misses" in page.text and len(miss_ids(page.text)) == 3
    assert '<a href="/misses" class="here">Near misses</a>' in page.text
    assert page.text.index(APART[1]) < page.text.index(SUMMIT[1])  # newest first
    assert 'href="https://news.example/summit"' in page.text  # the title links to the article
    assert "no term of personnel" in page.text and "<span>putin*</span>" in page.text
    assert page.text.count('action="/misses/') == 3 and "Flag as hit" in page.text
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)" in page.text
    assert 'href="javascript' not in page.text
    assert 'href="/misses"' in client.get("/hits").text  # in every page's navigation


def test_the_page_filters_by_watch_and_date(client: httpx.Client) -> None:
    assert "3 near misses" in client.get("/misses", params={"watch": WATCH}).text
    other = client.get("/misses", params={"watch": "kursk"}).text
    assert "0 near misses" in other and "No near misses are waiting for these filters" in other
    assert "almost took" in other  # what a near miss is
    since = (NOW - timedelta(days=3)).date().isoformat()
    recent = client.get("/misses", params={"from": since}).text
    assert "2 near misses" in recent and SUMMIT[1] not in recent
    assert f'value="{since}"' in recent


def test_flagging_goes_to_the_new_hit(client: httpx.Client, config: Path) -> None:
    target = miss_id(client, SUMMIT[1])
    token = csrf(client.get("/misses").text)
    done = client.post(f"/misses/{target}/flag", data={"csrf": token, "note": " from the list "})
    assert done.status_code == 303
    found = re.fullmatch(r"/hits/(\d+)", done.headers["location"])
    assert found
    hit_page = client.get(done.headers["location"])
    assert hit_page.status_code == 200 and SUMMIT[1] in hit_page.text
    assert 'class="badge relevant"' in hit_page.text and "Note: from the list" in hit_page.text
    assert target not in miss_ids(client.get("/misses").text)
    store = Store(load(config).database)
    try:
        hit = store.hit(int(found.group(1)))
        assert hit is not None and hit["origin"] == "flagged" and hit["story"] is not None
        alerts = store.conn.execute("SELECT kind FROM alerts WHERE hit_id = ?", [hit["id"]])
        assert [row[0] for row in alerts] == ["immediate"]  # queued as for any new hit
    finally:
        store.close()
    again = client.post(f"/misses/{target}/flag", data={"csrf": token})
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]


def test_forged_flags_are_refused(client: httpx.Client) -> None:
    target = miss_id(client, SUMMIT[1])
    no_token = client.post(f"/misses/{target}/flag", data={"note": "x"})
    assert no_token.status_code == 403 and "reload" in no_token.text
    wrong = client.post(f"/misses/{target}/flag", data={"csrf": "guess"})
    assert wrong.status_code == 403
    token = csrf(client.get("/misses").text)
    elsewhere = client.post(
        f"/misses/{target}/flag",
        data={"csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert target in miss_ids(client.get("/misses").text)  # nothing changed


@pytest.mark.parametrize("path", ["/misses/99999/flag", "/misses/abc/flag", "/misses/0/flag"])
def test_flagging_an_unknown_near_miss_is_a_404(client: httpx.Client, path: str) -> None:
    token = csrf(client.get("/misses").text)
    page = client.post(path, data={"csrf": token})
    assert page.status_code == 404 and "There is no near miss number" in page.text
    assert "Not found" in page.text and "Traceback" not in page.text
    huge = client.post("/misses/" + "9" * 5000 + "/flag", data={"csrf": token})
    assert huge.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "abc"},
        {"page": "１"},  # a full-width digit: int() would take it
        {"page": "9" * 5000},
        {"from": "yesterday"},
        {"from": "0001-01-01"},
        {"from": "9999-12-31"},
    ],
)
def test_hostile_query_parameters_are_a_400_page(
    client: httpx.Client, params: dict[str, str]
) -> None:
    page = client.get("/misses", params=params)
    assert page.status_code == 400, page.text
    assert "Bad request" in page.text and "Traceback" not in page.text


@pytest.fixture(scope="module")
def module_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    config = configured(tmp_path_factory.mktemp("misses-web"))
    poll(config, [SUMMIT, APART], NOW)
    with LiveServer(config) as live, httpx.Client(base_url=live.url) as client:
        yield client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["page", "from", "watch"]),
        st.one_of(st.text(max_size=40), st.integers().map(str), st.dates().map(str)),
        max_size=3,
    )
)
def test_no_query_parameter_makes_a_500(
    module_client: httpx.Client, params: dict[str, str]
) -> None:
    page = module_client.get("/misses", params=params)
    assert page.status_code in (200, 400), (params, page.text)
    assert "Traceback" not in page.text


@pytest.mark.parametrize("watch", ["\x00", "' OR 1=1 --", "<b>x</b>", "w" * 5000, "북한군"])
def test_any_watch_name_is_a_page(client: httpx.Client, watch: str) -> None:
    page = client.get("/misses", params={"watch": watch})
    assert page.status_code == 200 and "0 near misses" in page.text
    assert "<b>x</b>" not in page.text


def test_a_note_too_long_or_the_wrong_method_is_refused(client: httpx.Client) -> None:
    target = miss_id(client, SUMMIT[1])
    token = csrf(client.get("/misses").text)
    long = client.post(f"/misses/{target}/flag", data={"csrf": token, "note": "n" * 2001})
    assert long.status_code == 400 and "at most 2000 characters" in long.text
    assert client.get(f"/misses/{target}/flag").status_code == 405
    assert target in miss_ids(client.get("/misses").text)


def test_the_page_pages_fifty_at_a_time(tmp_path: Path) -> None:
    config = configured(tmp_path)
    entries = [(f"s{n}", f"Kim Jong Un meets Putin, round {n}", f"Talks {n}.") for n in range(55)]
    poll(config, entries, NOW)
    with LiveServer(config) as live, httpx.Client(base_url=live.url) as client:
        first = client.get("/misses").text
        assert "55 near misses, 1–50 shown" in first
        assert "older →" in first and "← newer" not in first
        second = client.get("/misses", params={"page": 2}).text
        assert len(miss_ids(first)) == 50 and len(miss_ids(second)) == 5
        assert not set(miss_ids(first)) & set(miss_ids(second)) and "← newer" in second
