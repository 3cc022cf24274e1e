"""What a poll costs the database, counted in statements (``set_trace_callback``), not
timed (``bench/run.py`` times), and what writing several polls in one transaction
(``Store.record_polls``, ``pacing.WriteBatch``) keeps: the same rows as one poll at a
time, and a poll that cannot be written costs the others nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from monitor.errors import StoreError
from monitor.fetch import _CookieJar
from monitor.pacing import WriteBatch
from monitor.records import Entry, FeedConfig, FetchResult, ParsedFeed
from monitor.store import Store
from monitor.store.entries import PollWrite

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
FEEDS = [
    FeedConfig(f"feed{n}", f"https://f{n}.example/rss", timedelta(minutes=30), f"f{n}")
    for n in range(3)
]
UNCHANGED = FetchResult("not_modified", http_status=304, etag='"e"', elapsed=0.05)
FAILED = FetchResult("error", http_status=503, error="HTTP 503 Service Unavailable")
GONE = FeedConfig("gone", "https://gone.example/rss", timedelta(minutes=30), "gone")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "monitor.db")
    s.sync_feeds(FEEDS)
    return s


def poll(feed: FeedConfig, fetched: FetchResult = UNCHANGED) -> PollWrite:
    error = fetched.error
    notes = {"plan:" + feed.name: '{"at": "soon"}'}
    return PollWrite(feed, fetched, None, error, NOW + timedelta(minutes=30), NOW, True, notes)


def traced(store: Store, *writes: PollWrite) -> list[str]:
    ran: list[str] = []
    store.conn.set_trace_callback(ran.append)
    try:
        for result in store.record_polls(list(writes)):
            assert not isinstance(result, Exception), result
    finally:
        store.conn.set_trace_callback(None)
    return ran


def rows(store: Store) -> list[tuple[object, ...]]:
    """What polls leave behind: the feeds' state, the notes, the fetch log."""
    feeds = store.conn.execute(
        "SELECT name, last_fetch_at, next_attempt_at, last_success_at, failures, last_error,"
        " last_error_at, etag FROM feeds ORDER BY name"
    ).fetchall()
    state = store.conn.execute("SELECT key, value FROM state ORDER BY key").fetchall()
    log = store.conn.execute(
        "SELECT feed_id, at, status, http_status, bytes, elapsed_ms, new_entries, new_hits,"
        " error FROM fetch_log ORDER BY id"
    ).fetchall()
    return [*feeds, *state, *log]


def test_an_unchanged_poll_runs_a_transaction_of_three_writes(store: Store) -> None:
    ran = traced(store, poll(FEEDS[0]))
    assert ran[0] == "BEGIN IMMEDIATE" and ran[-1] == "COMMIT"
    assert len(ran) == 5, ran  # the feed's state, its plan, its fetch-log row
    assert not [sql for sql in ran if sql.startswith(("SAVEPOINT", "SELECT"))]


def test_unchanged_polls_answered_together_share_one_transaction(store: Store) -> None:
    ran = traced(store, *(poll(feed) for feed in FEEDS))
    assert ran.count("BEGIN IMMEDIATE") == 1 and ran.count("COMMIT") == 1
    assert len(ran) == 2 + 3 * len(FEEDS)


def test_polls_written_together_store_what_they_store_one_at_a_time(
    store: Store, tmp_path: Path
) -> None:
    apart = Store(tmp_path / "apart.db")
    apart.sync_feeds(FEEDS)
    writes = [poll(FEEDS[0]), poll(FEEDS[1], FAILED), poll(FEEDS[2])]
    for write in writes:
        apart.record_poll(
            write.feed,
            write.fetched,
            write.parsed,
            error=write.error,
            next_attempt_at=write.next_attempt_at,
            now=write.now,
            defer_stories=write.defer_stories,
            notes=write.notes,
        )
    store.record_polls(writes)
    assert rows(store) == rows(apart)
    assert [r[4] for r in rows(store)[:3]] == [0, 1, 0]  # failures counted once


def test_a_poll_that_cannot_be_written_costs_the_others_nothing(store: Store) -> None:
    entry = Entry("guid:a", "https://f0.example/a", "A headline", "s", NOW, "en", "a")
    changed = PollWrite(
        FEEDS[0], FetchResult("ok", 200, b"x"), ParsedFeed(((entry, ()),)), None, NOW, NOW
    )
    results = store.record_polls([changed, poll(GONE), poll(FEEDS[1])])
    assert isinstance(results[1], StoreError) and "gone" in str(results[1])
    assert [r.new_entries for r in (results[0], results[2])] == [1, 0]  # type: ignore[union-attr]
    assert store.counts()["fetch_log"] == 2 and store.counts()["entries"] == 1


def test_the_polls_of_one_turn_wait_for_their_commit(store: Store) -> None:
    batch = WriteBatch(store)
    commits: list[str] = []
    store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)

    async def together() -> list[object]:
        polls = [batch.record(poll(feed)) for feed in [*FEEDS, GONE]]
        return await asyncio.gather(*polls, return_exceptions=True)

    results = asyncio.run(together())
    store.conn.set_trace_callback(None)
    assert isinstance(results[-1], StoreError)
    assert all(not isinstance(r, Exception) for r in results[:-1])
    # The shared transaction failed on the missing feed, so each poll was written alone.
    assert len(commits) == len(FEEDS) and store.counts()["fetch_log"] == len(FEEDS)


def test_cookies_are_kept_only_from_answers_that_set_them() -> None:
    jar = _CookieJar()
    request = httpx.Request("GET", "https://f0.example/rss")
    jar.extract_cookies(httpx.Response(304, request=request))
    assert not list(jar.jar)
    jar.extract_cookies(httpx.Response(200, headers={"Set-Cookie": "a=1"}, request=request))
    assert [c.name for c in jar.jar] == ["a"]
