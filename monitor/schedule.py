"""The daemon: APScheduler drives one job per feed. The only module importing apscheduler.

Each enabled feed gets an interval job (its own interval, plus ``schedule.jitter``),
``max_instances=1`` so a slow poll is never overlapped by the next, and ``coalesce``
so runs missed while the machine slept collapse into one. A job whose feed is still
backing off after failures returns at once (``decide.is_due``). SIGINT and SIGTERM set
an event; the scheduler stops taking jobs and polls in flight finish their writes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Config
from monitor.pipeline import Poller, utcnow
from monitor.store import Store

log = logging.getLogger(__name__)


async def run_daemon(config: Config, store: Store, stop: asyncio.Event | None = None) -> None:
    """Poll every enabled feed on its schedule until ``stop`` is set or a signal arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    jitter = config.seconds("schedule.jitter")
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    async with Poller(config, store) as poller:
        feeds = config.enabled_feeds
        now = utcnow()
        for feed in feeds:
            scheduler.add_job(
                poller.poll_due,
                IntervalTrigger(seconds=feed.interval.total_seconds(), jitter=jitter or None),
                args=[feed],
                id=feed.name,
                name=f"poll {feed.name}",
                # Spread the first pass over a few seconds rather than all at once.
                next_run_time=now + timedelta(seconds=random.uniform(0, min(jitter, 5.0))),
            )
        scheduler.start()
        log.info(
            "started feeds=%d watches=%d database=%s", len(feeds), len(config.watches), store.path
        )
        await stop.wait()
        log.info("stopping in_flight=%d", len(poller.in_flight))
        scheduler.shutdown(wait=False)
        if poller.in_flight:
            await asyncio.wait(poller.in_flight, timeout=config.seconds("fetch.timeout") + 5)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    log.info("stopped")
