"""A database that cannot be written: one ``store_error`` line per feed, a failing
``monitor health``, nothing stored before lost, and recovery once there is room
(issue 9, item 8)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load
from monitor.errors import StoreError
from monitor.pipeline import Poller
from monitor.records import Entry, FeedConfig, FeedOutcome, FetchResult, ParsedFeed
from monitor.store import Store
from tests.conftest import FEEDS, FIXTURE_FEEDS, FeedServer, write_config

NOW = datetime(2025, 2, 27, 12, 0, tzinfo=UTC)
FEED = FeedConfig("f", "https://example.org/feed", timedelta(minutes=10), "example.org")


def test_a_full_database_is_a_store_error_and_keeps_what_was_stored(tmp_path: Path) -> None:
    """SQLite's page limit gives the same SQLITE_FULL a full disk gives, on any machine."""
    store = Store(tmp_path / "m.db")
    store.sync_feeds([FEED])
    first = Entry("guid:1", None, "First", "kept", NOW, "en", "1")
    store.record_poll(
        FEED,
        FetchResult("ok"),
        ParsedFeed(((first, ()),)),
        error=None,
        next_attempt_at=NOW,
        now=NOW,
    )
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    big = tuple(
        (Entry(f"guid:{n}", None, f"Entry {n}", "x" * 5000, NOW, "en", str(n)), ())
        for n in range(2, 50)
    )
    with pytest.raises(StoreError, match="database or disk is full") as caught:
        store.record_poll(
            FEED, FetchResult("ok"), ParsedFeed(big), error=None, next_attempt_at=NOW, now=NOW
        )
    assert caught.value.hint and "free space" in caught.value.hint
    assert not store.conn.in_transaction  # rolled back, ready for the next poll
    assert [r["title"] for r in store.db.query("SELECT title FROM entries")] == ["First"]
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MiB file system (tmpfs), where the test can run out of space."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of ``disk``; remove the returned file to give them back."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_a_full_disk_fails_polls_and_health_and_recovers(
    small_disk: Path, tmp_path: Path, feed_server: FeedServer
) -> None:
    feeds = {name: feed_server.url(f"/feeds/{file}") for name, (file, _) in FIXTURE_FEEDS.items()}
    config = write_config(tmp_path, feeds, extra=f'database = "{small_disk}/monitor.db"')
    config.write_text(config.read_text().replace('database = "monitor.db"\n', ""))
    feed_server.files = {n: b for n, b in feed_server.files.items() if n != "yonhap_en.xml"}
    assert run(config, "-q", "poll")[0] == 0
    with sqlite3.connect(small_disk / "monitor.db") as db:
        db.execute("INSERT INTO state (key, value) VALUES ('heartbeat_at', ?)", [_now()])
        before = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    assert before > 0
    assert run(config, "health")[0] == 0

    # The daemon keeps its connection open, and with it the write-ahead log's pages.
    daemon = sqlite3.connect(small_disk / "monitor.db")
    daemon.execute("SELECT count(*) FROM state").fetchone()
    filler = fill(small_disk)
    feed_server.files["yonhap_en.xml"] = (FEEDS / "yonhap_en.xml").read_bytes()
    code, printed = run(config, "-q", "poll")
    errors = [line for line in printed.splitlines() if "store_error" in line]
    failed = [e.split("feed=")[1].split()[0] for e in errors]
    # The changed feed cannot store its entries; an unchanged one's small write may still
    # fit once the write-ahead log starts over. One line per failed feed, never two.
    assert "yonhap-en" in failed and len(failed) == len(set(failed)), printed
    assert all("database or disk is full" in e for e in errors), printed
    assert f"{len(failed)} failed" in printed
    code, printed = run(config, "health")
    assert code == 1 and "unhealthy" in printed and "full" in printed, printed

    filler.unlink()
    daemon.close()
    assert run(config, "-q", "poll")[0] == 0
    with sqlite3.connect(small_disk / "monitor.db") as db:
        db.execute("UPDATE state SET value = ? WHERE key = 'heartbeat_at'", [_now()])
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] > before
    assert run(config, "health")[0] == 0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def test_when_only_large_writes_fail_health_reads_the_daemons_note(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Small writes may still fit (a reused write-ahead log, a page limit) while a poll's
    do not: the poller leaves a note, `monitor health` reports it, a good write clears it."""
    feeds = {name: feed_server.url(f"/feeds/{file}") for name, (file, _) in FIXTURE_FEEDS.items()}
    config_path = write_config(tmp_path, feeds)
    config = load(config_path)
    store = Store(config.database)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # this connection only

    async def one_pass() -> list[FeedOutcome]:
        async with Poller(config, store) as poller:
            return await poller.poll_all(list(config.feeds))

    outcomes = asyncio.run(one_pass())
    assert {o.status for o in outcomes} == {"error"}
    assert all("database or disk is full" in (o.error or "") for o in outcomes)
    code, printed = run(config_path, "health")
    assert code == 1 and "cannot write to the database since" in printed, printed

    store.conn.execute("PRAGMA max_page_count = 1073741823")
    outcomes = asyncio.run(one_pass())
    assert {o.status for o in outcomes} == {"ok"}
    assert store.write_failure() is None
