"""Compose the stages into one poll of one feed, and a pass over many.

    feed | store.feed_state | fetch | worker(parse, normalize, match)
         | rhythm.plan (feed_history, the server's limits) | store.record_poll (hits pending)
    end of the pass | store.place_pending (stories, alerts) | on_new_hits

Fetches overlap (``fetch.concurrency`` in flight), parsing runs in worker processes on
every core, and each feed's results are written in one transaction, shared with the
polls whose results were ready at the same turn of the event loop (``WriteBatch``). Fetching is much
faster than parsing, so a poll takes a place in the ``BodyBudget`` before its fetch
and gives it back once its body is parsed (a 304 or a failed fetch, once its request
is answered): at most ``fetch.concurrency`` + ``BODIES_PER_WORKER`` x ``parse.workers``
bodies are ever held in this process, however many feeds a pass has. A failing feed is
a value (``FeedOutcome(status="error")``), recorded on the feed; it never stops a pass.
New hits are placed in their stories once the pass's other polls are done (or after
``SETTLE_AFTER``), all together in order of publication, so the stories of a pass do
not depend on which feed answered first.

A poll takes the poller's parts (config, store, fetcher, parser pool) as ``InForce``
when it starts and keeps them to its end. ``Poller.reconfigure`` (the daemon's reload)
hands new parts to the polls that start after it; parts it replaced are closed once
the last poll that holds them has written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor import decide, rhythm
from monitor.config import Config
from monitor.errors import ParseError, StoreError
from monitor.fetch import Fetcher, FetchSettings
from monitor.pacing import BodyBudget, WriteBatch, body_budget
from monitor.records import FeedConfig, FeedOutcome, FetchResult, ParsedFeed
from monitor.store import Store, iso
from monitor.store.entries import PollWrite
from monitor.worker import ParserPool

log = logging.getLogger(__name__)
# A hit waits at most this long (seconds) for the other polls of its pass before it is
# placed in its story; a pass's hits are placed together, in order of publication.
SETTLE_AFTER = 30.0
# How long (seconds) a feed's rhythm counts serve polls that brought no new entries.
HISTORY_FRESH = 3600.0

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def fetch_settings(config: Config) -> FetchSettings:
    return FetchSettings(
        concurrency=config["fetch.concurrency"],
        timeout=config.seconds("fetch.timeout"),
        connect_timeout=config.seconds("fetch.connect_timeout"),
        max_bytes=config["fetch.max_bytes"],
        max_redirects=config["fetch.max_redirects"],
        user_agent=config["fetch.user_agent"],
        allow_networks=tuple(config["fetch.allow_networks"]),
    )


@dataclass(frozen=True)
class InForce:
    """The parts one poll uses from its start to its write, whatever a reload does meanwhile."""

    config: Config
    store: Store
    fetcher: Fetcher
    parsers: ParserPool
    budget: BodyBudget


Part = Store | Fetcher | ParserPool


class Poller:
    """Everything a poll needs, opened once: ``async with Poller(config, store) as p``."""

    def __init__(self, config: Config, store: Store, *, clock: Clock = utcnow) -> None:
        self.config = config
        self.store = store  # the caller's: closed by the caller, never here
        self.clock = clock
        self.fetcher = Fetcher(fetch_settings(config))
        self.parsers: ParserPool | None = None
        self.budget = BodyBudget(1)  # sized by __aenter__, from the fetcher and the pool
        self.in_flight: set[asyncio.Task[Any]] = set()  # polls and alert rounds
        self.on_new_hits: Callable[[], None] | None = None  # the daemon: deliver soon
        self.on_outcome: Callable[[FeedOutcome], None] | None = None  # the daemon: metrics
        self.store_failing = False  # the last write failed: the next good one clears the note
        self._given_store = store
        self._polls: dict[object, InForce] = {}  # per running poll, the parts it holds
        self._retired: list[Part] = []  # replaced by a reload, closed once no poll holds them
        self._closing: set[asyncio.Task[None]] = set()
        self._new_interval: set[str] = set()  # feeds whose interval a reload changed
        self.rhythm = rhythm.Budget()  # every feed's rates: the requests a day to share
        # When the oldest hit not yet placed in its story (or announced) was stored; the
        # first poll also places what an earlier run left pending.
        self._pending_since: float | None = time.monotonic()
        self._seen: dict[str, tuple[float, Any]] = {}  # feed -> (when, its rhythm counts)
        self._batches: dict[Store, WriteBatch] = {}  # per store, the polls about to be written

    async def __aenter__(self) -> Poller:
        self.store.sync_feeds(list(self.config.feeds))
        self.store_failing = self.store.write_failure() is not None  # left by an earlier run
        self.parsers = _parser_pool(self.config)
        self.budget = body_budget(self.config, self.parsers)
        await self.fetcher.__aenter__()
        return self

    @property
    def waiting_peak(self) -> int:
        """The most bodies that have waited for (or been in) a parser at once."""
        return self.budget.waiting_peak

    async def __aexit__(self, *exc: object) -> None:
        self._settle(self.store, force=True)
        self._retired += [self.fetcher] if self.parsers is None else [self.fetcher, self.parsers]
        self._retired.append(self.store)
        self._polls.clear()  # a poll still running at exit is abandoned (the daemon waits)
        self._release(exiting=True)
        if self._closing:
            await asyncio.wait(self._closing)

    async def reconfigure(
        self, config: Config, store: Store, *, new_fetcher: bool, new_parsers: bool
    ) -> None:
        """Polls that start from now on use ``config``; polls running go on with their parts.

        ``store`` is a connection opened with the new config's alert plans and stories;
        the poller owns it from now on. A new fetcher (``fetch.*`` changed) and parser
        pool (watches or ``parse.*`` changed) are built only when asked for. Raises
        ``StoreError`` when the feeds table cannot be brought up to date, before
        anything is swapped."""
        assert self.parsers is not None, "use Poller as an async context manager"
        store.sync_feeds(list(config.feeds))
        replaced: list[Part] = [] if store is self.store else [self.store]
        fetcher, parsers = self.fetcher, self.parsers
        if new_fetcher:
            fetcher = Fetcher(fetch_settings(config))
            await fetcher.__aenter__()
            replaced.append(self.fetcher)
        if new_parsers:
            parsers = _parser_pool(config)
            replaced.append(self.parsers)
        before = {f.name: f.interval for f in self.config.feeds}
        self._new_interval |= {
            f.name for f in config.feeds if before.get(f.name, f.interval) != f.interval
        }
        self.config, self.store, self.fetcher, self.parsers = config, store, fetcher, parsers
        if new_fetcher or new_parsers:  # polls running keep the old budget to their end
            budget = body_budget(config, parsers)
            budget.waiting_peak = self.budget.waiting_peak
            self.budget = budget
        self._retired += replaced
        self._release()

    def _release(self, *, exiting: bool = False) -> None:
        """Close each replaced part that neither a running poll nor the next one holds."""
        held = list(self._polls.values())
        if not exiting and self.parsers is not None:
            held.append(InForce(self.config, self.store, self.fetcher, self.parsers, self.budget))
        still: list[Part] = []
        for part in self._retired:
            if any(part is q for p in held for q in (p.store, p.fetcher, p.parsers)):
                still.append(part)
            elif isinstance(part, Store):
                self._batches.pop(part, None)  # no poll holds it: nothing waits to be written
                if part is not self._given_store:
                    part.close()
            else:
                closer = asyncio.create_task(_close(part))
                self._closing.add(closer)
                closer.add_done_callback(self._closing.discard)
        self._retired = still

    async def poll_feed(self, feed: FeedConfig) -> FeedOutcome:
        """Fetch, parse, match and store one feed. Never raises for a feed's own failure."""
        assert self.parsers is not None, "use Poller as an async context manager"
        parts = InForce(self.config, self.store, self.fetcher, self.parsers, self.budget)
        token = object()
        self._polls[token] = parts
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        try:
            return await self._poll(feed, parts)
        finally:
            if task is not None:
                self.in_flight.discard(task)
            held = self._polls.pop(token, None)
            self._settle(parts.store)
            if held is not None and self._retired:
                self._release()

    def _writes(self, store: Store) -> WriteBatch:
        batch = self._batches.get(store)
        if batch is None:
            batch = self._batches[store] = WriteBatch(store)
        return batch

    def _settle(self, store: Store, *, force: bool = False) -> None:
        """Place the hits the polls deferred, in order of publication, once no other
        poll is running (the end of a pass), or once the oldest has waited
        ``SETTLE_AFTER``; then tell the daemon there are alerts to send."""
        since = self._pending_since
        if since is None:
            return
        if self._polls and not force and time.monotonic() - since < SETTLE_AFTER:
            return
        try:
            store.place_pending(self.clock())
        except StoreError as exc:  # stays pending: the next poll tries again
            log.error("store_error placing stories: %s", exc, extra={"event": "store_error"})
            return
        self._pending_since = None
        if self.on_new_hits is not None:
            self.on_new_hits()

    async def _poll(self, feed: FeedConfig, parts: InForce) -> FeedOutcome:
        store = parts.store
        state = store.feed_state(feed.name)
        parsed: ParsedFeed | None = None
        async with parts.budget.place() as budget:
            fetched = await parts.fetcher.fetch(feed, state)
            error = fetched.error
            if fetched.status == "ok":
                try:
                    async with budget.holding():
                        parsed = await parts.parsers.process(
                            fetched.body, fetched.headers, feed.language, fetched.final_url
                        )
                except ParseError as exc:
                    error = str(exc)
        now = self.clock()
        failures = 0 if error is None else state.failures + 1
        next_at, plan_note = self._plan(feed, parts, fetched, parsed, failures, now)
        write = PollWrite(
            feed, fetched, parsed, error, next_at, now, True, {PLAN_KEY + feed.name: plan_note}
        )
        try:
            recorded = await self._writes(store).record(write)
        except StoreError as exc:
            # Nothing was written, the feed's ETag included: the next poll fetches it again.
            return self._store_failed(feed, store, exc, fetched.elapsed, now)
        if self.store_failing:
            self.store_failing = not store.clear_write_failure()
        outcome = FeedOutcome(
            feed=feed.name,
            status="error" if error else fetched.status,
            new_entries=recorded.new_entries,
            new_hits=recorded.new_hits,
            error=error,
            warnings=(parsed.warnings if parsed else ()) + recorded.warnings,
            http_status=fetched.http_status,
            bytes=len(fetched.body),
            elapsed=fetched.elapsed,
        )
        log_outcome(outcome, failures)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        if recorded.new_hits and self._pending_since is None:
            self._pending_since = time.monotonic()
        return outcome

    def _plan(
        self,
        feed: FeedConfig,
        parts: InForce,
        fetched: FetchResult,
        parsed: ParsedFeed | None,
        failures: int,
        now: datetime,
    ) -> tuple[datetime, str]:
        """The next attempt by the feed's rhythm (``rhythm.plan``), and the note of it with
        its reason for `monitor feeds`, which ``record_poll`` writes with the poll.

        A feed's history changes only when it brings new entries: after a poll that
        brought none (a 304, an error) the counts of the last ``HISTORY_FRESH`` serve
        again, so an unchanged poll reads no history."""
        config = parts.config
        limits = feed_bounds(config, feed)
        seen = rhythm.NO_COUNTS
        if limits.adaptive:
            cached = self._seen.get(feed.name)
            fresh = cached is not None and time.monotonic() - cached[0] < HISTORY_FRESH
            if cached is not None and fresh and fetched.status != "ok":
                seen = cached[1]
            else:
                rows, first = parts.store.feed_history(feed.name, now - rhythm.HISTORY)
                seen = rhythm.counts(rhythm.history(rows, first, now), now)
                self._seen[feed.name] = (time.monotonic(), seen)
        self.rhythm.note(feed.name, seen, limits)
        planned = rhythm.plan(
            limits=limits,
            seen=seen,
            reference=self.rhythm.reference(now),
            server=rhythm.limits_from(
                fetched.headers, parsed.ttl if parsed else None, fetched.retry_after
            ),
            now=now,
            failures=failures,
            max_backoff=config["schedule.max_backoff"],
        )
        return planned.at, json.dumps({"at": iso(planned.at), "reason": planned.reason})

    def _store_failed(
        self, feed: FeedConfig, store: Store, exc: StoreError, elapsed: float, now: datetime
    ) -> FeedOutcome:
        """A poll whose results could not be written: one ``store_error`` line, an error
        outcome for the summary and the metrics, and a note ``monitor health`` reads."""
        log.error(
            "store_error feed=%s error=%r",
            feed.name,
            str(exc),
            extra={"event": "store_error", "feed": feed.name, "error": str(exc)},
        )
        self.store_failing = True
        store.note_write_failure(str(exc), now)
        outcome = FeedOutcome(feed.name, "error", error=str(exc), elapsed=elapsed)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    async def poll_due(self, feed: FeedConfig) -> FeedOutcome | None:
        """The scheduler's job: poll the feed unless it is still backing off."""
        state = self.store.feed_state(feed.name)
        # The last success set the next attempt by the old interval; a reload that changed
        # the interval rescheduled the job, whose first run is the one that counts.
        rescheduled = state.failures == 0 and feed.name in self._new_interval
        if not rescheduled and not decide.is_due(state, self.clock()):
            log.debug("skipped feed=%s reason=backoff", feed.name)
            return None
        self._new_interval.discard(feed.name)
        return await self.poll_feed(feed)

    async def poll_all(
        self, feeds: list[FeedConfig], progress: Callable[[FeedOutcome], None] | None = None
    ) -> list[FeedOutcome]:
        """One pass over ``feeds``, in their order, as many polls at once as the body
        budget has places (fetch concurrency and bodies ahead of the parsers); outcomes
        in the order they finish. A pass of any size holds that many polls, not one per
        feed. The polls of a pass overlap, so the hits they defer are placed at its end."""
        outcomes: list[FeedOutcome] = []
        queue = iter(feeds)

        async def lane() -> None:
            for feed in queue:
                outcome = await self.poll_feed(feed)
                outcomes.append(outcome)
                if progress is not None:
                    progress(outcome)

        async with asyncio.TaskGroup() as lanes:
            for _ in range(min(len(feeds), self.budget.places)):
                lanes.create_task(lane())
        return outcomes


#: The state key of a feed's planned next poll and its reason (``Poller._plan``).
PLAN_KEY = "plan:"


def feed_bounds(config: Config, feed: FeedConfig) -> rhythm.Bounds:
    """The feed's rhythm settings, its own or the ``schedule.*`` defaults."""
    return rhythm.bounds(
        feed.interval,
        adaptive=config["schedule.adaptive"] if feed.adaptive is None else feed.adaptive,
        min_interval=feed.min_interval or config["schedule.min_interval"],
        max_interval=feed.max_interval or config["schedule.max_interval"],
    )


def log_outcome(outcome: FeedOutcome, failures: int) -> None:
    """One summary line per feed poll, ``event key=value``; the same fields as ``extra``
    for the JSON log format."""
    level = logging.WARNING if outcome.status == "error" else logging.INFO
    if log.isEnabledFor(level):  # a daemon that logs at WARNING builds no INFO line
        _log_polled(outcome, failures, level)
    for warning in outcome.warnings:
        log.warning(
            "feed_warning feed=%s warning=%r",
            outcome.feed,
            warning,
            extra={"event": "feed_warning", "feed": outcome.feed, "warning": warning},
        )


def _log_polled(outcome: FeedOutcome, failures: int, level: int) -> None:
    fields = {
        "event": "polled",
        "feed": outcome.feed,
        "status": outcome.status,
        "http": outcome.http_status,
        "bytes": outcome.bytes,
        "new": outcome.new_entries,
        "hits": outcome.new_hits,
        "elapsed": round(outcome.elapsed, 3),
        "error": outcome.error,
        "failures": failures,
    }
    keys: tuple[str, ...]
    if outcome.status == "error":
        keys = ("feed", "status", "http", "failures", "error")
    else:
        keys = ("feed", "status", "http", "bytes", "new", "hits", "elapsed")
    line = " ".join(f"{k}={fields[k]!r}" if k == "error" else f"{k}={fields[k]}" for k in keys)
    log.log(level, "polled %s", line, extra=fields)


# The summary names at most this many of the feeds that failed, then "and N more".
NAMED_FAILURES = 3


def summary(outcomes: list[FeedOutcome], seconds: float) -> str:
    """The one line ``monitor poll`` ends with. It names the feeds that failed and why,
    in name order: ``2 failed: dw-top (HTTP 503), zeit (cannot connect)``."""
    count = {s: sum(o.status == s for o in outcomes) for s in ("ok", "not_modified")}
    failed = sorted((o for o in outcomes if o.status == "error"), key=lambda o: o.feed)
    named = ", ".join(f"{o.feed} ({failure_reason(o)})" for o in failed[:NAMED_FAILURES])
    if len(failed) > NAMED_FAILURES:
        named += f" and {len(failed) - NAMED_FAILURES} more"
    return (
        f"polled {len(outcomes)} feeds in {seconds:.1f}s: {count['ok']} ok, "
        f"{count['not_modified']} not modified, {len(failed)} failed"
        + (f": {named}" if failed else "")
        + f"; {sum(o.new_entries for o in outcomes)} new entries, "
        f"{sum(o.new_hits for o in outcomes)} new hits"
    )


def failure_reason(outcome: FeedOutcome, limit: int = 50) -> str:
    """Why a poll failed, in a few words: ``HTTP 503``, ``cannot connect``, ``not a feed``.
    The whole error is in the log and in ``monitor feeds``."""
    if outcome.http_status is not None and outcome.http_status >= 400:
        return f"HTTP {outcome.http_status}"
    reason = " ".join(re.split(r"[:;] ", outcome.error or "error", maxsplit=1)[0].split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def _parser_pool(config: Config) -> ParserPool:
    return ParserPool(
        config.watches,
        workers=config["parse.workers"],
        timeout=config.seconds("parse.timeout"),
        memory_mb=config["parse.memory_mb"],
    )


async def _close(part: Fetcher | ParserPool) -> None:
    if isinstance(part, Fetcher):
        await part.__aexit__()
    else:
        await asyncio.to_thread(part.close)  # stops the workers, waits for them
