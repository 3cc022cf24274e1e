"""Pure decisions about when to poll a feed. ``now`` is always passed in.

failures   wait before the next try (interval 15m, max_backoff 6h)
0          the feed's interval
1          15m     2   30m     3   1h     4   2h   ...   capped at 6h, never given up
Retry-After from a 429 or 503 lengthens the wait (capped the same way).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from monitor.records import FeedState


def backoff(failures: int, interval: timedelta, max_backoff: timedelta) -> timedelta:
    """Wait after ``failures`` failures in a row: doubling from the interval, capped."""
    if failures <= 0:
        return interval
    cap = max(interval, max_backoff)
    # 2**exponent overflows timedelta long before failures reaches a realistic count.
    wait: timedelta = min(interval * 2 ** min(failures - 1, 30), cap)
    return wait


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from ``now``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_attempt(
    failures: int,
    interval: timedelta,
    max_backoff: timedelta,
    now: datetime,
    retry_after: str | None = None,
) -> datetime:
    """When a feed may be polled again, after a success (0 failures) or a failure."""
    wait = backoff(failures, interval, max_backoff)
    asked = retry_after_seconds(retry_after, now)
    if asked is not None:
        wait = max(wait, min(timedelta(seconds=asked), max(interval, max_backoff)))
    return now + wait


def is_due(state: FeedState, now: datetime) -> bool:
    """Whether the scheduler should poll the feed now (its backoff has passed)."""
    return state.next_attempt_at is None or state.next_attempt_at <= now


def digest_slot(now: datetime, times: list[str], tz: ZoneInfo) -> datetime | None:
    """The latest digest time (local "HH:MM") at or before ``now``; None without times.

    A pending digest alert created before this slot is due: at 18:00 every alert queued
    since the 08:00 digest goes out together.
    """
    local = now.astimezone(tz)
    slots = []
    for text in times:
        hour, minute = (int(part) for part in text.split(":"))
        for day in (local.date(), local.date() - timedelta(days=1)):
            slot = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
            if slot <= local:
                slots.append(slot)
                break
    return max(slots).astimezone(now.tzinfo) if slots else None
