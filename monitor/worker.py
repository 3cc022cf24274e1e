"""Parse, normalize and match feed bodies in processes that can be killed.

feedparser can spin for a long time on hostile input, and C code under it can grow
without bound, so every body is handled in a pebble worker process with a deadline
(``parse.timeout``) and an address-space limit (``parse.memory_mb``). A worker that
overruns is killed and replaced; the feed gets a ``ParseError``. The workers also
spread parsing, the costliest stage, over every core.

    bytes -> parse.parse_feed -> normalize.feed_links -> normalize.normalize_entry (each)
          -> match.Matcher -> ParsedFeed (+ normalize.publisher of the feed's title)

``base_url`` is the feed's URL after redirects (``FetchResult.final_url``): relative
links are resolved against it, an HTML page's error names the feeds it declares by it,
and its host tells the publisher's name from a section's in the feed's title.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import resource
from collections.abc import Sequence

import pebble

from monitor.errors import ParseError
from monitor.match import Matcher
from monitor.normalize import feed_links, normalize_entry, publisher
from monitor.parse import parse_feed
from monitor.records import Entry, Match, NearMiss, ParsedFeed
from monitor.watch import WatchSpec

_matcher: Matcher | None = None


def _start_worker(watches: Sequence[WatchSpec], memory_mb: int) -> None:
    global _matcher
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _matcher = Matcher(list(watches))


def process_body(
    body: bytes,
    headers: dict[str, str],
    default_language: str | None,
    matcher: Matcher | None = None,
    base_url: str | None = None,
) -> ParsedFeed:
    """The whole CPU side of one feed. Runs in a worker, or in-process for tests and eval."""
    matcher = matcher or _matcher
    if matcher is None:
        raise RuntimeError("process_body needs a matcher outside a worker")
    raw = parse_feed(body, headers, base_url)
    warnings = list(raw.warnings)
    links = feed_links(raw.entries, base_url)
    entries: list[tuple[Entry, tuple[Match, ...]]] = []
    near: list[tuple[NearMiss, ...]] = []
    for number, item in enumerate(raw.entries, start=1):
        try:
            entry = normalize_entry(item, default_language, links)
        except Exception as exc:  # one bad entry must not cost the others
            warnings.append(f"entry {number} skipped: {exc}")
            continue
        matches, almost = matcher.judge(entry)
        entries.append((entry, matches))
        near.append(almost)
    return ParsedFeed(
        tuple(entries),
        tuple(warnings),
        raw.title,
        publisher(raw.title, raw.link, base_url),
        tuple(near) if any(near) else (),
        ttl=raw.ttl,
    )


class ParserPool:
    """Worker processes for ``process_body``. Use as a context manager."""

    def __init__(
        self,
        watches: Sequence[WatchSpec],
        *,
        workers: int = 0,
        timeout: float = 20.0,
        memory_mb: int = 1024,
    ) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.workers = workers or os.cpu_count() or 1
        self._pool = pebble.ProcessPool(
            max_workers=self.workers,
            initializer=_start_worker,
            initargs=(tuple(watches), memory_mb),
            context=multiprocessing.get_context("spawn"),
        )

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=10)

    async def process(
        self,
        body: bytes,
        headers: dict[str, str],
        default_language: str | None,
        base_url: str | None = None,
    ) -> ParsedFeed:
        """Parse one body in a worker; any failure there becomes a ``ParseError``."""
        future = self._pool.schedule(
            process_body,
            args=(body, headers, default_language),
            kwargs={"base_url": base_url},
            timeout=self.timeout,
        )
        try:
            return await asyncio.wrap_future(future)
        except ParseError:
            raise
        except concurrent.futures.TimeoutError:
            raise ParseError(
                f"parsing took longer than parse.timeout ({self.timeout:g}s); skipped this time"
            ) from None
        except pebble.ProcessExpired as exc:
            raise ParseError(
                f"the parser process died (exit code {exc.exitcode}); the feed may be hostile"
            ) from None
        except MemoryError:
            raise ParseError(
                f"parsing needed more than parse.memory_mb ({self.memory_mb} MiB)"
            ) from None
        except Exception as exc:
            raise ParseError(f"the parser failed: {type(exc).__name__}: {exc}") from None
