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


def health(heartbeat: datetime | None, now: datetime, max_age: timedelta) -> str | None:
    """Why the daemon looks unhealthy, or None when its heartbeat is recent."""
    if heartbeat is None:
        return "no heartbeat recorded yet: is `monitor run` running on this database?"
    age = now - heartbeat
    if age > max_age:
        limit = human(max_age)
        return f"last heartbeat {human(age)} ago (more than {limit}): is the daemon running?"
    return None


def feed_flag(
    *,
    failures: int,
    failing_since: datetime | None,
    last_error: str | None,
    last_entry_at: datetime | None,
    gaps: list[float],
    now: datetime,
    dead_after: timedelta,
    silent_min: timedelta,
) -> str | None:
    """Why a feed should be flagged dead, or None. Pure; ``gaps`` are the seconds between
    its recent new entries, oldest first (its own rhythm).

    Failing: every poll failed since ``failing_since``, for longer than ``dead_after``.
    Silent: no new entry for longer than four times its 95th-percentile gap, and never
    less than ``silent_min`` (a wire service that posts every few minutes is flagged
    after ``silent_min``; a weekly blog only after weeks).
    """
    if failures and failing_since is not None and now - failing_since >= dead_after:
        return f"failing for {human(now - failing_since)}: {last_error or 'unknown error'}"
    if failures or last_entry_at is None or len(gaps) < 10:
        return None
    usual = sorted(gaps)[int(0.95 * (len(gaps) - 1))]
    limit = max(silent_min, timedelta(seconds=4 * usual))
    quiet = now - last_entry_at
    if quiet > limit:
        typical = sorted(gaps)[len(gaps) // 2]
        return (
            f"no new entry for {human(quiet)}; it usually posts every "
            f"{human(timedelta(seconds=typical))}"
        )
    return None


def human(span: timedelta) -> str:
    """``timedelta(hours=26)`` -> ``"1d 2h"``; minutes below a day, seconds below a minute."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"
