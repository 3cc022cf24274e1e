"""Every query the hit list, counts, feeds, housekeeping, stories, figures, near misses
and the insert path run, as SQLite plans it over a generated database of 200,000
entries and 50,000 hits across 1,000 feeds (``bench.queries.generate``), before and
after ``ANALYZE``: no scan of a table that grows with use, and no sort of a growing
result. The statements are collected by running the real functions under a trace
(``set_trace_callback``), so a new query is checked without being listed here; the
triggers' statements, which a trace does not show, are read from the schema. The
feed page, bulk marking and the navigation's counts are checked the same way in
tests/test_web_daily.py. Plans and bounds, not timings: ``bench/queries.py`` times.
"""

from __future__ import annotations

import itertools
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bench.queries import NOW, generate, housekeeping_config
from monitor import housekeeping, review
from monitor.records import Entry, FeedConfig, FetchResult, Match, ParsedFeed, TermHit
from monitor.store import Store
from monitor.stories import review as story_review

ENTRIES, HITS, FEEDS = 200_000, 50_000, 1000
LARGE = ("hits", "entries", "fetch_log", "stories", "figures", "near_misses", "alerts")
TZ = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "big.db"
    generate(path, entries=ENTRIES, hits=HITS, feeds=FEEDS)
    return path


@pytest.fixture(params=[False, True], ids=["unanalysed", "analysed"])
def big(built: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    path = tmp_path / "big.db"
    shutil.copyfile(built, path)
    with closing(Store(path)) as store:
        if request.param:
            store.conn.execute("ANALYZE")
        yield store


def hit_filters() -> Iterator[review.HitFilter]:
    """Every combination of the list's filters (the page's and ``monitor hits``')."""
    values = {"watch": "w1", "feed": "feed8", "language": "de", "status": "new"}
    for n in range(len(values) + 1):
        for chosen in itertools.combinations(values, n):
            yield review.HitFilter(**{k: values[k] for k in chosen})
    day = timedelta(days=1)
    yield review.HitFilter(since=NOW - 7 * day, until=NOW - day)
    yield review.HitFilter(watch="w2", since=NOW - 30 * day)
    yield review.HitFilter(status="new", since=NOW - 30 * day, until=NOW - day)
    yield review.HitFilter(found_since=NOW - 2 * day)
    yield review.HitFilter(watch="w3", status="new", found_since=NOW - 2 * day)
    yield review.HitFilter(language="ko", since=NOW - 3 * day)


SEARCHES = (review.HitFilter(search="number"), review.HitFilter(watch="w1", search="troops 42"))


def collect(store: Store, folder: Path) -> list[str]:
    """Run what the page, the CLI, housekeeping and a poll run; the statements, traced."""
    config = housekeeping_config(folder)
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        for filters in [*hit_filters(), *SEARCHES]:
            for offset in (0, 500):
                assert isinstance(review.find_hits(store, filters, limit=50, offset=offset), list)
            review.count_hits(store, filters)
        review.facets(store)
        review.new_counts(store)
        review.timeline(store, days=14, split="language", now=NOW, tz=TZ)
        review.timeline(store, days=14, split="outlet", now=NOW, tz=TZ, watch="w1")
        hit = review.find_hits(store, review.HitFilter(), limit=1)[0]
        store.hit(hit["id"])
        review.story(store, {**hit, "hit_id": hit["id"], "story_id": hit["story"]}, NOW)
        review.story(store, {**hit, "hit_id": hit["id"], "story_id": None}, NOW)
        store.feeds_health()
        review.feed_health(store, NOW)
        housekeeping.prune(store, NOW + timedelta(days=2), timedelta(days=90))
        housekeeping.prune(store, NOW + timedelta(days=2, hours=1), timedelta(days=90))
        housekeeping.flag_feeds(store, config, NOW)
        for kwargs in ({}, {"watch": "w1"}, {"status": "new"}, {"watch": "w1", "status": "new"}):
            story_review.find_stories(store, limit=20, offset=20, **kwargs)  # type: ignore[arg-type]
        story_review.get_story(store, 5)
        for figures in (
            story_review.FigureFilter(),
            story_review.FigureFilter(kind="killed"),
            story_review.FigureFilter(source="o3", since=NOW - timedelta(days=30)),
            story_review.FigureFilter(story=7),
        ):
            story_review.find_figures(store, figures, limit=50)
        story_review.figures_by_hit(store, [1, 2, 3])
        for kwargs in ({}, {"watch": "w2"}, {"since": NOW - timedelta(days=3)}):
            store.near_misses(limit=50, **kwargs)  # type: ignore[arg-type]
            store.count_near_misses(**kwargs)  # type: ignore[arg-type]
        store.near_misses(flagged=True)
        poll(store)
    finally:
        store.conn.set_trace_callback(None)
    return ran


def poll(store: Store) -> None:
    """The insert path: a poll of one feed that finds a new entry, a hit of it, and a
    known entry edited (the search index follows its text)."""
    feed = FeedConfig("feed8", "https://x8.example/rss", timedelta(minutes=30), "o8")
    match = (Match("w1", 1.0, (TermHit("troops", "title", 0),)),)
    new = Entry("new-1", "https://x8.example/new-1", "Troops move", "s", NOW, "en")
    known = review.find_hits(store, review.HitFilter(feed="feed8"), limit=1)[0]
    edited = Entry(known["entry_key"], known["url"], "An edited headline", "s", NOW, "en")
    parsed = ParsedFeed(((new, match), (edited, ())))
    recorded = store.record_poll(
        feed,
        FetchResult("ok", 200, b"x"),
        parsed,
        error=None,
        next_attempt_at=NOW + timedelta(minutes=30),
        now=NOW,
    )
    assert (recorded.new_entries, recorded.new_hits) == (1, 1)


def trigger_statements(conn: sqlite3.Connection) -> list[str]:
    """Each trigger's WHEN clause (as a SELECT) and body statements, with ``new.x`` and
    ``old.x`` as parameters: the statements a trace shows only as ``-- TRIGGER name``."""
    found = []
    for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'"):
        text = re.sub(r"\b(?:new|old)\.\w+", "?", sql, flags=re.I)
        head, body = re.split(r"\bBEGIN\b", text, maxsplit=1, flags=re.I)
        when = re.search(r"\bWHEN\b(.*)$", head, re.S | re.I)
        if when:
            found.append("SELECT " + when.group(1))
        body = re.sub(r"\bEND\s*$", "", body.strip(), flags=re.I)
        found += [s.strip() for s in body.split(";") if s.strip()]
    return found


def plan_of(conn: sqlite3.Connection, sql: str) -> list[str]:
    params = [None] * sql.count("?")
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


#: Columns of few values: a search by them alone reads a growing share of a table.
COARSE = {"watch", "status", "language", "kind", "source", "state", "pending"}
#: Columns of (nearly) one row each, or of one story's: a sort of what they find sorts
#: a handful.
NARROW = ("fingerprint", "story_id", "hit_id", "entry_id")


def problems(sql: str, plan: list[str]) -> list[str]:
    """What in a plan grows with the database rather than with what it returns.

    - a scan of a large table, unless it reads an index in order and the statement
      stops after a page (``LIMIT``);
    - without a ``LIMIT``, a search of a large table by columns of few values alone
      (every new hit of a watch): it returns what it reads, and that grows;
    - a sort (temp B-tree) in a statement that reads a large table and stops after a
      page: it sorts more than it returns. Without a LIMIT it sorts what it returns,
      as do sorts of a search's matches (FTS cannot give them in time order) and of
      rows found by a ``NARROW`` key."""
    limited = re.search(r"\bLIMIT\b", sql, re.I) is not None
    large = any(step.split()[1:2] and step.split()[1] in LARGE for step in plan)
    wrong = []
    for step in plan:
        words = step.split()
        keys = re.search(r"\((.*)\)$", step)
        if words[0] == "SCAN" and words[1] in LARGE:
            if not (limited and "INDEX" in words):
                wrong.append(step)
        elif words[0] == "SEARCH" and words[1] in LARGE and keys and not limited:
            columns = {part.split("=")[0] for part in keys.group(1).split(" AND ")}
            if columns <= COARSE:
                wrong.append(step)
        elif (
            step.startswith("USE TEMP B-TREE")
            and large
            and limited
            and "MATCH" not in sql
            and not any(re.search(rf"\b{key}=\?", " ".join(plan)) for key in NARROW)
        ):
            wrong.append(step)
    return wrong


def test_every_query_is_served_by_an_index(big: Store, tmp_path: Path) -> None:
    ran = collect(big, tmp_path)
    statements = [
        sql
        for sql in dict.fromkeys(ran)
        if sql.split()[0].upper() in ("SELECT", "WITH", "UPDATE", "DELETE", "INSERT")
    ]
    triggers = trigger_statements(big.conn)
    assert len(statements) >= 60 and len(triggers) >= 10
    found = {}
    for sql in statements + triggers:
        plan = plan_of(big.conn, sql)
        if wrong := problems(sql, plan):
            found[sql] = (wrong, plan)
    assert not found, "\n\n".join(f"{sql}\n  {plan}" for sql, plan in found.items())


def test_the_insert_trigger_finds_earlier_hits_by_their_entry(big: Store) -> None:
    """The FTS trigger asks whether an entry has another hit: ``idx_hits_entry_id``
    answers (m006), not a walk of the hits."""
    (sql,) = [s for s in trigger_statements(big.conn) if "entry_id = ? AND id != ?" in s]
    assert any("idx_hits_entry_id" in step for step in plan_of(big.conn, sql))


def test_counts_stop_at_the_limit(big: Store) -> None:
    assert review.count_hits(big, review.HitFilter()) == review.COUNT_LIMIT + 1
    assert review.count_text(review.COUNT_LIMIT + 1) == "10,000+"
    assert review.count_text(review.COUNT_LIMIT) == "10,000"
    new = review.count_hits(big, review.HitFilter(watch="w1", status="new"))
    # Every fifth hit is of w1 and every eighth new: they coincide once in 40.
    assert new == HITS // 40
    assert big.count_near_misses() == review.COUNT_LIMIT + 1


def test_the_kept_columns_and_counters_agree_with_the_tables(big: Store) -> None:
    conn = big.conn
    poll(big)
    conn.execute("UPDATE entries SET published = '2020-01-01T00:00:00+00:00' WHERE id = 1")
    conn.execute("UPDATE entries SET feed_id = 9 WHERE id = 1")
    housekeeping.prune(big, NOW + timedelta(days=3), timedelta(days=90))
    wrong_hits = conn.execute(
        "SELECT count(*) FROM hits JOIN entries ON entries.id = hits.entry_id"
        " WHERE hits.sort_at IS NOT coalesce(entries.published, hits.created_at)"
        " OR hits.feed_id IS NOT entries.feed_id OR hits.language IS NOT entries.language"
    ).fetchone()[0]
    assert wrong_hits == 0
    wrong_feeds = conn.execute(
        "SELECT count(*) FROM feeds WHERE entry_count != (SELECT count(*) FROM entries"
        " WHERE entries.feed_id = feeds.id) OR hit_count != (SELECT count(*) FROM hits"
        " JOIN entries ON entries.id = hits.entry_id WHERE entries.feed_id = feeds.id)"
    ).fetchone()[0]
    assert wrong_feeds == 0
    (feed,) = [f for f in big.feeds_health() if f["name"] == "feed8"]
    assert feed["entries"] > 0 and feed["hits"] > 0
    review.mark_seen(big, NOW, filters=review.HitFilter(watch="w2"))
    story_review.mark_story(big, 3, "relevant", NOW)
    new = conn.execute("SELECT count(*) FROM hits WHERE status = 'new'").fetchone()[0]
    stories = conn.execute("SELECT count(*) FROM stories WHERE status = 'new'").fetchone()[0]
    assert review.new_counts(big) == {"hits": new, "stories": stories} and new > 0


def test_the_migration_fills_existing_hits(tmp_path: Path) -> None:
    """A database from before m013: its hits get their sort time, feed and language, and
    its feeds their counts."""
    path = tmp_path / "old.db"
    with closing(Store(path)) as store:
        store.conn.execute("INSERT INTO feeds (name, url, outlet) VALUES ('f', 'u', 'o')")
        store.conn.execute(
            "INSERT INTO entries (feed_id, outlet, key, title, summary, first_seen_at,"
            " published, language) VALUES (1, 'o', 'k', 't', 's', '2025-01-02', NULL, 'de')"
        )
        store.conn.execute(
            "INSERT INTO hits (watch, entry_id, created_at) VALUES ('w', 1, '2025-01-03')"
        )
        store.conn.execute("UPDATE hits SET sort_at = NULL, feed_id = NULL, language = NULL")
        store.conn.execute("UPDATE feeds SET entry_count = 0, hit_count = 0")
        store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_query_indexes'")
        for name in ("hits", "feeds", "fetch_log", "near_misses"):
            for (index,) in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')"
                " AND tbl_name = ? AND sql IS NOT NULL",
                [name],
            ).fetchall():
                if index in M013_OBJECTS:
                    store.conn.execute(f"DROP {M013_OBJECTS[index]} {index}")
        for trigger in (
            "entries_count",
            "entries_uncount",
            "entries_hits_follow",
            "entries_move_feed",
            *(f"{t}_status_{n}" for t in ("hits", "stories") for n in ("add", "take", "move")),
        ):
            store.conn.execute(f"DROP TRIGGER {trigger}")
        store.conn.execute("DROP TABLE status_counts")
        for table, column in (
            ("hits", "sort_at"),
            ("hits", "feed_id"),
            ("hits", "language"),
            ("feeds", "entry_count"),
            ("feeds", "hit_count"),
        ):
            store.conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    with closing(Store(path)) as store:
        row = store.conn.execute("SELECT sort_at, feed_id, language FROM hits").fetchone()
        assert tuple(row) == ("2025-01-03", 1, "de")
        (feed,) = store.feeds_health()
        assert (feed["entries"], feed["hits"]) == (1, 1)
        assert review.new_counts(store) == {"hits": 1, "stories": 0}


M013_OBJECTS = {
    **{
        name: "INDEX"
        for name in (
            "idx_hits_sort_at",
            "idx_hits_watch_sort_at",
            "idx_hits_status_sort_at",
            "idx_hits_watch_status_sort_at",
            "idx_hits_feed_id_sort_at",
            "idx_hits_language_sort_at",
            "idx_hits_watch_created_at",
            "idx_fetch_log_at",
        )
    },
    "idx_near_misses_unflagged_created_at": "INDEX",
    "hits_keep_entry": "TRIGGER",
    "hits_uncount": "TRIGGER",
}
