"""The review page in daily use: counts in the navigation, marking in place and in bulk,
empty lists that say why, snippets, a page per feed, exports, the JSON API, and URLs
that work behind a TLS reverse proxy. Over HTTP to a real uvicorn server on 127.0.0.1,
on a database filled by a real poll of the fixture feeds; the query plans over a
generated database.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor import export, review
from monitor.cli import cli
from monitor.store import Store, iso
from monitor.stories import review as story_review
from monitor.web_hits import match_spans, snippet_html
from tests.conftest import FIXTURE_FEEDS, FeedServer, write_config
from tests.live_server import LiveServer

PROXY = "monitor.example.org"
ALLOWED = f'[web]\nallowed_hosts = ["{PROXY}"]\n'
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config whose database holds two polls of the fixture feeds (the second one
    finds nothing new: two rows in each feed's fetch history)."""
    folder = tmp_path_factory.mktemp("daily")
    with FeedServer() as server:
        feeds = {n: server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
        feeds["gone"] = server.url("/feeds/missing.xml")  # a 404: a feed with errors
        config = write_config(folder, feeds, extra=ALLOWED)
        for _ in range(2):
            result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
            assert result.exit_code == 0, result.output  # one feed of six failed
    return config


@contextmanager
def serving(config: Path) -> Iterator[httpx.Client]:
    with LiveServer(config) as live, httpx.Client(base_url=live.url) as client:
        yield client


@pytest.fixture(scope="module")
def client(polled: Path) -> Iterator[httpx.Client]:
    """A server over the polled database, for tests that only read."""
    with serving(polled) as client:
        yield client


@pytest.fixture
def fresh(polled: Path, tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    """A server over a copy of the polled database, for tests that mark: (client, the
    copy's database file)."""
    folder = tmp_path / "copy"
    shutil.copytree(polled.parent, folder)
    with serving(folder / polled.name) as client:
        yield client, folder / "monitor.db"


def token_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def statuses(database: Path) -> dict[int, str]:
    with closing(sqlite3.connect(database)) as db:
        return dict(db.execute("SELECT id, status FROM hits").fetchall())


def hit_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="hit-(\d+)"', page)]


def nav_count(page: str, kind: str) -> int:
    found = re.search(rf'data-new="{kind}"[^>]*>(\d+) new<', page)
    assert found, kind
    return int(found.group(1))


# --- the navigation's counts, marking in place -------------------------------------------


def test_the_navigation_counts_new_hits_and_stories(
    fresh: tuple[httpx.Client, Path],
) -> None:
    client, database = fresh
    with closing(sqlite3.connect(database)) as db:
        new_hits = db.execute("SELECT count(*) FROM hits WHERE status = 'new'").fetchone()[0]
        new_stories = db.execute("SELECT count(*) FROM stories WHERE status = 'new'").fetchone()
    assert new_hits > 1 and new_stories[0] > 0
    for path in ("/", "/hits", "/feeds", "/timeline", "/nowhere"):
        page = client.get(path).text
        assert nav_count(page, "hits") == new_hits, path
        assert nav_count(page, "stories") == new_stories[0], path
    page = client.get("/hits").text
    first = hit_ids(page)[0]
    done = client.post(
        f"/hits/{first}/mark", data={"status": "seen", "csrf": token_of(page)}, headers=JSON
    )
    assert done.status_code == 200
    assert done.json()["new"] == {"hits": new_hits - 1, "stories": new_stories[0]}
    assert nav_count(client.get("/misses").text, "hits") == new_hits - 1


def test_a_mark_from_the_script_answers_json_and_one_from_a_form_redirects_back(
    fresh: tuple[httpx.Client, Path],
) -> None:
    client, database = fresh
    page = client.get("/hits", params={"lang": "de"}).text
    target, token = hit_ids(page)[0], token_of(page)
    in_place = client.post(
        f"/hits/{target}/mark", data={"status": "relevant", "csrf": token}, headers=JSON
    )
    assert in_place.status_code == 200 and in_place.headers["content-type"] == "application/json"
    assert in_place.json()["id"] == target and in_place.json()["status"] == "relevant"
    assert statuses(database)[target] == "relevant"
    note = client.post(f"/hits/{target}/note", data={"note": " why ", "csrf": token}, headers=JSON)
    assert note.json()["note"] == "why"
    # Without the script: back to the very list, scrolled to the hit.
    plain = client.post(
        f"/hits/{target}/mark",
        data={"status": "irrelevant", "csrf": token, "next": "/hits?lang=de&page=1"},
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/hits?lang=de&page=1#hit-{target}"
    assert statuses(database)[target] == "irrelevant"


def test_a_mark_goes_back_to_new(fresh: tuple[httpx.Client, Path]) -> None:
    client, database = fresh
    page = client.get("/hits").text
    target, token = hit_ids(page)[0], token_of(page)
    client.post(f"/hits/{target}/mark", data={"status": "relevant", "csrf": token})
    back = client.post(f"/hits/{target}/mark", data={"status": "new", "csrf": token})
    assert back.status_code == 303
    with closing(sqlite3.connect(database)) as db:
        status, marked = db.execute(
            "SELECT status, marked_at FROM hits WHERE id = ?", [target]
        ).fetchone()
    assert (status, marked) == ("new", None)  # untriaged again
    row = re.search(rf'<li id="hit-{target}".*?</li>', client.get("/hits").text, re.S)
    assert row and 'value="new" class="undo"' in row.group(0) and "hidden>" in row.group(0)


# --- bulk ----------------------------------------------------------------------------------


def test_marking_a_page_seen_keeps_the_marks_the_reader_gave(
    fresh: tuple[httpx.Client, Path],
) -> None:
    client, database = fresh
    page = client.get("/hits").text
    token, listed = token_of(page), hit_ids(page)
    kept = listed[0]
    client.post(f"/hits/{kept}/mark", data={"status": "relevant", "csrf": token})
    form = re.search(r'<form method="post" action="/hits/mark" data-bulk>(.*?)</form>', page, re.S)
    assert form
    ids = [int(i) for i in re.findall(r'name="id" value="(\d+)"', form.group(1))]
    assert ids == listed  # the form lists every hit of the page
    done = client.post(
        "/hits/mark",
        data={"csrf": token, "scope": "page", "id": [str(i) for i in ids], "mark": "seen"},
        headers=JSON,
    )
    assert done.status_code == 200 and done.json()["marked"] == len(ids) - 1
    after = statuses(database)
    assert after[kept] == "relevant"
    assert all(after[i] == "seen" for i in ids if i != kept)
    assert done.json()["new"]["hits"] == sum(s == "new" for s in after.values())


def test_marking_what_the_filters_match_seen(fresh: tuple[httpx.Client, Path]) -> None:
    client, database = fresh
    token = token_of(client.get("/hits").text)
    korean = set(hit_ids(client.get("/hits", params={"lang": "ko"}).text))
    assert korean
    before = statuses(database)
    done = client.post(
        "/hits/mark",
        data={"csrf": token, "scope": "filter", "lang": "ko", "mark": "seen", "next": "/hits"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/hits"
    after = statuses(database)
    assert {i for i, s in after.items() if s != before[i]} == korean
    assert all(after[i] == "seen" for i in korean)
    assert "0 hits" in client.get("/hits", params={"lang": "ko", "status": "new"}).text


def test_marking_stories_seen_in_bulk(fresh: tuple[httpx.Client, Path]) -> None:
    client, database = fresh
    page = client.get("/").text
    token = token_of(page)
    story_ids = [int(i) for i in re.findall(r'<li id="story-(\d+)"', page)]
    assert len(story_ids) >= 2
    first, rest = story_ids[0], story_ids[1:]
    client.post(f"/stories/{first}/mark", data={"status": "relevant", "csrf": token})
    done = client.post(
        "/stories/mark",
        data={"csrf": token, "scope": "page", "id": [str(i) for i in story_ids], "mark": "seen"},
        headers=JSON,
    )
    assert done.json()["marked"] == len(rest)
    with closing(sqlite3.connect(database)) as db:
        marks = dict(db.execute("SELECT id, status FROM stories").fetchall())
        hits = db.execute("SELECT story_id, status FROM hits WHERE story_id IS NOT NULL").fetchall()
    assert marks[first] == "relevant" and all(marks[i] == "seen" for i in rest)
    assert {s for story, s in hits if story == first} == {"relevant"}
    assert {s for story, s in hits if story in rest} == {"seen"}
    assert done.json()["new"]["stories"] == 0  # the front page holds every story here
    # By the filters: a watch's stories; none is new any more, so none changes.
    again = client.post(
        "/stories/mark",
        data={"csrf": token, "scope": "filter", "watch": "nk-troops-russia", "mark": "seen"},
        headers=JSON,
    )
    assert again.json()["marked"] == 0


@pytest.mark.parametrize(
    ("path", "data", "code", "phrase"),
    [
        ("/hits/mark", {"scope": "page", "id": "1", "mark": "seen", "csrf": "old"}, 403, "reload"),
        ("/hits/mark", {"scope": "all", "mark": "seen"}, 400, "scope must be page or filter"),
        ("/hits/mark", {"scope": "page", "id": "1", "mark": "relevant"}, 400, "mark=seen"),
        ("/hits/mark", {"scope": "page", "id": "x", "mark": "seen"}, 400, "id must be"),
        (
            "/hits/mark",
            {"scope": "page", "id": [str(i) for i in range(1, 502)], "mark": "seen"},
            400,
            "at most 500",
        ),
        ("/hits/mark", {"scope": "filter", "status": "gone", "mark": "seen"}, 400, "status"),
        ("/hits/mark", {"scope": "filter", "from": "0001-01-01", "mark": "seen"}, 400, "from"),
        ("/stories/mark", {"scope": "page", "id": "1", "mark": "seen", "csrf": ""}, 403, "reload"),
        ("/stories/mark", {"scope": "filter", "status": "x", "mark": "seen"}, 400, "status"),
        ("/hits/1/mark", {"status": "deleted"}, 400, "status must be one of"),
        ("/stories/1/mark", {"status": "deleted"}, 400, "status must be one of"),
    ],
)
def test_bulk_and_marks_refuse_what_they_cannot_do(
    fresh: tuple[httpx.Client, Path], path: str, data: dict[str, object], code: int, phrase: str
) -> None:
    client, database = fresh
    before = statuses(database)
    token = token_of(client.get("/hits").text)
    answer = client.post(path, data={"csrf": token, **data})  # type: ignore[dict-item]
    assert answer.status_code == code and phrase in html.unescape(answer.text), answer.text
    assert statuses(database) == before


def test_a_forged_bulk_mark_from_another_site_is_refused(
    fresh: tuple[httpx.Client, Path],
) -> None:
    client, database = fresh
    before = statuses(database)
    token = token_of(client.get("/hits").text)
    answer = client.post(
        "/hits/mark",
        data={"csrf": token, "scope": "filter", "mark": "seen"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403 and statuses(database) == before


# --- what the lists say --------------------------------------------------------------------


def test_an_empty_list_says_why(client: httpx.Client, tmp_path: Path) -> None:
    nothing = client.get("/hits", params={"status": "irrelevant", "lang": "ko"}).text
    assert "No hits match these filters." in nothing and "No hits yet" not in nothing
    typo = client.get("/hits", params={"watch": "nk-troops"}).text
    assert "There is no watch named &#39;nk-troops&#39;; the watches are nk-troops-russia." in typo
    assert "No feed named &#39;spiegl&#39; has hits" in client.get("/hits?feed=spiegl").text
    assert "There is no watch named" not in client.get("/hits?watch=nk-troops-russia").text
    stories = client.get("/", params={"watch": "nk-troops"}).text
    assert "There is no watch named &#39;nk-troops&#39;" in stories
    assert "No stories match these filters." in stories
    past = client.get("/hits", params={"page": 99}).text
    assert "past the end of the list" in past and "No hits yet" not in past
    with serving(write_config(tmp_path, {})) as empty:
        assert "No hits yet." in empty.get("/hits").text
        assert "No hits match these filters." in empty.get("/hits?lang=de").text
        assert "No stories yet." in empty.get("/").text


def test_a_search_shows_where_it_matched(client: httpx.Client) -> None:
    for word in ("Kursk", "entsendung", "북한군"):
        page = client.get("/hits", params={"q": word}).text
        rows = re.findall(r'<li id="hit-\d+".*?</li>', page, re.S)
        assert rows, word
        for row in rows:
            marked = re.findall(r"<mark>(.*?)</mark>", row)
            assert any(word.casefold() in html.unescape(m).casefold() for m in marked), row


def test_the_snippet_marks_the_watch_terms_without_a_search(client: httpx.Client) -> None:
    page = client.get("/hits").text
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', page, re.S)
    assert len(snippets) >= 5 and sum("<mark>" in s for s in snippets) >= 5
    assert "<script>" not in page.split("<main>")[1].split("</main>")[0]


TEXTS = st.text(alphabet=st.sampled_from("ab <>&\"'북한군 \n.Kk"), max_size=400)
WORDS = st.lists(st.text(alphabet="abk<&북", min_size=1, max_size=3), max_size=3)


@given(text=TEXTS, words=WORDS, width=st.integers(min_value=1, max_value=300))
@example(text="a" * 300 + " k", words=["k"], width=40)
@example(text="북한군" * 100, words=["군"], width=30)  # no space to start a word at
@example(text=">><", words=["<"], width=2)  # a word's start would push the match out
@settings(max_examples=300, deadline=None)
def test_a_snippet_is_the_text_escaped_with_the_matches_marked(
    text: str, words: list[str], width: int
) -> None:
    spans = match_spans(text, (), words)
    shown = str(snippet_html(text, spans, width))
    plain = html.unescape(re.sub(r"</?mark>", "", shown))
    inner = plain.removeprefix("…").removesuffix("…")
    assert inner in text and len(inner) <= width  # a window of the text, no wider
    assert "<" not in re.sub(r"</?mark>", "", shown)  # the text's own markup is escaped
    for marked in map(html.unescape, re.findall(r"<mark>(.*?)</mark>", shown)):
        # a match, or the part of one inside the window
        assert any(w.casefold() in marked.casefold() for w in words) or any(
            marked.casefold() in w.casefold() for w in words
        )
    if spans and spans[0][1] - spans[0][0] <= width * 3 // 4:
        assert "<mark>" in shown  # the first match is inside the window


# --- a page per feed ------------------------------------------------------------------------


def test_the_feeds_table_links_each_feed_to_its_page(client: httpx.Client) -> None:
    table = client.get("/feeds").text
    for name in FIXTURE_FEEDS:
        assert f'<a href="/feeds/{name}">{name}</a>' in table
    assert '<div class="scroll">' in table


def test_a_feed_page_shows_its_fetches_days_and_hits(client: httpx.Client, polled: Path) -> None:
    page = client.get("/feeds/yonhap-en")
    assert page.status_code == 200
    text = page.text
    fetches = re.search(r'<table class="fetches">(.*?)</table>', text, re.S)
    assert fetches and fetches.group(1).count("<tr") == 3  # a heading and two polls
    times = re.findall(r"<tr class=\"\"><td>([\d\- :]+)</td>", fetches.group(1))
    assert times == sorted(times, reverse=True)  # newest first
    days = re.search(r'<table class="days">(.*?)</table>', text, re.S)
    assert days and days.group(1).count("<tr") == review.FEED_DAYS + 1
    assert "No failed fetch in the log." in text
    hits = re.findall(r'<a class="headline" href="/hits/(\d+)"', text)
    listed = hit_ids(client.get("/hits", params={"feed": "yonhap-en"}).text)
    assert hits and [int(h) for h in hits] == listed
    with closing(sqlite3.connect(polled.parent / "monitor.db")) as db:
        feed_id = db.execute("SELECT id FROM feeds WHERE name = 'yonhap-en'").fetchone()[0]
    by_id = client.get(f"/feeds/{feed_id}")
    assert by_id.status_code == 200 and "<h1>yonhap-en" in by_id.text


def test_a_failing_feed_shows_its_errors(client: httpx.Client) -> None:
    text = client.get("/feeds/gone").text
    errors = re.search(r'<table class="errors">(.*?)</table>', text, re.S)
    assert errors and errors.group(1).count("<tr") == 3 and "404" in errors.group(1)
    assert "No failed fetch" not in text


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/feeds/nowhere", 404),
        ("/feeds/99999999999999999999999", 404),
        ("/feeds/yonhap-en?page=0", 400),
        ("/feeds/yonhap-en?page=99", 200),  # past the end: an empty page
    ],
)
def test_a_feed_page_refuses_what_it_cannot_show(
    client: httpx.Client, path: str, code: int
) -> None:
    answer = client.get(path)
    assert answer.status_code == code and 'class="brand"' in answer.text


def generated(path: Path, now: datetime) -> Store:
    """A database of a year's use: 20 feeds, 20,000 entries, 5,000 hits in 300 stories,
    30,000 fetches."""
    store = Store(path)
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO feeds (name, url, outlet) VALUES (?, ?, ?)",
            [(f"feed{f}", f"https://x{f}.example/", f"o{f}") for f in range(20)],
        )
        db.conn.executemany(
            "INSERT INTO entries (feed_id, outlet, key, url, title, summary, first_seen_at,"
            " published) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (e % 20 + 1, f"o{e % 20}", f"k{e}", f"https://x.example/{e}", f"t {e}", "s", at, at)
                for e in range(20_000)
                for at in [iso(now - timedelta(minutes=25 * e))]
            ],
        )
        db.conn.executemany(
            "INSERT INTO stories (watch, title, first_seen, last_seen, status)"
            " VALUES ('w', 't', ?, ?, ?)",
            [(iso(now), iso(now - timedelta(hours=s)), ("new", "seen")[s % 2]) for s in range(300)],
        )
        db.conn.executemany(
            "INSERT INTO hits (watch, entry_id, created_at, status, story_id)"
            " VALUES ('w', ?, ?, ?, ?)",
            [
                (3 * h + 1, iso(now - timedelta(minutes=h)), review.STATUSES[h % 4], h % 300 + 1)
                for h in range(5000)
            ],
        )
        db.conn.executemany(
            "INSERT INTO fetch_log (feed_id, at, status) VALUES (?, ?, ?)",
            [
                (n % 20 + 1, iso(now - timedelta(minutes=n)), "error" if n % 7 == 0 else "ok")
                for n in range(30_000)
            ],
        )
    return store


LARGE = ("hits", "entries", "fetch_log", "stories", "figures", "near_misses")


@pytest.mark.parametrize("analysed", [False, True])
def test_every_query_of_daily_use_is_served_by_an_index(tmp_path: Path, analysed: bool) -> None:
    """The feed page, the navigation's counts and bulk marking, as SQLite plans them,
    before and after the statistics ``PRAGMA optimize`` gathers: no scan of a table that
    grows with use."""
    now = datetime(2025, 3, 1, tzinfo=UTC)
    with closing(generated(tmp_path / "big.db", now)) as store:
        if analysed:
            store.conn.execute("ANALYZE")
        ran: list[str] = []
        store.conn.set_trace_callback(ran.append)
        feed = review.find_feed(store, "feed3")
        assert feed is not None and review.find_feed(store, "4") is not None
        shown = review.feed_page(store, feed, page=2, now=now, tz=ZoneInfo("Europe/Berlin"))
        review.new_counts(store)
        review.mark_seen(store, now, ids=[1, 2, 3])
        review.mark_seen(store, now, filters=review.HitFilter(feed="feed3"))
        review.mark_seen(store, now, filters=review.HitFilter(watch="w", status="new"))
        story_review.mark_stories_seen(store, now, ids=[1, 2, 3])
        story_review.mark_stories_seen(store, now, watch="w")
        story_review.find_stories(store, status="new", limit=10, offset=10)
        store.conn.set_trace_callback(None)
        assert len(shown["fetches"]) == review.FETCHES_PAGE and shown["more_fetches"]
        assert shown["errors"] and shown["hits"]
        queries = [q for q in ran if q.split()[0].upper() in ("SELECT", "UPDATE")]
        assert len(queries) >= 15
        for sql in queries:
            plan = [row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
            scans = [step for step in plan if step.split()[:2] in (["SCAN", t] for t in LARGE)]
            assert not scans, (sql, plan)


def test_the_migration_adds_the_indexes(tmp_path: Path) -> None:
    with closing(Store(tmp_path / "m.db")) as store:
        names = {row[0] for row in store.conn.execute("SELECT name FROM sqlite_master")}
        applied = {row[0] for row in store.conn.execute("SELECT name FROM _sqlite_migrations")}
    assert "m012_review_indexes" in applied
    assert {
        "idx_hits_status",
        "idx_stories_status_last_seen",
        "idx_entries_feed_id_first_seen_at",
        "idx_fetch_log_feed_id_status_at",
    } <= names


# --- exports and the API --------------------------------------------------------------------


def test_the_page_exports_its_filter(client: httpx.Client, polled: Path) -> None:
    listed = hit_ids(client.get("/hits", params={"lang": "de"}).text)
    page = client.get("/hits", params={"lang": "de"}).text
    assert 'href="/hits?lang=de&amp;format=csv"' in page
    as_csv = client.get("/hits", params={"lang": "de", "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="hits.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == export.FIELDS
    assert [int(r[0]) for r in rows[1:]] == listed
    as_json = client.get("/hits", params={"lang": "de", "format": "json"}).json()
    assert [r["id"] for r in as_json] == listed and all(r["language"] == "de" for r in as_json)
    cli_rows = json.loads(
        CliRunner().invoke(cli, ["--config", str(polled), "export", "--format", "json"]).output
    )
    by_id = {r["id"]: r for r in cli_rows}
    assert all(r == by_id[r["id"]] for r in as_json)  # the same records as the CLI's
    bad = client.get("/hits", params={"format": "xlsx"})
    assert bad.status_code == 400 and "format must be csv or json" in bad.text


def test_the_api_pages_through_hits(client: httpx.Client) -> None:
    every = hit_ids(client.get("/hits").text)
    seen: list[int] = []
    url: str | None = "/api/hits?per_page=3"
    while url:
        answer = client.get(url).json()
        assert answer["per_page"] == 3 and len(answer["hits"]) <= 3
        seen += [h["id"] for h in answer["hits"]]
        url = answer["next"]
    assert seen == every
    first = client.get("/api/hits", params={"lang": "ko"}).json()
    assert first["page"] == 1 and first["next"] is None
    assert all(tuple(h) == export.FIELDS and h["language"] == "ko" for h in first["hits"])
    searched = client.get("/api/hits", params={"q": "Kursk"}).json()["hits"]
    assert [h["id"] for h in searched] == hit_ids(client.get("/hits?q=Kursk").text)


def test_the_api_gives_stories_and_figures(client: httpx.Client) -> None:
    stories = client.get("/api/stories", params={"per_page": 500}).json()["stories"]
    front = [int(i) for i in re.findall(r'<li id="story-(\d+)"', client.get("/").text)]
    assert [s["id"] for s in stories] == front
    keys = {"id", "watch", "title", "first_seen", "last_seen", "languages", "outlets", "status"}
    assert all(keys <= set(s) and isinstance(s["hits"], list) for s in stories)
    new = client.get("/api/stories", params={"status": "new"}).json()["stories"]
    assert {s["status"] for s in new} <= {"new"}
    figures = client.get("/api/figures").json()["figures"]
    assert figures and {"kind", "value", "source", "hit_id", "reported_at"} <= set(figures[0])
    one = client.get("/api/figures", params={"story": figures[0]["story_id"]}).json()
    assert {f["story_id"] for f in one["figures"]} == {figures[0]["story_id"]}
    kind = client.get("/api/figures", params={"kind": figures[0]["kind"]}).json()["figures"]
    assert {f["kind"] for f in kind} == {figures[0]["kind"]}


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("/api/hits?page=0", "page must be"),
        ("/api/hits?per_page=501", "per_page must be"),
        ("/api/hits?per_page=0", "per_page must be"),
        ("/api/hits?status=deleted", "status must be one of"),
        ("/api/hits?from=yesterday", "from must be a date"),
        ("/api/hits?language=ko", "takes no parameter 'language'"),
        ("/api/stories?status=x", "status must be one of"),
        ("/api/stories?kind=x", "takes no parameter"),
        ("/api/figures?story=abc", "story must be"),
        ("/api/figures?from=0001-01-01", "from must be a date from"),
    ],
)
def test_the_api_refuses_in_json(client: httpx.Client, url: str, phrase: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
    assert phrase in answer.json()["error"]
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and "error" in missing.json()


# --- behind a TLS reverse proxy --------------------------------------------------------------

PAGES = [
    "/",
    "/hits",
    "/hits?q=Kursk&lang=en",
    "/figures",
    "/timeline",
    "/feeds",
    "/feeds/yonhap-en",
    "/misses",
    "/nowhere",
    "/hits?page=x",
]


@pytest.mark.parametrize("host", [None, PROXY])
def test_no_page_names_an_absolute_url_of_its_own(client: httpx.Client, host: str | None) -> None:
    """Behind a TLS proxy an http:// URL of its own name would be mixed content: the
    stylesheet, the script and the chart would not load. Every URL of its own is
    root-relative, whatever the Host header says."""
    own = urlsplit(str(client.base_url)).netloc
    headers = {"Host": host, "X-Forwarded-Proto": "https"} if host else {}
    hit = hit_ids(client.get("/hits").text)[0]
    story = re.search(r'href="/stories/(\d+)"', client.get("/").text)
    assert story
    for path in [*PAGES, f"/hits/{hit}", f"/stories/{story.group(1)}"]:
        page = client.get(path, headers=headers).text
        assert f"//{own}" not in page and (host is None or host not in page), path
        for url in re.findall(r'(?:src|href|action)="([^"]*)"', page):
            parts = urlsplit(html.unescape(url))
            assert not parts.netloc or parts.netloc not in (own, host), (path, url)
            if not parts.netloc:
                assert url.startswith(("/", "#", "?")), (path, url)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', client.get("/timeline").text)
    assert len(assets) == 4  # the stylesheet, the scripts: the page's, plotly.js, the chart's
    for asset in assets:
        assert client.get(html.unescape(asset), headers=headers).status_code == 200


def test_a_redirect_behind_the_proxy_keeps_https(client: httpx.Client) -> None:
    """uvicorn takes X-Forwarded-Proto from a proxy on this machine: the one redirect
    Starlette builds as an absolute URL (a trailing slash) stays on https."""
    answer = client.get("/hits/", headers={"Host": PROXY, "X-Forwarded-Proto": "https"})
    assert answer.status_code == 307
    assert answer.headers["location"] == f"https://{PROXY}/hits"
