"""An item is one entry however its feed names it: guids that change on every request
do not turn one story into a new entry, hit and alert per poll (issue 9, item 5)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import FeedServer, write_config

ITEM = """<item><guid isPermaLink="false">{guid}</guid>
<title>North Korean troops deployed to Kursk, Seoul says</title>
<description>South Korea's spy agency says North Korea has sent soldiers to fight for
Russia against Ukraine in the Kursk region.</description></item>"""
OTHER = """<item><guid isPermaLink="false">{guid}</guid><title>Weather in Seoul</title>
<description>Sunny, {n} degrees.</description></item>"""


def feed(*items: str) -> bytes:
    body = "".join(items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Storm</title>{body}'.encode()


def poll(config: Path) -> str:
    """One ``monitor poll``; returns what it printed, warnings included."""
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
    assert result.exit_code == 0, result.output
    return result.output


def count(config: Path, table: str) -> int:
    with sqlite3.connect(config.parent / "monitor.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def storm(tmp_path: Path, feed_server: FeedServer) -> Path:
    return write_config(tmp_path, {"storm": feed_server.url("/feeds/storm.xml")})


def test_a_guid_that_changes_on_every_request_is_one_entry_hit_and_alert(
    storm: Path, feed_server: FeedServer
) -> None:
    printed = ""
    for n in range(8):
        feed_server.files["storm.xml"] = feed(ITEM.format(guid=f"urn:uuid:{n}-a"))
        printed += poll(storm)
    assert (count(storm, "entries"), count(storm, "hits"), count(storm, "alerts")) == (1, 1, 1)
    warnings = [line for line in printed.splitlines() if "ids are not stable" in line]
    assert len(warnings) == 1, printed  # one warning, not one per poll
    assert "feed=storm" in warnings[0]


def test_stable_ids_reset_the_count_and_new_items_still_count(
    storm: Path, feed_server: FeedServer
) -> None:
    printed = ""
    for n in range(6):
        # One item keeps its guid: the feed's ids are stable, whatever the other does.
        feed_server.files["storm.xml"] = feed(
            ITEM.format(guid=f"urn:uuid:{n}"), OTHER.format(guid="weather-1", n=3)
        )
        printed += poll(storm)
    # A different item with a new guid and new text is a new entry.
    feed_server.files["storm.xml"] = feed(OTHER.format(guid="weather-2", n=20))
    poll(storm)
    assert count(storm, "entries") == 3
    assert count(storm, "hits") == 1
    assert "ids are not stable" not in printed


def test_the_same_text_long_after_is_a_new_entry(tmp_path: Path) -> None:
    """Only recent entries are matched by text: a yearly "Happy new year" post is new."""
    from datetime import UTC, datetime, timedelta

    from monitor.records import Entry, FeedConfig, FetchResult, ParsedFeed
    from monitor.store import SAME_TEXT_WINDOW, Store

    store = Store(tmp_path / "m.db")
    blog = FeedConfig("blog", "https://blog.example/feed", timedelta(hours=1), "blog.example")
    store.sync_feeds([blog])
    now = datetime(2025, 1, 1, tzinfo=UTC)

    def record(guid: str, when: datetime) -> int:
        item = Entry(f"guid:{guid}", None, "Happy new year", "", when, "en", guid)
        done = store.record_poll(
            blog,
            FetchResult("ok"),
            ParsedFeed(((item, ()),)),
            error=None,
            next_attempt_at=when,
            now=when,
        )
        return done.new_entries

    assert record("2025", now) == 1
    assert record("2025-again", now + timedelta(days=1)) == 0
    assert record("2026", now + SAME_TEXT_WINDOW + timedelta(days=2)) == 1
