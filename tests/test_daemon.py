"""`monitor run` as a real process: it polls on schedule, reloads on SIGHUP and stops
cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import (
    FIXTURE_FEEDS,
    Daemon,
    FeedServer,
    count,
    fast_schedule,
    wait_for,
    write_config,
)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_daemon_polls_repeatedly_then_stops_cleanly(
    tmp_path: Path,
    feed_server: FeedServer,
    sig: signal.Signals,
    daemons: Callable[[Path], Daemon],
) -> None:
    feeds = {name: feed_server.url(f"/feeds/{file}") for name, (file, _) in FIXTURE_FEEDS.items()}
    feeds["down"] = "http://127.0.0.1:9/feed.xml"
    daemon = daemons(fast_schedule(write_config(tmp_path, feeds, extra="")))
    db = daemon.db
    wait_for(lambda: count(db, "SELECT count(*) FROM hits") == 9, timeout=30)
    # Polled again on schedule: conditional GETs answered 304, nothing duplicated.
    wait_for(lambda: count(db, "SELECT count(*) FROM fetch_log WHERE status = 'not_modified'") >= 5)
    # The unreachable feed backs off (1s, 2s, 4s...) but is tried again.
    wait_for(lambda: count(db, "SELECT failures FROM feeds WHERE name = 'down'") >= 2)
    output = daemon.stop(sig)
    assert count(db, "SELECT count(*) FROM hits") == 9
    assert "polled feed=down status=error" in output


def test_sighup_reloads_the_config_and_the_daemon_runs_on(
    tmp_path: Path, daemons: Callable[[Path], Daemon]
) -> None:
    daemon = daemons(write_config(tmp_path, {"down": "http://127.0.0.1:9/feed.xml"}))
    # The first heartbeat is written once the scheduler runs, signal handlers in place.
    wait_for(lambda: count(daemon.db, "SELECT count(*) FROM state WHERE key = 'heartbeat_at'") == 1)
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_log("config_reloaded")
    assert daemon.process.poll() is None, daemon.log()  # still running
    output = daemon.stop()
    assert "config_reloaded feeds=+0 -0 ~0 watches=~0 settings=~0 trigger=SIGHUP" in output


def test_a_poll_in_flight_at_sigterm_finishes_its_write(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon]
) -> None:
    # The feed trickles a byte at a time: the poll is still fetching when the signal comes,
    # and ends at the fetch deadline (3s) with an error, written like any other.
    daemon = daemons(write_config(tmp_path, {"slow": feed_server.url("/bad/trickle")}))
    wait_for(lambda: any(path == "/bad/trickle" for path, _ in feed_server.requests))
    output = daemon.stop()
    assert "stopping in_flight=1" in output
    assert "polled feed=slow status=error" in output
    assert count(daemon.db, "SELECT count(*) FROM fetch_log WHERE status = 'error'") == 1
