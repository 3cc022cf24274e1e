"""The daemon: APScheduler drives one job per feed. The only module importing apscheduler.

Each enabled feed gets an interval job (its own interval, plus ``schedule.jitter``),
``max_instances=1`` so a slow poll is never overlapped by the next, and ``coalesce``
so runs missed while the machine slept collapse into one. A job whose feed is still
backing off after failures returns at once (``decide.is_due``). SIGINT and SIGTERM set
an event; the scheduler stops taking jobs and polls in flight finish their writes.
SIGHUP, which service managers send to ask for a reload, takes the same way out with a
log line saying so: reloading the configuration is not supported yet, and dying of the
signal's default action would leave no trace in the log.
A second job delivers due alerts every minute (``alert.deliver``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from datetime import timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.alert import deliver, plans
from monitor.config import Config
from monitor.errors import MonitorError, StoreError
from monitor.housekeeping import run as run_housekeeping
from monitor.pipeline import Poller, utcnow
from monitor.store import Store, iso

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


ALERT_EVERY = 60  # seconds between deliveries: digests go out within a minute of their time
HEARTBEAT_EVERY = 30  # seconds; `monitor health` fails after health.max_age without one


async def heartbeat(store: Store) -> None:
    """Proof of life for `monitor health`: the scheduler is running and can write.

    A heartbeat that cannot be written is one ``store_error`` line (not a job traceback);
    `monitor health` then sees the heartbeat age, and fails."""
    try:
        store.set_state("heartbeat_at", iso(utcnow()) or "")
    except StoreError as exc:
        log.error(
            "store_error job=heartbeat error=%r",
            str(exc),
            extra={"event": "store_error", "job": "heartbeat", "error": str(exc)},
        )


async def housekeeping(config: Config, poller: Poller) -> None:
    """Hourly: prune, dead-feed checks and notices, the weekly vacuum when idle."""
    idle = not poller.in_flight
    await asyncio.to_thread(_housekeeping_round, config, idle)


def _housekeeping_round(config: Config, idle: bool) -> None:
    store = Store(config.database, alerts=plans(config))
    try:
        run_housekeeping(config, store, utcnow(), idle=idle)
    except MonitorError as exc:
        log.error("housekeeping status=error error=%r", str(exc))
    finally:
        store.close()


class AlertJob:
    """Delivery rounds: every ``ALERT_EVERY`` seconds, and at once after new hits.

    A round runs in a thread with its own database connection. New hits found while a
    round runs ask for another round right after it, so none waits for the next minute.
    """

    def __init__(self, config: Config, in_flight: set[asyncio.Task[Any]]) -> None:
        self.config = config
        self.in_flight = in_flight  # a shutdown waits for a round like for a poll
        self.wanted = False
        self.running = False
        self.job: Job | None = None

    def soon(self) -> None:
        self.wanted = True
        if not self.running and self.job is not None:
            self.job.modify(next_run_time=utcnow())

    async def run(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        self.running = True
        try:
            self.wanted = True
            while self.wanted:
                self.wanted = False
                await asyncio.to_thread(_deliver_round, self.config)
        finally:
            self.running = False
            if task is not None:
                self.in_flight.discard(task)


def _deliver_round(config: Config) -> None:
    store = Store(config.database, alerts=plans(config))
    try:
        deliver(config, store, utcnow())
    except MonitorError as exc:
        log.error("alert_delivery status=error error=%r", str(exc))
    finally:
        store.close()


async def run_daemon(config: Config, store: Store, stop: asyncio.Event | None = None) -> None:
    """Poll every enabled feed on its schedule until ``stop`` is set or a signal arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _hang_up, stop)
    try:
        await _run(config, store, stop)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    log.info("stopped")


def _hang_up(stop: asyncio.Event) -> None:
    log.warning(
        "received SIGHUP; reloading the configuration is not supported yet, stopping cleanly:"
        " restart the service"
    )
    stop.set()


async def _run(config: Config, store: Store, stop: asyncio.Event) -> None:
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
        alerts = AlertJob(config, poller.in_flight)
        alerts.job = scheduler.add_job(
            alerts.run,  # a coroutine function, so APScheduler awaits it on the loop
            IntervalTrigger(seconds=ALERT_EVERY),
            id="alerts",
            name="deliver alerts",
            next_run_time=now + timedelta(seconds=2),
        )
        poller.on_new_hits = alerts.soon  # new hits are alerted at once
        scheduler.add_job(
            heartbeat,
            IntervalTrigger(seconds=HEARTBEAT_EVERY),
            args=[store],
            id="heartbeat",
            name="heartbeat",
            next_run_time=now,
        )
        scheduler.add_job(
            housekeeping,
            IntervalTrigger(hours=1),
            args=[config, poller],
            id="housekeeping",
            name="housekeeping",
            next_run_time=now + timedelta(minutes=1),
        )
        if config["metrics.port"]:
            from monitor import metrics

            metrics.serve(config["metrics.host"], config["metrics.port"], store.path)
            poller.on_outcome = metrics.record
        scheduler.start()
        log.info(
            "started feeds=%d watches=%d database=%s", len(feeds), len(config.watches), store.path
        )
        await stop.wait()
        log.info("stopping in_flight=%d", len(poller.in_flight))
        scheduler.shutdown(wait=False)
        if poller.in_flight:
            await asyncio.wait(poller.in_flight, timeout=config.seconds("fetch.timeout") + 5)
