"""An optional Prometheus endpoint (``metrics.port``). The only module importing
prometheus_client.

Counters and a histogram are fed by every poll (``record``); gauges that describe the
database (alerts by state, feeds in backoff or dead, the last successful poll) are read
from it at each scrape, with a connection of their own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor.records import FeedOutcome

FETCHES = Counter("monitor_fetches", "Feed polls by outcome.", ["outcome"])
FETCH_SECONDS = Histogram(
    "monitor_fetch_seconds",
    "Time to fetch one feed.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
FETCH_BYTES = Counter("monitor_fetch_bytes", "Feed bytes received, after decompression.")
ENTRIES = Counter("monitor_entries", "New entries stored.")
HITS = Counter("monitor_hits", "New hits found.")


def record(outcome: FeedOutcome) -> None:
    FETCHES.labels(outcome=outcome.status).inc()
    FETCH_SECONDS.observe(outcome.elapsed)
    FETCH_BYTES.inc(outcome.bytes)
    ENTRIES.inc(outcome.new_entries)
    HITS.inc(outcome.new_hits)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def collect(self) -> Iterator[GaugeMetricFamily]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        try:
            alerts = GaugeMetricFamily("monitor_alerts", "Alerts by state.", labels=["state"])
            for state, count in conn.execute("SELECT state, count(*) FROM alerts GROUP BY state"):
                alerts.add_metric([state], count)
            yield alerts
            now = datetime.now(UTC).isoformat(timespec="seconds")  # as the store writes it
            backoff = conn.execute(
                "SELECT count(*) FROM feeds WHERE enabled = 1 AND failures > 0"
                " AND next_attempt_at > ?",
                [now],
            ).fetchone()[0]
            yield GaugeMetricFamily(
                "monitor_feeds_in_backoff", "Feeds waiting after failures.", value=backoff
            )
            dead = conn.execute(
                "SELECT count(*) FROM feeds WHERE dead_reason IS NOT NULL"
            ).fetchone()[0]
            yield GaugeMetricFamily("monitor_feeds_dead", "Feeds flagged dead.", value=dead)
            last = conn.execute("SELECT max(last_success_at) FROM feeds").fetchone()[0]
            yield GaugeMetricFamily(
                "monitor_last_success_timestamp_seconds",
                "When a feed was last polled successfully (Unix time).",
                value=datetime.fromisoformat(last).timestamp() if last else 0,
            )
        finally:
            conn.close()


def serve(host: str, port: int, database: Path) -> None:
    """Start the endpoint in a background thread (the daemon calls this once)."""
    REGISTRY.register(DatabaseCollector(database))
    start_http_server(port, addr=host)
