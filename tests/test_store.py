"""The database makes duplicates impossible and writes whole or not at all."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.records import Entry, FeedConfig, FetchResult, Match, ParsedFeed, TermHit
from monitor.store import Store

NOW = datetime(2025, 2, 27, 12, 0, tzinfo=UTC)
ALL = FeedConfig("yna-all", "https://en.yna.co.kr/RSS/news.xml", timedelta(minutes=10), "yna.co.kr")
NK = FeedConfig("yna-nk", "https://en.yna.co.kr/RSS/nk.xml", timedelta(minutes=10), "yna.co.kr")
OTHER = FeedConfig("dw", "https://rss.dw.com/x", timedelta(minutes=10), "dw.com")
MATCH = Match("nk", 6.0, (TermHit("nk", "north korea*", "title"),))
OK = FetchResult("ok", http_status=200)


def entry(key: str, title: str, url: str | None = None) -> Entry:
    return Entry(f"guid:{key}", url, title, "summary", NOW, "en", key)


def record(store: Store, feed: FeedConfig, *entries: Entry, now: datetime = NOW) -> tuple[int, int]:
    parsed = ParsedFeed(tuple((e, (MATCH,)) for e in entries))
    done = store.record_poll(feed, OK, parsed, error=None, next_attempt_at=now, now=now)
    return done.new_entries, done.new_hits


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "monitor.db")
    s.sync_feeds([ALL, NK, OTHER])
    return s


def test_the_same_story_through_a_second_feed_of_the_outlet_is_one_entry(store: Store) -> None:
    story = entry("AEN1", "N. Korea sends troops", "https://en.yna.co.kr/view/AEN1")
    assert record(store, ALL, story) == (1, 1)
    assert record(store, NK, story) == (0, 0)
    assert record(store, OTHER, story) == (1, 1)  # another outlet: its own entry
    assert store.counts()["entries"] == 2 and store.counts()["hits"] == 2


def test_a_changed_guid_with_the_same_link_is_the_same_entry(store: Store) -> None:
    record(store, ALL, entry("a", "Title", "https://en.yna.co.kr/view/AEN1"))
    assert record(store, NK, entry("b", "Title", "https://en.yna.co.kr/view/AEN1")) == (0, 0)


def test_a_changed_title_updates_the_entry_without_a_second_hit(store: Store) -> None:
    record(store, ALL, entry("a", "First title"))
    assert record(store, ALL, entry("a", "Edited title"), now=NOW + timedelta(hours=1)) == (0, 0)
    (row,) = store.db.query("SELECT title, first_seen_at, updated_at FROM entries")
    assert row["title"] == "Edited title"
    assert row["first_seen_at"] == "2025-02-27T12:00:00+00:00"  # new-ness is our own record
    assert row["updated_at"] == "2025-02-27T13:00:00+00:00"


def test_unique_constraints_refuse_duplicates_even_past_the_code(store: Store) -> None:
    record(store, ALL, entry("a", "Title"))
    with pytest.raises(sqlite3.IntegrityError):
        store.conn.execute(
            "INSERT INTO hits (watch, entry_id, created_at)"
            " SELECT watch, entry_id, created_at FROM hits"
        )


def test_a_failed_poll_keeps_the_entries_and_counts_failures(store: Store) -> None:
    record(store, ALL, entry("a", "Title"))
    failed = FetchResult("error", error="HTTP 500")
    for _ in range(3):
        store.record_poll(ALL, failed, None, error="HTTP 500", next_attempt_at=NOW, now=NOW)
    (feed,) = [f for f in store.feeds_health() if f["name"] == "yna-all"]
    assert feed["failures"] == 3 and feed["last_error"] == "HTTP 500" and feed["entries"] == 1


def test_writes_begin_immediate_so_a_concurrent_writer_waits_instead_of_failing(
    tmp_path: Path, store: Store
) -> None:
    """A deferred read-then-write would fail with 'database is locked' here."""
    errors: list[BaseException] = []
    holding = threading.Event()

    def hold_the_lock() -> None:
        other = Store(tmp_path / "monitor.db", busy_timeout=10)
        try:
            with other.write() as db:
                db.execute("UPDATE feeds SET title = 'held' WHERE name = 'dw'")
                holding.set()
                threading.Event().wait(0.5)
        except BaseException as exc:
            errors.append(exc)
        other.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    assert holding.wait(5)
    assert record(store, ALL, entry("a", "Title")) == (1, 1)  # waited, then wrote
    thread.join()
    assert errors == []


def test_migrations_are_recorded_and_not_run_twice(tmp_path: Path) -> None:
    Store(tmp_path / "m.db").close()
    store = Store(tmp_path / "m.db")
    names = [r["name"] for r in store.db.query("SELECT name FROM _sqlite_migrations")]
    assert names == [
        "m001_initial",
        "m002_alerts",
        "m003_review",
        "m004_operations",
        "m005_identity",
        "m006_stories",
        "m007_story_links",
        "m008_notifications",
        "m009_where_met",
        "m010_near_misses",
        "m011_pending_hits",
        "m012_review_indexes",
        "m013_query_indexes",
    ]
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_search_index_holds_hit_entries_and_follows_their_edits(store: Store) -> None:
    def found(word: str) -> list[int]:
        sql = "SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?"
        return [row[0] for row in store.conn.execute(sql, [f'"{word}"'])]

    record(store, ALL, entry("a", "Truppenentsendung nach Kursk"))
    parsed = ParsedFeed(((entry("b", "Bundesliga am Wochenende"), ()),))
    store.record_poll(ALL, OK, parsed, error=None, next_attempt_at=NOW, now=NOW)
    assert found("entsendung") == [1] and found("bundesliga") == []  # no hit, not indexed
    record(store, ALL, entry("a", "Kampftruppen an der Front"), now=NOW + timedelta(hours=1))
    assert found("entsendung") == [] and found("kampftruppen") == [1]


def test_a_lock_held_past_the_busy_timeout_is_a_clear_error(tmp_path: Path, store: Store) -> None:
    from monitor.errors import StoreError

    impatient = Store(tmp_path / "monitor.db", busy_timeout=0.2)
    holder = sqlite3.connect(tmp_path / "monitor.db")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="stayed locked by another process"):
            record(impatient, ALL, entry("a", "Title"))
    finally:
        holder.rollback()
        holder.close()
    assert record(impatient, ALL, entry("a", "Title")) == (1, 1)  # nothing was half-written
    impatient.close()


def test_a_feed_removed_from_the_config_loses_its_planned_poll(store: Store) -> None:
    for name in ("yna-all", "dw"):
        store.set_state(f"plan:{name}", '{"at": "2025-02-27T12:15:00+00:00", "reason": "x"}')
    store.set_state("vacuumed_at", "2025-02-27T00:00:00+00:00")  # not a plan: kept
    store.sync_feeds([ALL, NK])
    assert store.planned_polls().keys() == {"yna-all"}
    assert store.get_state("vacuumed_at") is not None
