"""Pacing a pass: how many fetched bodies wait for a parser, and how polls share writes.

    poll: BodyBudget.place | fetch | BodyBudget.holding (parse) | WriteBatch.record

``BodyBudget`` bounds the bodies a pass holds in memory; ``WriteBatch`` writes the polls
answered in the same turn of the event loop in one transaction. ``pipeline`` uses both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from monitor.config import Config
from monitor.store import Recorded, Store
from monitor.store.entries import PollWrite
from monitor.worker import ParserPool

# Bodies fetched ahead for each parser process, on top of the fetches in flight.
BODIES_PER_WORKER = 4


class BodyBudget:
    """Places for polls between the start of their fetch and the end of their parse.

    Without it a pass of 20,000 feeds fetches every body long before a worker is free
    to parse it, and holds them all (37 MB per 1,000 feeds of the bench's farm). A poll
    waits for a place before it fetches and keeps it while its body waits for a worker
    and is parsed; a 304 or a failed fetch gives it back as soon as its request is
    answered. Every way out of a poll gives the place back (a fetch and a parse each
    have their deadline), so a slow or failing feed holds one place for at most
    ``fetch.timeout`` + ``parse.timeout`` and cannot stall the others; a body of any
    size takes one place."""

    def __init__(self, places: int) -> None:
        self.places = places
        self._free = asyncio.Semaphore(places)
        self.waiting = 0  # bodies fetched and not yet parsed
        self.waiting_peak = 0  # the most there have been at once

    @asynccontextmanager
    async def place(self) -> AsyncIterator[BodyBudget]:
        async with self._free:
            yield self

    @asynccontextmanager
    async def holding(self) -> AsyncIterator[None]:
        """Around the parse of a fetched body (inside ``place``): counts it as waiting."""
        self.waiting += 1
        self.waiting_peak = max(self.waiting_peak, self.waiting)
        try:
            yield
        finally:
            self.waiting -= 1


def body_budget(config: Config, parsers: ParserPool) -> BodyBudget:
    """Enough places for every fetch in flight, and a few bodies ahead of each worker."""
    return BodyBudget(config["fetch.concurrency"] + BODIES_PER_WORKER * parsers.workers)


class WriteBatch:
    """The polls whose results are ready in the same turn of the event loop, written
    in one transaction (``Store.record_polls``) at the start of the next turn.

    A 304 writes three small rows, and its BEGIN and COMMIT cost about as much again;
    polls answered together share them. A poll waits for its batch's COMMIT before it
    logs, counts or returns its outcome, so a crash loses at most the polls of one batch,
    none of them reported as done. A batch holds at most the polls that hold places in
    the ``BodyBudget`` (``fetch.concurrency`` + ``BODIES_PER_WORKER`` x ``parse.workers``),
    in practice the few answered within one turn; a poll alone is written alone."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: list[tuple[PollWrite, asyncio.Future[Recorded]]] = []

    async def record(self, poll: PollWrite) -> Recorded:
        """Written with the others of this turn; raises what kept it from being written."""
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        if not self._waiting:
            asyncio.get_running_loop().call_soon(self._flush)
        self._waiting.append((poll, future))
        return await future

    def _flush(self) -> None:
        batch, self._waiting = self._waiting, []
        results = self.store.record_polls([poll for poll, _ in batch])
        for (_, future), result in zip(batch, results, strict=True):
            if future.cancelled():  # written all the same; its poll reports nothing
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
