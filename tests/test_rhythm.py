"""Polling by each feed's rhythm (``monitor.rhythm``): the planner as truth tables, the
server-limit parsers against hostile values, the history query's plan, and the real
daemon honouring a server's ``Cache-Control: max-age``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor import rhythm
from monitor.store import Store
from tests.conftest import Daemon, FeedServer, fast_schedule, wait_for, write_config

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
BOUNDS = rhythm.bounds(15 * M, adaptive=True, min_interval=2 * M, max_interval=120 * M)
FIXED = rhythm.bounds(15 * M, adaptive=False, min_interval=2 * M, max_interval=120 * M)


def observed(per_hour: float, days: int = 7, *, busy_hour: int | None = None) -> rhythm.Counts:
    """Counts of a feed watched ``days`` days at ``per_hour`` (all of it at ``busy_hour``)."""
    if busy_hour is None:
        items = (round(per_hour * days),) * 24
    else:
        items = tuple(round(per_hour * 24 * days) if h == busy_hour else 0 for h in range(24))
    return rhythm.Counts(items, (float(days),) * 24)


NONE = rhythm.ServerLimits()
WEEKLY = rhythm.Counts((4,) + (0,) * 23, (28.0,) * 24)  # four items in four weeks
SCENARIOS = {
    # name: (bounds, counts, reference, server limits, failures, expected wait, reason starts)
    "new feed: its interval": (BOUNDS, rhythm.NO_COUNTS, 0.5, NONE, 0, 15 * M, "new:"),
    "at the reference rate: its interval": (
        BOUNDS,
        observed(0.5, 8),
        0.5,
        NONE,
        0,
        15 * M,
        "usual:",
    ),
    "four times the reference: half": (BOUNDS, observed(2.0, 365), 0.5, NONE, 0, 7.5 * M, "busy:"),
    "a wire feed: the shortest": (BOUNDS, observed(40), 0.5, NONE, 0, 2 * M, "busy:"),
    "a weekly blog: the longest": (BOUNDS, WEEKLY, 0.5, NONE, 0, 120 * M, "quiet:"),
    "adaptive off: its interval": (FIXED, observed(40), 0.5, NONE, 0, 15 * M, "fixed:"),
    "max-age above the plan: honoured": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(cache_control="max-age=600"),
        0,
        10 * M,
        "server asks: max-age 600",
    ),
    "max-age below the plan: the plan": (
        BOUNDS,
        rhythm.NO_COUNTS,
        0.5,
        rhythm.ServerLimits(cache_control="max-age=60"),
        0,
        15 * M,
        "new:",
    ),
    "max-age less Age": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(cache_control="max-age=900", age="300"),
        0,
        10 * M,
        "server asks: max-age 600",
    ),
    "ttl in minutes": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(ttl="30"),
        0,
        30 * M,
        "server asks: ttl 30m",
    ),
    "a day's ttl: capped at the longest": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(ttl="1440"),
        0,
        120 * M,
        "server asks: ttl 1440m (capped at 2h 0m)",
    ),
    "Expires in 20 minutes": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(expires="Mon, 03 Mar 2025 12:20:00 GMT"),
        0,
        20 * M,
        "server asks: Expires in 20m",
    ),
    "max-age wins over Expires": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(cache_control="max-age=300", expires="Mon, 03 Mar 2025 13:00:00 GMT"),
        0,
        5 * M,
        "server asks: max-age 300",
    ),
    "no-cache: no floor": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(cache_control="no-cache, max-age=3600"),
        0,
        2 * M,
        "busy:",
    ),
    "failing: backoff from the interval": (
        BOUNDS,
        observed(40),
        0.5,
        NONE,
        3,
        60 * M,
        "failing: 3 in a row",
    ),
    "failing with Retry-After: the longer": (
        BOUNDS,
        observed(40),
        0.5,
        rhythm.ServerLimits(retry_after="7200"),
        1,
        120 * M,
        "server asks: Retry-After 7200s",
    ),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_plan(name: str) -> None:
    limits, seen, reference, server, failures, wait, reason = SCENARIOS[name]
    planned = rhythm.plan(
        limits=limits,
        seen=seen,
        reference=reference,
        server=server,
        now=NOW,
        failures=failures,
    )
    # Within 1%: the history pulls a rate a little towards the reference.
    assert planned.at - NOW == pytest.approx(wait, rel=0.01)
    assert planned.reason.startswith(reason), planned.reason


def test_a_busy_hour_is_polled_more_often_than_a_quiet_one() -> None:
    seen = observed(2.0, busy_hour=12)  # 336 items in a week, all between 12:00 and 13:00
    midnight = NOW.replace(hour=0)
    at_noon = rhythm.plan(limits=BOUNDS, seen=seen, reference=1.0, server=NONE, now=NOW)
    at_night = rhythm.plan(limits=BOUNDS, seen=seen, reference=1.0, server=NONE, now=midnight)
    assert at_noon.at - NOW < 5 * M < 15 * M < at_night.at - midnight
    assert at_noon.reason.startswith("busy: ~17.4 items/h at this hour"), at_noon.reason
    assert at_night.reason.startswith("quiet:"), at_night.reason


def test_a_feed_faster_than_min_interval_keeps_its_interval_as_floor() -> None:
    local = rhythm.bounds(timedelta(seconds=1), adaptive=True, min_interval=2 * M, max_interval=M)
    assert (local.shortest, local.longest) == (timedelta(seconds=1), M)


def test_balance_spends_the_fixed_schedules_requests() -> None:
    feeds = [(observed(rate), BOUNDS) for rate in (10, 2, 0.5, 0.05, 0.01, 0.001)]
    feeds += [(rhythm.NO_COUNTS, BOUNDS)] * 3  # never observed: at their interval
    reference = rhythm.balance(feeds)
    spent = sum(rhythm.requests_per_day(c, b, reference) for c, b in feeds)
    assert spent == pytest.approx(9 * 96, rel=1e-6)
    # The busiest feed is polled more often than the fixed schedule, the quietest less.
    busiest = rhythm.requests_per_day(feeds[0][0], BOUNDS, reference)
    quietest = rhythm.requests_per_day(feeds[5][0], BOUNDS, reference)
    assert busiest > 96 > quietest


def test_history_counts_plausible_publication_times_and_skips_an_undated_backlog() -> None:
    first = NOW - timedelta(days=2)
    rows = [
        (NOW - timedelta(hours=1, minutes=5), NOW - timedelta(hours=1)),  # dated: counted
        (NOW + timedelta(hours=3), NOW - timedelta(hours=2)),  # future date: its first seen
        (None, first),  # undated, in the first answer: of unknown age
        (NOW - timedelta(days=30), first),  # dated before the window: not counted
        (first - timedelta(hours=6), first),  # dated in the first answer: counted
    ]
    found = rhythm.history(rows, first, NOW)
    assert found.times == (
        first - timedelta(hours=6),
        NOW - timedelta(hours=2),
        NOW - timedelta(hours=1, minutes=5),
    )
    assert found.since == first - timedelta(hours=6)
    seen = rhythm.counts(found, NOW)
    assert seen.total == 3 and sum(seen.hours) == pytest.approx(54.0)


# -- the parsers of what servers say --------------------------------------------------

HEADERS = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\s*(max-age|MAX-AGE|no-cache|s-maxage)\s*=\s*\"?-?[0-9]{0,30}\"?\s*"),
    st.integers(min_value=-(10**40), max_value=10**40).map(lambda n: f"max-age={n}"),
    st.text(alphabet="0123456789", min_size=1, max_size=5000),
)
DATES = st.one_of(
    st.text(max_size=60),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")
    ),
    st.sampled_from(["0", "-1", "Mon, 32 Jan 2025 25:61:00 GMT", "Mon, 03 Mar 99999 12:00 GMT"]),
)


@given(HEADERS, st.one_of(st.none(), HEADERS))
def test_max_age_never_crashes_and_is_never_negative(value: str, age: str | None) -> None:
    got = rhythm.max_age_seconds(value, age)
    assert got is None or got >= 0


@given(DATES)
def test_expires_never_crashes_and_is_never_negative(value: str) -> None:
    got = rhythm.expires_seconds(value, NOW)
    assert got is None or got >= 0


@given(HEADERS)
def test_ttl_never_crashes_and_is_never_negative(value: str) -> None:
    got = rhythm.ttl_seconds(value)
    assert got is None or got >= 0


@given(HEADERS, HEADERS, DATES, HEADERS, st.sampled_from([0, 0.5, 40]))
def test_no_server_value_schedules_before_now_or_after_the_longest_wait(
    cache_control: str, ttl: str, expires: str, retry_after: str, rate: float
) -> None:
    server = rhythm.ServerLimits(ttl, cache_control, None, expires, retry_after)
    seen = observed(rate) if rate else rhythm.NO_COUNTS
    planned = rhythm.plan(limits=BOUNDS, seen=seen, reference=0.5, server=server, now=NOW)
    assert NOW + BOUNDS.shortest <= planned.at <= NOW + BOUNDS.longest


def test_an_honest_max_age_is_read() -> None:
    assert rhythm.max_age_seconds('public, MAX-AGE="600"') == 600
    assert rhythm.ttl_seconds(" 60 ") == 3600
    assert rhythm.expires_seconds("Mon, 03 Mar 2025 11:00:00 GMT", NOW) == 0
    assert rhythm.max_age_seconds("max-age=abc") is None


# -- the store -------------------------------------------------------------------------


def test_the_history_query_is_served_by_indexes(tmp_path: Path) -> None:
    store = Store(tmp_path / "monitor.db")
    try:
        plans = [
            " ".join(str(part) for part in row)
            for sql in (
                "SELECT published, first_seen_at FROM entries"
                " WHERE feed_id = 1 AND first_seen_at >= '2025'",
                "SELECT min(at) FROM fetch_log WHERE feed_id = 1",
                "SELECT key, value FROM state WHERE key >= 'plan:' AND key < 'plan;'",
            )
            for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        ]
        assert plans and all("USING" in plan for plan in plans), plans
        assert store.feed_history("nothing", NOW) == ([], None)
    finally:
        store.close()


# -- the daemon ------------------------------------------------------------------------


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


@pytest.mark.slow
def test_the_daemon_waits_as_long_as_max_age_asks(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon]
) -> None:
    feeds = {
        "cached": feed_server.url("/bad/max-age"),
        "plain": feed_server.url("/feeds/tagesschau.xml"),
    }
    daemon = daemons(fast_schedule(write_config(tmp_path, feeds)))
    db, config = daemon.db, daemon.config
    count = "SELECT count(*) FROM fetch_log JOIN feeds ON feeds.id = feed_id WHERE name = "
    wait_for(lambda: _rows(db, count + "'cached'") == [(1,)], timeout=30)
    started = time.monotonic()
    # The plain feed, at its 1s interval, is polled again and again meanwhile.
    wait_for(lambda: _rows(db, count + "'plain'")[0][0] >= 4, timeout=30)
    assert time.monotonic() - started >= 2
    assert sum(path == "/bad/max-age" for path, _ in feed_server.requests) == 1
    row = _rows(db, "SELECT last_fetch_at, next_attempt_at FROM feeds WHERE name = 'cached'")[0]
    fetched, planned = (datetime.fromisoformat(str(v)) for v in row)
    assert planned - fetched >= timedelta(seconds=3599)
    note = _rows(db, "SELECT value FROM state WHERE key = 'plan:cached'")[0][0]
    assert json.loads(str(note))["reason"] == "server asks: max-age 3600"
    shown = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "feeds", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    by_name = {f["name"]: f for f in json.loads(shown.stdout)}
    assert by_name["cached"]["next_attempt_reason"] == "server asks: max-age 3600"
    assert by_name["plain"]["next_attempt_reason"]
    daemon.stop()
