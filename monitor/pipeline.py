"""Compose the stages into one poll of one feed, and a pass over many.

    feed | store.feed_state | fetch | worker(parse, normalize, match)
         | decide.next_attempt | store.record_poll

Fetches overlap (``fetch.concurrency`` in flight), parsing runs in worker processes on
every core, and each feed's results are written in one transaction. A failing feed is
a value (``FeedOutcome(status="error")``), recorded on the feed; it never stops a pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from monitor import decide
from monitor.config import Config
from monitor.errors import ParseError, StoreError
from monitor.fetch import Fetcher, FetchSettings
from monitor.records import FeedConfig, FeedOutcome, ParsedFeed
from monitor.store import Store
from monitor.worker import ParserPool

log = logging.getLogger(__name__)

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


class Poller:
    """Everything a poll needs, opened once: ``async with Poller(config, store) as p``."""

    def __init__(self, config: Config, store: Store, *, clock: Clock = utcnow) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.fetcher = Fetcher(fetch_settings(config))
        self.parsers: ParserPool | None = None
        self.in_flight: set[asyncio.Task[Any]] = set()  # polls and alert rounds
        self.on_new_hits: Callable[[], None] | None = None  # the daemon: deliver soon
        self.on_outcome: Callable[[FeedOutcome], None] | None = None  # the daemon: metrics
        self.store_failing = False  # the last write failed: the next good one clears the note

    async def __aenter__(self) -> Poller:
        self.store.sync_feeds(list(self.config.feeds))
        self.store_failing = self.store.write_failure() is not None  # left by an earlier run
        self.parsers = ParserPool(
            self.config.watches,
            workers=self.config["parse.workers"],
            timeout=self.config.seconds("parse.timeout"),
            memory_mb=self.config["parse.memory_mb"],
        )
        await self.fetcher.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.fetcher.__aexit__()
        if self.parsers is not None:
            self.parsers.close()

    async def poll_feed(self, feed: FeedConfig) -> FeedOutcome:
        """Fetch, parse, match and store one feed. Never raises for a feed's own failure."""
        assert self.parsers is not None, "use Poller as an async context manager"
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        try:
            return await self._poll(feed)
        finally:
            if task is not None:
                self.in_flight.discard(task)

    async def _poll(self, feed: FeedConfig) -> FeedOutcome:
        assert self.parsers is not None
        state = self.store.feed_state(feed.name)
        fetched = await self.fetcher.fetch(feed, state)
        parsed: ParsedFeed | None = None
        error = fetched.error
        if fetched.status == "ok":
            try:
                parsed = await self.parsers.process(
                    fetched.body, fetched.headers, feed.language, fetched.final_url
                )
            except ParseError as exc:
                error = str(exc)
        now = self.clock()
        failures = 0 if error is None else state.failures + 1
        next_at = decide.next_attempt(
            failures, feed.interval, self.config["schedule.max_backoff"], now, fetched.retry_after
        )
        try:
            recorded = self.store.record_poll(
                feed, fetched, parsed, error=error, next_attempt_at=next_at, now=now
            )
        except StoreError as exc:
            # Nothing was written, the feed's ETag included: the next poll fetches it again.
            return self._store_failed(feed, exc, fetched.elapsed, now)
        if self.store_failing:
            self.store_failing = not self.store.clear_write_failure()
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
        if recorded.new_hits and self.on_new_hits is not None:
            self.on_new_hits()
        return outcome

    def _store_failed(
        self, feed: FeedConfig, exc: StoreError, elapsed: float, now: datetime
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
        self.store.note_write_failure(str(exc), now)
        outcome = FeedOutcome(feed.name, "error", error=str(exc), elapsed=elapsed)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    async def poll_due(self, feed: FeedConfig) -> FeedOutcome | None:
        """The scheduler's job: poll the feed unless it is still backing off."""
        if not decide.is_due(self.store.feed_state(feed.name), self.clock()):
            log.debug("skipped feed=%s reason=backoff", feed.name)
            return None
        return await self.poll_feed(feed)

    async def poll_all(
        self, feeds: list[FeedConfig], progress: Callable[[FeedOutcome], None] | None = None
    ) -> list[FeedOutcome]:
        """One pass over ``feeds``, all started at once; concurrency is bounded by fetch."""
        outcomes: list[FeedOutcome] = []
        for next_done in asyncio.as_completed([self.poll_feed(f) for f in feeds]):
            outcome = await next_done
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
        return outcomes


def log_outcome(outcome: FeedOutcome, failures: int) -> None:
    """One summary line per feed poll, ``event key=value``; the same fields as ``extra``
    for the JSON log format."""
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
        level = logging.WARNING
    else:
        keys = ("feed", "status", "http", "bytes", "new", "hits", "elapsed")
        level = logging.INFO
    line = " ".join(f"{k}={fields[k]!r}" if k == "error" else f"{k}={fields[k]}" for k in keys)
    log.log(level, "polled %s", line, extra=fields)
    for warning in outcome.warnings:
        log.warning(
            "feed_warning feed=%s warning=%r",
            outcome.feed,
            warning,
            extra={"event": "feed_warning", "feed": outcome.feed, "warning": warning},
        )


def summary(outcomes: list[FeedOutcome], seconds: float) -> str:
    """The one line ``monitor poll`` ends with."""
    count = {s: sum(o.status == s for o in outcomes) for s in ("ok", "not_modified", "error")}
    return (
        f"polled {len(outcomes)} feeds in {seconds:.1f}s: {count['ok']} ok, "
        f"{count['not_modified']} not modified, {count['error']} failed; "
        f"{sum(o.new_entries for o in outcomes)} new entries, "
        f"{sum(o.new_hits for o in outcomes)} new hits"
    )
