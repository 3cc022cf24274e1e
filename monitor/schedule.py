"""The daemon: APScheduler drives one job per feed. The only module importing apscheduler.

Each enabled feed gets an interval job (its own interval, plus ``schedule.jitter``),
``max_instances=1`` so a slow poll is never overlapped by the next, and ``coalesce``
so runs missed while the machine slept collapse into one. A job whose feed is still
backing off after failures, or whose planned poll has not come, returns at once
(``decide.is_due``). Every run ends by moving the job's next run to the feed's planned
time (``PollJob``: the rhythm's ``next_attempt_at``, plus a little jitter), sooner or
later than its interval; the interval trigger stays underneath as the fallback, so a
feed whose plan cannot be read is still looked at every interval. SIGINT and SIGTERM set
an event; the scheduler stops taking jobs and polls in flight finish their writes.
A second job delivers due alerts every minute (``alert.deliver``).

SIGHUP, and with ``schedule.reload`` a change to the config file or a watch file (their
``stat`` is compared every few seconds), re-read the whole configuration:

    load | reload.diff | poller.reconfigure | jobs added, removed, rescheduled

A config that does not load is refused with its problems, and the running one goes on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import signal
from contextlib import suppress
from datetime import timedelta
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.alert import deliver, plans
from monitor.config import Config, load
from monitor.errors import ConfigError, MonitorError, StoreError
from monitor.housekeeping import run as run_housekeeping
from monitor.pipeline import Poller, utcnow
from monitor.records import FeedConfig
from monitor.reload import Changes, Signature, diff, signature
from monitor.store import Store, iso
from monitor.stories.keep import StoryKeeper

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


ALERT_EVERY = 60  # seconds between deliveries: digests go out within a minute of their time
HEARTBEAT_EVERY = 30  # seconds; `monitor health` fails after health.max_age without one
CHECK_FILES_EVERY = 2.0  # seconds between looks at the config's modification times


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


async def housekeeping(poller: Poller) -> None:
    """Hourly: prune, dead-feed checks and notices, the weekly vacuum when idle."""
    idle = not poller.in_flight
    await asyncio.to_thread(_housekeeping_round, poller.config, idle)


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


def open_store(config: Config) -> Store:
    """A connection that queues the config's alerts and places hits in its stories."""
    return Store(config.database, alerts=plans(config), stories=StoryKeeper(config.watches))


async def run_daemon(config: Config, store: Store, stop: asyncio.Event | None = None) -> None:
    """Poll every enabled feed on its schedule until ``stop`` is set or a signal arrives."""
    stop = stop or asyncio.Event()
    hangup = asyncio.Event()  # a SIGHUP: reload (one that comes while starting waits for it)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, hangup.set)
    try:
        await _run(config, store, stop, hangup)
    finally:
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
    log.info("stopped")


class PollJob:
    """A feed's job: poll it when due, then run again at its planned time."""

    def __init__(self, scheduler: AsyncIOScheduler, poller: Poller) -> None:
        self.scheduler = scheduler
        self.poller = poller

    async def run(self, feed: FeedConfig) -> None:
        await self.poller.poll_due(feed)
        try:
            planned = self.poller.store.feed_state(feed.name).next_attempt_at
        except StoreError:
            return  # the interval trigger runs it again
        if planned is None:
            return
        now = utcnow()
        wait = max(0.0, (planned - now).total_seconds())
        # Jitter after the planned time only (never before a server's limit), and small
        # beside a short wait: a busy feed's two minutes stay about two minutes.
        jitter = min(self.poller.config.seconds("schedule.jitter"), wait / 10)
        at = now + timedelta(seconds=wait + random.uniform(0, jitter))
        with suppress(JobLookupError):  # removed by a reload meanwhile
            self.scheduler.modify_job(feed.name, next_run_time=at)


def _schedule_feed(
    scheduler: AsyncIOScheduler, poller: Poller, feed: FeedConfig, first_in: float
) -> None:
    """The feed's job, first run in up to ``first_in`` seconds (spread, not all at once)."""
    jitter = poller.config.seconds("schedule.jitter")
    scheduler.add_job(
        PollJob(scheduler, poller).run,
        _trigger(poller.config, feed),
        args=[feed],
        id=feed.name,
        name=f"poll {feed.name}",
        replace_existing=True,
        next_run_time=utcnow() + timedelta(seconds=random.uniform(0, min(jitter, first_in))),
    )


def _trigger(config: Config, feed: FeedConfig) -> IntervalTrigger:
    jitter = config.seconds("schedule.jitter")
    return IntervalTrigger(seconds=feed.interval.total_seconds(), jitter=jitter or None)


async def _run(config: Config, store: Store, stop: asyncio.Event, hangup: asyncio.Event) -> None:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    async with Poller(config, store) as poller:
        feeds = config.enabled_feeds
        now = utcnow()
        for feed in feeds:
            _schedule_feed(scheduler, poller, feed, first_in=5.0)
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
            args=[poller],
            id="housekeeping",
            name="housekeeping",
            next_run_time=now + timedelta(minutes=1),
        )
        if config["metrics.port"]:
            from monitor import metrics

            metrics.serve(config["metrics.host"], config["metrics.port"], store.path)
            poller.on_outcome = metrics.record
        reloader = Reloader(scheduler, poller, alerts, hangup)
        scheduler.start()
        reloads = asyncio.create_task(reloader.run())
        log.info(
            "started feeds=%d watches=%d database=%s", len(feeds), len(config.watches), store.path
        )
        await stop.wait()
        await reloader.stop(reloads)
        log.info("stopping in_flight=%d", len(poller.in_flight))
        # Paused first: shutting down cancels the jobs still running, and those must
        # finish their writes (up to a fetch's deadline).
        scheduler.pause()
        if poller.in_flight:
            timeout = poller.config.seconds("fetch.timeout") + 5
            await asyncio.wait(poller.in_flight, timeout=timeout)
        scheduler.shutdown(wait=False)


class Reloader:
    """Re-reads the configuration on SIGHUP and when its files change, one reload at a time.

    Files are compared by ``reload.signature`` every ``CHECK_FILES_EVERY`` seconds while
    ``schedule.reload`` is on, and read once two looks in a row agree: a file caught
    half-written by an editor waits for the next look instead of being refused."""

    def __init__(
        self, scheduler: AsyncIOScheduler, poller: Poller, alerts: AlertJob, hangup: asyncio.Event
    ) -> None:
        self.scheduler = scheduler
        self.poller = poller
        self.alerts = alerts
        self.hangup = hangup
        self.loaded: Signature = signature(poller.config)  # the files the config came from
        self.seen = self.loaded  # at the last look
        self.stopping = False

    async def run(self) -> None:
        while not self.stopping:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.hangup.wait(), CHECK_FILES_EVERY)
            if self.stopping:
                return
            try:
                if self.hangup.is_set():
                    self.hangup.clear()
                    await self.reload("SIGHUP")
                elif self.poller.config["schedule.reload"]:
                    now = await asyncio.to_thread(signature, self.poller.config)
                    if now != self.loaded and now == self.seen:
                        await self.reload("files")
                    self.seen = now
            except Exception:  # a bug: logged, and the daemon goes on with what it has
                log.exception("config_reload_failed")

    async def stop(self, task: asyncio.Task[None]) -> None:
        """At shutdown: a reload under way finishes (it is quick), then the task ends."""
        self.stopping = True
        self.hangup.set()
        await task

    async def reload(self, trigger: str) -> None:
        running = self.poller.config
        before = await asyncio.to_thread(signature, running)
        self.loaded = self.seen = before  # refused or not: not again until a file changes
        try:
            new = await asyncio.to_thread(load, running.path)
        except ConfigError as exc:
            _refused(trigger, "; ".join(exc.problems))
            return
        changes = diff(running, new)
        try:
            store = open_store(changes.config)
        except StoreError as exc:
            _refused(trigger, str(exc))
            return
        try:
            await self.poller.reconfigure(
                changes.config,
                store,
                new_fetcher=changes.new_fetcher,
                new_parsers=changes.new_parsers,
            )
        except MonitorError as exc:
            store.close()
            _refused(trigger, str(exc))
            return
        if new["watches_dir"] != running["watches_dir"]:
            self.loaded = self.seen = signature(new)
        self._reschedule(changes)
        self.alerts.config = changes.config
        log.info(
            "config_reloaded %s trigger=%s",
            changes.summary(),
            trigger,
            extra={"event": "config_reloaded", "trigger": trigger},
        )
        if changes.restart:
            log.warning(
                "config_needs_restart keys=%s: changed, but each needs a restart; until then"
                " the running value is kept",
                ",".join(changes.restart),
                extra={"event": "config_needs_restart", "keys": list(changes.restart)},
            )

    def _reschedule(self, changes: Changes) -> None:
        """Jobs for the feeds added, none for those removed, new triggers for changed ones."""
        for name in changes.removed:
            if self.scheduler.get_job(name) is not None:
                self.scheduler.remove_job(name)  # a poll running now still finishes
        for feed in changes.added:
            _schedule_feed(self.scheduler, self.poller, feed, first_in=2.0)
        changed = {f.name: f for f in changes.changed}
        if changes.reschedule_all:
            changed = {f.name: f for f in changes.config.enabled_feeds} | changed
        added = {f.name for f in changes.added}
        for name, feed in changed.items():
            job = self.scheduler.get_job(name)
            if job is None or name in added:
                continue
            job.modify(args=[feed])
            old = job.trigger
            new = _trigger(changes.config, feed)
            if not (
                isinstance(old, IntervalTrigger)
                and old.interval == new.interval
                and old.jitter == new.jitter
            ):
                job.reschedule(new)


def _refused(trigger: str, error: str) -> None:
    log.error(
        "config_reload_refused error=%r trigger=%s",
        error,
        trigger,
        extra={"event": "config_reload_refused", "trigger": trigger, "error": error},
    )
