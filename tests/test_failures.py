"""Misbehaving servers are recorded on their feed, and the pass goes on."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import FeedServer, write_config

BAD = {
    "error-500": ("/bad/error-500", "HTTP 500"),
    "hang": ("/bad/hang", "no complete answer within 3s"),
    "trickle": ("/bad/trickle", "no complete answer within 3s"),
    "endless": ("/bad/endless", "body larger than fetch.max_bytes"),
    "gzip-bomb": ("/bad/gzip-bomb", "body larger than fetch.max_bytes"),
    "invalid-xml": ("/bad/invalid-xml", "not a feed"),
    "redirect-loop": ("/bad/redirect-loop", "more than 5 redirects"),
    "busy": ("/bad/busy", "HTTP 503"),
    "refused": ("http://127.0.0.1:9/feed.xml", "cannot connect"),
}


@pytest.fixture
def bad_config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feeds = {
        name: path if path.startswith("http") else feed_server.url(path)
        for name, (path, _) in BAD.items()
    }
    feeds["good"] = feed_server.url("/feeds/yonhap_en.xml")
    feeds["gzip-ok"] = feed_server.url("/bad/gzip-ok")
    feeds["moved"] = feed_server.url("/bad/moved")
    # Fixed intervals: an adaptive wait depends on the hour and the feeds' history, and
    # the waits asserted here are the backoff's and the server's, not the rhythm's.
    return write_config(tmp_path, feeds, extra="[schedule]\nadaptive = false\n")


def poll(config: Path, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
    assert result.exit_code == code, result.output
    return result.output


def feeds(config: Path) -> dict[str, dict[str, object]]:
    out = CliRunner().invoke(cli, ["--config", str(config), "feeds", "--json"]).output
    return {f["name"]: f for f in json.loads(out)}


def test_every_failure_is_recorded_and_the_good_feeds_still_arrive(bad_config: Path) -> None:
    out = poll(bad_config)
    assert f"{len(BAD)} failed" in out and "3 ok" in out
    health = feeds(bad_config)
    for name, (_, reason) in BAD.items():
        assert health[name]["failures"] == 1, name
        assert reason in str(health[name]["last_error"]), (name, health[name]["last_error"])
    for name in ("good", "gzip-ok", "moved"):
        assert health[name]["failures"] == 0 and health[name]["entries"], name
    assert str(health["moved"]["permanent_redirect"]).endswith("/feeds/spiegel.xml")


def test_failures_count_up_and_back_off(bad_config: Path) -> None:
    poll(bad_config)
    poll(bad_config)
    health = feeds(bad_config)
    assert health["error-500"]["failures"] == 2
    assert health["good"]["failures"] == 0
    db = sqlite3.connect(bad_config.parent / "monitor.db")
    rows = dict(db.execute("SELECT name, next_attempt_at FROM feeds"))
    last = dict(db.execute("SELECT name, last_fetch_at FROM feeds"))

    def wait(name: str) -> timedelta:
        return datetime.fromisoformat(rows[name]) - datetime.fromisoformat(last[name])

    assert wait("good") == timedelta(minutes=15)
    assert wait("error-500") == timedelta(minutes=30)  # second failure: twice the interval
    assert wait("busy") == timedelta(hours=2)  # Retry-After: 7200 asks for more
    log = db.execute("SELECT status, count(*) FROM fetch_log GROUP BY status").fetchall()
    assert dict(log)["error"] == 2 * len(BAD)


def test_a_feed_that_recovers_resets_its_failures(tmp_path: Path, feed_server: FeedServer) -> None:
    config = write_config(tmp_path, {"flaky": feed_server.url("/feeds/flaky.xml")})
    poll(config, code=1)  # its only feed failed
    assert feeds(config)["flaky"]["failures"] == 1  # 404 while the file is missing
    feed_server.files["flaky.xml"] = feed_server.files["spiegel.xml"]
    poll(config)
    health = feeds(config)["flaky"]
    assert health["failures"] == 0 and health["entries"] == 6
