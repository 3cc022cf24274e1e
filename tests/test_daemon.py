"""`monitor run` as a real process: it polls on schedule, reloads on SIGHUP and stops
cleanly on SIGTERM or SIGINT."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_FEEDS, FeedServer, wait_for, write_config


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_daemon_polls_repeatedly_then_stops_cleanly(
    tmp_path: Path, feed_server: FeedServer, sig: signal.Signals
) -> None:
    feeds = {name: feed_server.url(f"/feeds/{file}") for name, (file, _) in FIXTURE_FEEDS.items()}
    feeds["down"] = "http://127.0.0.1:9/feed.xml"
    config = write_config(tmp_path, feeds, extra="")
    config.write_text(
        config.read_text().replace(
            "[parse]", '[schedule]\ninterval = "1s"\njitter = "0s"\n\n[parse]'
        )
    )
    db = tmp_path / "monitor.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: count(db, "SELECT count(*) FROM hits") == 9, timeout=30)
        # Polled again on schedule: conditional GETs answered 304, nothing duplicated.
        wait_for(
            lambda: count(db, "SELECT count(*) FROM fetch_log WHERE status = 'not_modified'") >= 5
        )
        # The unreachable feed backs off (1s, 2s, 4s...) but is tried again.
        wait_for(lambda: count(db, "SELECT failures FROM feeds WHERE name = 'down'") >= 2)
        process.send_signal(sig)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "stopped" in output and "Traceback" not in output
    assert count(db, "SELECT count(*) FROM hits") == 9
    assert "polled feed=down status=error" in output


def test_sighup_reloads_the_config_and_the_daemon_runs_on(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"down": "http://127.0.0.1:9/feed.xml"})
    db = tmp_path / "monitor.db"
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        # The first heartbeat is written once the scheduler runs, signal handlers in place.
        wait_for(lambda: count(db, "SELECT count(*) FROM state WHERE key = 'heartbeat_at'") == 1)
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: "config_reloaded" in log.read_text() or process.poll() is not None)
        assert process.poll() is None, log.read_text()  # still running
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert process.returncode == 0, output
    assert "config_reloaded feeds=+0 -0 ~0 watches=~0 settings=~0 trigger=SIGHUP" in output
    assert output.rstrip().endswith("stopped") and "Traceback" not in output


def test_a_poll_in_flight_at_sigterm_finishes_its_write(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    # The feed trickles a byte at a time: the poll is still fetching when the signal comes,
    # and ends at the fetch deadline (3s) with an error, written like any other.
    config = write_config(tmp_path, {"slow": feed_server.url("/bad/trickle")})
    db = tmp_path / "monitor.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: any(path == "/bad/trickle" for path, _ in feed_server.requests))
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "stopping in_flight=1" in output and "Traceback" not in output
    assert "polled feed=slow status=error" in output
    assert count(db, "SELECT count(*) FROM fetch_log WHERE status = 'error'") == 1
