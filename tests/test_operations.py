"""Running it as a service: health, logs, metrics, dead feeds, housekeeping, backups."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load
from monitor.decide import feed_flag
from monitor.errors import StoreError
from monitor.housekeeping import flag_feeds, maintain, prune, tell_operator
from monitor.pipeline import utcnow
from monitor.store import Store, iso
from tests.conftest import FIXTURE_FEEDS, FeedServer, wait_for, write_config
from tests.smtp_server import SmtpServer

NOW = utcnow()
H = timedelta(hours=1)


def run(config: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == code, result.output
    return result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feeds = {n: feed_server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
    return write_config(tmp_path, feeds)


def test_health_follows_the_heartbeat(config: Path) -> None:
    assert "unhealthy: no heartbeat recorded yet" in run(config, "health", code=1)
    store = Store(load(config).database)
    store.set_state("heartbeat_at", iso(utcnow()) or "")
    assert run(config, "health").startswith("ok: heartbeat")
    store.set_state("heartbeat_at", iso(utcnow() - timedelta(minutes=10)) or "")
    store.close()
    out = run(config, "health", code=1)
    assert "unhealthy: last heartbeat 10m ago (more than 3m)" in out and out.count("\n") == 1


@pytest.mark.slow
def test_the_daemon_beats_logs_json_and_serves_metrics(
    config: Path, feed_server: FeedServer
) -> None:
    port = free_port()
    config.write_text(
        config.read_text() + f'\n[metrics]\nport = {port}\n[email]\nper = "article"\n'
    )
    daemon = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "--log-format", "json", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(
            lambda: CliRunner().invoke(cli, ["--config", str(config), "health"]).exit_code == 0
        )
        wait_for(lambda: "monitor_hits_total 9.0" in _scrape(port))
        # Hits are counted when stored; their alerts are sent a moment later.
        wait_for(lambda: 'monitor_alerts{state="sent"} 9.0' in _scrape(port))  # in the Maildir
        page = _scrape(port)
        assert 'monitor_fetches_total{outcome="ok"} 5.0' in page
        assert "monitor_last_success_timestamp_seconds" in page
        assert "monitor_fetch_seconds_bucket" in page
    finally:
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    polled = [r for r in records if r.get("event") == "polled"]
    assert len(polled) == 5 and {r["status"] for r in polled} == {"ok"}
    assert all(
        {"feed", "new", "hits", "elapsed", "levelname", "timestamp"} <= set(r) for r in polled
    )
    assert not [line for line in output.splitlines() if line and not line.startswith("{")]


def _scrape(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return ""


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            dict(failures=3, failing_since=NOW - 25 * H, last_error="HTTP 500"),
            "failing for 1d 1h: HTTP 500",
        ),
        (dict(failures=3, failing_since=NOW - 2 * H, last_error="HTTP 500"), None),
        # a wire service: new entries every 10 minutes, silent for 13 hours
        (
            dict(last_entry_at=NOW - 13 * H, gaps=[600.0] * 50),
            "no new entry for 13h 0m; it usually posts every 10m",
        ),
        (dict(last_entry_at=NOW - 11 * H, gaps=[600.0] * 50), None),  # under silent_min
        # a weekly blog, quiet for five days: its usual rhythm
        (dict(last_entry_at=NOW - 120 * H, gaps=[7 * 86400.0] * 20), None),
        (dict(last_entry_at=NOW - 30 * 24 * H, gaps=[7 * 86400.0] * 20), "no new entry for 30d"),
        (dict(last_entry_at=NOW - 48 * H, gaps=[600.0] * 5), None),  # too little history
    ],
    ids=[
        "failing-a-day",
        "failing-two-hours",
        "wire-silent",
        "wire-quiet",
        "weekly-quiet",
        "weekly-dead",
        "new-feed",
    ],
)
def test_feed_flag(case: dict[str, object], expected: str | None) -> None:
    values: dict[str, object] = dict(
        failures=0,
        failing_since=None,
        last_error=None,
        last_entry_at=NOW - H,
        gaps=[],
        now=NOW,
        dead_after=timedelta(days=1),
        silent_min=timedelta(hours=12),
    )
    values.update(case)
    flag = feed_flag(**values)  # type: ignore[arg-type]
    assert flag == expected or (
        expected is not None and flag is not None and flag.startswith(expected)
    )


def test_a_dead_feed_sends_one_warning_and_one_recovery_notice(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    with SmtpServer() as smtp:
        config = write_config(tmp_path, {"flaky": feed_server.url("/feeds/flaky.xml")})
        config.write_text(
            config.read_text()
            + f'\n[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsecurity = "none"\n'
            'to = ["reader@example.org"]\noperator = ["ops@example.org"]\n'
        )
        run(config, "poll", code=1)  # 404: failing from now on
        loaded = load(config)
        store = Store(loaded.database)
        later = utcnow() + timedelta(days=2)
        for _ in range(3):  # hourly rounds: one warning, not one per round
            tell_operator(loaded, store, flag_feeds(store, loaded, later), later)
        [warning] = smtp.wait_for(1)
        assert warning.rcpt_tos == ["ops@example.org"]
        assert warning.message["Subject"] == "[monitor] feed flaky looks dead"
        assert "failing for 2d" in warning.message.get_content()
        assert "DEAD: failing for" in run(config, "feeds")
        feed_server.files["flaky.xml"] = feed_server.files["spiegel.xml"]
        run(config, "poll")
        for _ in range(2):
            tell_operator(loaded, store, flag_feeds(store, loaded, later), later)
        store.close()
        smtp.wait_for(3)  # the warning, the recovered feed's own hit alert, the notice
        notices = [m for m in smtp.messages if m.rcpt_tos == ["ops@example.org"]]
        assert [str(m.message["Subject"]) for m in notices] == [
            "[monitor] feed flaky looks dead",
            "[monitor] feed flaky recovered",
        ]
        assert "DEAD" not in run(config, "feeds")


def test_a_moved_feed_is_reported(tmp_path: Path, feed_server: FeedServer) -> None:
    config = write_config(tmp_path, {"moved": feed_server.url("/bad/moved")})
    run(config, "poll")
    assert "moved to http://127.0.0.1:" in run(config, "feeds") and "update its url" in run(
        config, "feeds"
    )


def test_retention_prunes_only_unmatched_entries_and_keeps_search_consistent(config: Path) -> None:
    run(config, "poll")
    run(config, "mark", "1", "relevant")
    store = Store(load(config).database)
    entries = store.counts()["entries"]
    removed, _ = prune(store, utcnow() + timedelta(days=91), timedelta(days=90))
    assert removed == entries - 9 and store.counts()["hits"] == 9
    fts = store.conn.execute("SELECT count(*) FROM entries_fts").fetchone()[0]
    assert fts == store.counts()["entries"] == 9
    assert store.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 9
    store.close()
    assert "Bundesliga" not in run(config, "hits", "--search", "Bundesliga")
    [kept] = json.loads(run(config, "hits", "--json", "--status", "relevant"))
    assert kept["id"] == 1


def test_weekly_maintenance_runs_once_a_week(config: Path) -> None:
    run(config, "poll")
    store = Store(load(config).database)
    assert maintain(store, NOW) is True
    assert maintain(store, NOW + timedelta(days=3)) is False
    assert maintain(store, NOW + timedelta(days=8)) is True
    assert store.get_state("vacuumed_at") == iso(NOW + timedelta(days=8))
    store.close()


def test_online_backup_while_the_database_is_in_use(config: Path, tmp_path: Path) -> None:
    run(config, "poll")
    holder = sqlite3.connect(tmp_path / "monitor.db")
    holder.execute("BEGIN")  # a reader in the middle of a transaction
    holder.execute("SELECT count(*) FROM entries").fetchone()
    out = run(config, "db", "backup", str(tmp_path / "copy.db"))
    holder.rollback()
    holder.close()
    assert "backed up" in out
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM hits").fetchone()[0] == 9
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert "exists; choose a new file name" in run(
        config, "db", "backup", str(tmp_path / "copy.db"), code=1
    )


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "m.db").close()
    with sqlite3.connect(tmp_path / "m.db") as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
            " VALUES ('monitor', 'm999_from_the_future', '2030-01-01')"
        )
    with pytest.raises(StoreError, match="written by a newer monitor"):
        Store(tmp_path / "m.db")
