"""When to poll a feed next, by its own rhythm: pure, ``now`` always passed in.

    store.feed_history | history | Counts (items and hours observed, per hour of day)
    all feeds' Counts  | balance -> reference rate (the same requests a day as fixed)
    Counts, Bounds, reference, server limits | plan -> Plan(at, reason)

Why the square root: an item published while polls come every ``T`` waits ``T/2`` on
average, so a feed publishing ``r`` items an hour costs ``r*T/2`` item-minutes of delay
an hour and ``1/T`` requests. Spending a fixed number of requests where they save the
most delay gives ``T = c / sqrt(r)`` (busy feeds and busy hours often, quiet ones
seldom). The constant is written as a reference rate: a feed publishing ``reference``
items an hour is polled at its configured ``interval``, one publishing four times as
much at half of it. ``balance`` chooses the reference so that all adaptive feeds
together make no more requests a day than their fixed intervals would.

A rate is estimated per hour of day (UTC) from the feed's publication times over the
last ``HISTORY``, smoothed with its neighbouring hours, drawn towards the feed's mean
rate (``HOUR_PRIOR`` observed hours' worth) and the mean towards the reference
(``FEED_PRIOR``): a feed without history is polled at its configured interval.

The server's limits are a floor, never polled before: RSS ``ttl``, ``Cache-Control:
max-age`` (less ``Age``), ``Expires`` and ``Retry-After``; each capped at the feed's
longest interval, so a hostile header cannot silence a feed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache

from monitor.decide import backoff, human, retry_after_seconds

HISTORY = timedelta(days=14)  # how far back publication times count
FEED_PRIOR = 24.0  # hours: the reference rate weighs like a day of observation
HOUR_PRIOR = 3.0  # hours: an hour of day is drawn to the feed's mean this much
SMOOTH = (0.25, 0.5, 0.25)  # the hour before, the hour, the hour after
_LONGEST = 10 * 365 * 86400.0  # seconds: beyond any cap, for absurd header values


@dataclass(frozen=True)
class Bounds:
    """A feed's schedule settings, resolved (``bounds``): its interval and the range the
    rhythm may move in, which always holds the interval itself."""

    interval: timedelta
    shortest: timedelta
    longest: timedelta
    adaptive: bool = True


def bounds(
    interval: timedelta,
    *,
    adaptive: bool,
    min_interval: timedelta,
    max_interval: timedelta,
) -> Bounds:
    """A feed's range: a feed configured faster than ``min_interval`` (one on this
    machine) keeps its interval as its floor; one slower than ``max_interval`` as its cap."""
    return Bounds(interval, min(min_interval, interval), max(max_interval, interval), adaptive)


@dataclass(frozen=True)
class History:
    """Publication times of a feed's entries since ``since`` (the start of observation),
    from ``store.feed_history`` through ``history``."""

    times: tuple[datetime, ...]
    since: datetime


def history(
    rows: Iterable[tuple[datetime | None, datetime]],
    first_fetch: datetime | None,
    now: datetime,
    window: timedelta = HISTORY,
) -> History:
    """``(published, first_seen)`` pairs -> the publication times the rates count.

    An entry's time is its published date when that is plausible (not after it was first
    seen, and at most a day before), else when it was first seen. Observation starts at
    the first fetch, or earlier at the oldest entry dated in the window (a feed's first
    answer shows its last items, published before it was ever fetched); an undated entry
    first seen at the first fetch is of unknown age and not counted."""
    start = now - window
    dated: list[datetime] = []
    undated: list[datetime] = []
    for published, seen in rows:
        if published is not None and seen - timedelta(days=1) <= published <= seen:
            dated.append(published)
        else:
            undated.append(seen)
    since = first_fetch or now
    dated = [t for t in dated if start <= t <= now]
    if dated:
        since = min(since, min(dated))
    since = max(since, start)
    times = dated + [t for t in undated if since < t <= now and t != first_fetch]
    return History(tuple(sorted(times)), since)


@dataclass(frozen=True)
class Counts:
    """Per hour of day (UTC): items published, and hours observed."""

    items: tuple[int, ...]
    hours: tuple[float, ...]

    @property
    def total(self) -> int:
        return sum(self.items)


NO_COUNTS = Counts((0,) * 24, (0.0,) * 24)


def counts(found: History, now: datetime) -> Counts:
    items = [0] * 24
    for when in found.times:
        items[when.hour] += 1
    hours = [0.0] * 24
    at = found.since
    while at < now:
        step = min(now, at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        hours[at.hour] += (step - at).total_seconds() / 3600
        at = step
    return Counts(tuple(items), tuple(hours))


def rates(seen: Counts, reference: float) -> tuple[float, ...]:
    """Items an hour, per hour of day: smoothed, drawn to the feed's mean, and the mean
    to ``reference`` (so a feed without history has the reference rate everywhere)."""
    return tuple(a + b * reference for a, b in _affine(seen))


@lru_cache(maxsize=4096)
def _affine(seen: Counts) -> tuple[tuple[float, float], ...]:
    """Each hour's rate as ``a + b * reference``: ``balance`` tries many references."""
    mean_a = seen.total / (sum(seen.hours) + FEED_PRIOR)
    mean_b = FEED_PRIOR / (sum(seen.hours) + FEED_PRIOR)
    out = []
    for hour in range(24):
        near = [(hour - 1) % 24, hour, (hour + 1) % 24]
        items = sum(w * seen.items[h] for w, h in zip(SMOOTH, near, strict=True))
        hours = sum(w * seen.hours[h] for w, h in zip(SMOOTH, near, strict=True))
        out.append(
            (
                (items + HOUR_PRIOR * mean_a) / (hours + HOUR_PRIOR),
                HOUR_PRIOR * mean_b / (hours + HOUR_PRIOR),
            )
        )
    return tuple(out)


def wait_for(rate: float, limits: Bounds, reference: float) -> float:
    """Seconds between polls at ``rate`` items an hour: the square-root rule, bounded."""
    if not limits.adaptive:
        return limits.interval.total_seconds()
    ratio = reference / rate if rate > 0 else math.inf
    seconds = limits.interval.total_seconds() * math.sqrt(ratio)
    return min(max(seconds, limits.shortest.total_seconds()), limits.longest.total_seconds())


def requests_per_day(seen: Counts, limits: Bounds, reference: float) -> float:
    return sum(3600 / wait_for(r, limits, reference) for r in rates(seen, reference))


def balance(feeds: Sequence[tuple[Counts, Bounds]]) -> float:
    """The reference rate at which the adaptive feeds make no more requests a day than
    their fixed intervals: the smallest such (the most polling the budget allows).

    Requests fall as the reference rises, so a bisection finds it. A feed without
    history polls at its interval whatever the reference, and only its fixed share of
    the budget is counted for it; the others' hours are flattened into one list."""
    budget = 0.0
    hours: list[tuple[float, float, float, float, float]] = []  # a, b, interval, lo, hi
    for seen, limits in feeds:
        if not limits.adaptive:
            continue
        interval = limits.interval.total_seconds()
        budget += 86400 / interval
        if not seen.total and not any(seen.hours):  # never observed
            budget -= 86400 / wait_for(1.0, limits, 1.0)  # the same at every reference
            continue
        lo, hi = limits.shortest.total_seconds(), limits.longest.total_seconds()
        hours += [(a, b, interval, lo, hi) for a, b in _affine(seen)]
    if not hours:
        return 1.0  # nothing observed: every feed at its interval, whatever the reference
    budget *= 1 + 1e-9
    low, high = math.log(1e-6), math.log(1e4)  # items an hour
    for _ in range(32):
        middle = (low + high) / 2
        reference = math.exp(middle)
        spent = 0.0
        for a, b, interval, lo, hi in hours:
            wait = interval * math.sqrt(reference / (a + b * reference))
            spent += 3600 / (lo if wait < lo else hi if wait > hi else wait)
        if spent > budget:
            low = middle
        else:
            high = middle
    return math.exp(high)


# -- the server's limits ---------------------------------------------------------------


@dataclass(frozen=True)
class ServerLimits:
    """What the last answer said about polling again, as written (``limits_from``)."""

    ttl: str | None = None  # RSS <ttl>, minutes
    cache_control: str | None = None
    age: str | None = None
    expires: str | None = None
    retry_after: str | None = None


def limits_from(headers: dict[str, str], ttl: str | None, retry_after: str | None) -> ServerLimits:
    """From a ``FetchResult``'s headers (lower-case names) and the feed's ``ttl``."""
    return ServerLimits(
        ttl=ttl,
        cache_control=headers.get("cache-control"),
        age=headers.get("age"),
        expires=headers.get("expires"),
        retry_after=retry_after or headers.get("retry-after"),
    )


def _number(text: str) -> float | None:
    """ASCII digits -> their value; very long numbers count as "longer than any cap"."""
    text = text.strip().strip('"').strip()
    if not text or not text.isascii() or not text.isdigit():
        return None
    return _LONGEST if len(text) > 12 else min(float(text), _LONGEST)


def max_age_seconds(cache_control: str | None, age: str | None = None) -> float | None:
    """``Cache-Control: max-age=600`` -> 600 (less ``Age``); None without one, or when
    ``no-cache``/``no-store`` ask every reader to check again."""
    if not cache_control:
        return None
    found: float | None = None
    for directive in cache_control.split(","):
        name, _, value = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return None
        if name == "max-age" and found is None:
            found = _number(value)
    if found is None:
        return None
    already = _number(age) if age else None
    return max(0.0, found - (already or 0.0))


def expires_seconds(expires: str | None, now: datetime) -> float | None:
    """``Expires: <HTTP date>`` -> seconds from ``now`` (0 once past); None if unreadable."""
    if not expires:
        return None
    try:
        when = parsedate_to_datetime(expires.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    try:
        return min(max(0.0, (when - now).total_seconds()), _LONGEST)
    except OverflowError:
        return _LONGEST


def ttl_seconds(ttl: str | None) -> float | None:
    """RSS ``<ttl>60</ttl>`` (minutes) -> 3600 seconds; None when not a whole number."""
    minutes = _number(ttl) if ttl else None
    return None if minutes is None else min(minutes * 60, _LONGEST)


def server_wait(limits: ServerLimits, now: datetime) -> tuple[float, str] | None:
    """The longest wait the server asks for, and which limit said so; None: no limit.

    ``max-age`` wins over ``Expires`` (as HTTP caches read them)."""
    asked: list[tuple[float, str]] = []
    if (ttl := ttl_seconds(limits.ttl)) is not None:
        asked.append((ttl, f"ttl {limits.ttl and limits.ttl.strip()}m"))
    if (age := max_age_seconds(limits.cache_control, limits.age)) is not None:
        asked.append((age, f"max-age {age:.0f}"))
    elif (expires := expires_seconds(limits.expires, now)) is not None:
        asked.append((expires, f"Expires in {human(timedelta(seconds=expires))}"))
    if (retry := _retry_after(limits.retry_after, now)) is not None:
        asked.append((retry, f"Retry-After {retry:.0f}s"))
    asked = [(seconds, why) for seconds, why in asked if seconds > 0]
    return max(asked) if asked else None


def _retry_after(value: str | None, now: datetime) -> float | None:
    if value and _number(value) is not None:
        return _number(value)
    try:
        seconds = retry_after_seconds(value, now)
    except (OverflowError, ValueError):
        return None
    return None if seconds is None else min(seconds, _LONGEST)


# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """When to poll a feed next and why, for ``feeds.next_attempt_at`` and `feeds --json`."""

    at: datetime
    reason: str


def plan(
    *,
    limits: Bounds,
    seen: Counts,
    reference: float,
    server: ServerLimits,
    now: datetime,
    failures: int = 0,
    max_backoff: timedelta = timedelta(hours=6),
) -> Plan:
    """The next poll after one at ``now``: backing off after failures, else by the feed's
    rate at this hour; never before the server's limit, never after ``limits.longest``
    (a failing feed: its backoff, which ``schedule.max_backoff`` caps)."""
    asked = server_wait(server, now)
    if failures > 0:
        wait = backoff(failures, limits.interval, max_backoff).total_seconds()
        reason = f"failing: {failures} in a row, backing off {human(timedelta(seconds=wait))}"
        cap = max(limits.interval, max_backoff).total_seconds()
        if asked is not None and min(asked[0], cap) > wait:
            wait = min(asked[0], cap)
            reason = f"server asks: {asked[1]} (failing: {failures} in a row)"
        return Plan(now + timedelta(seconds=wait), reason)
    rate = rates(seen, reference)[now.hour]
    wait = wait_for(rate, limits, reference)
    reason = _rhythm_reason(seen, limits, rate, wait)
    longest = limits.longest.total_seconds()
    if asked is not None and asked[0] > wait:
        wait = min(asked[0], longest)
        reason = f"server asks: {asked[1]}"
        if asked[0] > longest:
            reason += f" (capped at {human(limits.longest)})"
    return Plan(now + timedelta(seconds=wait), reason)


def _rhythm_reason(seen: Counts, limits: Bounds, rate: float, wait: float) -> str:
    if not limits.adaptive:
        return f"fixed: every {human(limits.interval)} (adaptive off)"
    if not seen.total:
        return f"new: no items yet, every {human(limits.interval)}"
    every = human(timedelta(seconds=wait))
    amount = f"~{rate:.1f} items/h" if rate >= 1 else f"~{rate * 24:.1f} items/day"
    if wait < limits.interval.total_seconds():
        word = "busy"
    elif wait > limits.interval.total_seconds():
        word = "quiet"
    else:
        word = "usual"
    bound = ""
    if wait <= limits.shortest.total_seconds() < limits.interval.total_seconds():
        bound = ", the shortest allowed"
    elif wait >= limits.longest.total_seconds() > limits.interval.total_seconds():
        bound = ", the longest allowed"
    return f"{word}: {amount} at this hour, every {every}{bound}"


class Budget:
    """The daemon's memory of every feed's ``Counts`` and the reference rate balanced over
    them, worked out again at most every ``every`` (``balance`` takes a moment)."""

    def __init__(self, every: timedelta = timedelta(minutes=15)) -> None:
        self.every = every
        self.feeds: dict[str, tuple[Counts, Bounds]] = {}
        self._reference = 1.0
        self._at: datetime | None = None
        self._known = 0  # feeds known at the last balance

    def note(self, name: str, seen: Counts, limits: Bounds) -> None:
        self.feeds[name] = (seen, limits)

    def reference(self, now: datetime) -> float:
        """Balanced again every ``every``, and as soon as a quarter more feeds are known
        (a daemon's first pass learns every feed's history one poll at a time)."""
        grown = len(self.feeds) > 1.25 * self._known
        if grown or self._at is None or not self._at <= now < self._at + self.every:
            self._reference = balance(list(self.feeds.values()))
            self._at, self._known = now, len(self.feeds)
        return self._reference
