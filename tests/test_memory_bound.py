"""The body budget: however many feeds a pass has, it holds at most ``budget.places``
fetched bodies at once.

Real parts: the conftest ``FeedServer`` serves big feeds (hundreds of KB, each a few
tenths of a second of parsing), the real ``ParserPool`` parses them with one worker, and
fetching at ``fetch.concurrency = 2`` is far faster than that. Without the budget every
body is fetched long before the worker is free. Two counts are checked: the poller's
own (``waiting_peak``), and one it cannot bend: the requests the server has received
for feeds whose outcome has not come back yet.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.config import Config, load
from monitor.pacing import BODIES_PER_WORKER
from monitor.pipeline import Poller
from monitor.records import FeedOutcome
from monitor.store import Store
from tests.conftest import FeedServer, write_config

BIG_FEEDS = 16


def big_feed(number: int, items: int = 500) -> bytes:
    """An RSS 2.0 feed of ``items`` items with long summaries: about 400 KB."""
    words = " ".join(f"word{k} Nachrichten aus aller Welt" for k in range(60))
    body = "".join(
        f"<item><guid>feed{number}-item{k}</guid><title>Item {k} of feed {number}</title>"
        f"<link>https://example.org/{number}/{k}</link>"
        f"<description>&lt;p&gt;{words}&lt;/p&gt;</description>"
        "<pubDate>Mon, 28 Apr 2025 09:00:00 +0000</pubDate></item>"
        for k in range(items)
    )
    channel = f"<channel><title>Feed {number}</title><link>https://example.org/</link>{body}"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</channel></rss>'.encode()


def farm_config(tmp_path: Path, server: FeedServer, hanging: int = 0) -> Config:
    feeds = {f"hang-{n}": server.url(f"/bad/hang?{n}") for n in range(hanging)}
    for number in range(BIG_FEEDS):
        server.files[f"big-{number}.xml"] = big_feed(number)
        feeds[f"big-{number}"] = server.url(f"/feeds/big-{number}.xml")
    path = write_config(tmp_path, feeds)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("concurrency = 8", "concurrency = 2"), encoding="utf-8")
    return load(path)


class Ahead:
    """Requests the server has received for polls whose outcome is not back yet.

    Each such poll holds a place from before its request until its body is parsed, so
    at every outcome this is at most the budget's places."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.reported = 0
        self.most = 0

    def __call__(self, outcome: FeedOutcome) -> None:
        self.reported += 1
        self.most = max(self.most, len(self.server.requests) - self.reported)


def test_a_first_pass_holds_no_more_bodies_than_its_places(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = farm_config(tmp_path, feed_server)
    store = Store(tmp_path / "monitor.db")
    ahead = Ahead(feed_server)

    async def first_pass() -> tuple[list[FeedOutcome], int, int]:
        async with Poller(config, store) as poller:
            outcomes = await poller.poll_all(list(config.feeds), progress=ahead)
            return outcomes, poller.budget.places, poller.waiting_peak

    outcomes, places, peak = asyncio.run(first_pass())
    assert places == 2 + BODIES_PER_WORKER * 1  # fetch.concurrency + a few per worker
    assert [o.status for o in outcomes] == ["ok"] * BIG_FEEDS
    assert sum(o.new_entries for o in outcomes) == BIG_FEEDS * 500
    assert len(feed_server.requests) == BIG_FEEDS
    assert 2 <= peak <= places  # bodies did queue for the one worker, never beyond the budget
    assert ahead.most <= places, ahead.most
    store.close()


def test_hanging_feeds_give_their_places_back(tmp_path: Path, feed_server: FeedServer) -> None:
    """More hanging feeds than places, first in the list: they hold every place until
    ``fetch.timeout``, then the big feeds go through; the pass ends, nothing deadlocks."""
    config = farm_config(tmp_path, feed_server, hanging=8)
    store = Store(tmp_path / "monitor.db")
    ahead = Ahead(feed_server)

    async def first_pass() -> tuple[list[FeedOutcome], int, int]:
        async with Poller(config, store) as poller:
            outcomes = await asyncio.wait_for(
                poller.poll_all(list(config.feeds), progress=ahead), timeout=60
            )
            return outcomes, poller.budget.places, poller.waiting_peak

    try:
        outcomes, places, peak = asyncio.run(first_pass())
    finally:
        feed_server.stop_event.set()  # let the server's hanging handlers go
    assert places < 8
    status = {o.feed: o.status for o in outcomes}
    assert status == {
        **{f"hang-{n}": "error" for n in range(8)},
        **{f"big-{n}": "ok" for n in range(BIG_FEEDS)},
    }
    assert 1 <= peak <= places
    assert ahead.most <= places, ahead.most
    store.close()


def test_the_daemons_jobs_share_the_budget(tmp_path: Path, feed_server: FeedServer) -> None:
    """The scheduler's jobs (``poll_due``), all due at once, wait for places too."""
    config = farm_config(tmp_path, feed_server)
    store = Store(tmp_path / "monitor.db")
    ahead = Ahead(feed_server)

    async def every_job_at_once() -> tuple[list[FeedOutcome | None], int, int]:
        async with Poller(config, store) as poller:
            poller.on_outcome = ahead
            outcomes = await asyncio.gather(*(poller.poll_due(f) for f in config.feeds))
            return outcomes, poller.budget.places, poller.waiting_peak

    outcomes, places, peak = asyncio.run(every_job_at_once())
    assert [o.status if o else None for o in outcomes] == ["ok"] * BIG_FEEDS
    assert 2 <= peak <= places
    assert ahead.most <= places, ahead.most
    store.close()
