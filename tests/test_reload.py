"""Reloading the configuration without a restart: what changed (``reload.diff``), a poll
in flight across a reload (``Poller.reconfigure``), and `monitor run` taking in a new
config on SIGHUP or when its files change, refusing a broken one."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.config import load
from monitor.pipeline import Poller
from monitor.reload import diff
from monitor.schedule import open_store
from tests.conftest import WATCHES, Daemon, FeedServer, count, wait_for, write_config

EXTRA_WATCH = """\
description = "the raw materials deal"
[[groups]]
name = "deal"
terms = ["rohstoffabkommen*"]

[stories]
window = "3d"
"""


def watches_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "watches"
    folder.mkdir(exist_ok=True)
    shutil.copy(WATCHES / "nk-troops-russia.toml", folder)
    return folder


def feeds_config(
    tmp_path: Path,
    feeds: dict[str, str],
    *,
    top: str = "",
    schedule: str = "",
    watches: Path = WATCHES,
) -> Path:
    """``write_config`` with each feed's own lines (``url = ...`` and more) and a
    ``[schedule]`` table: every feed polled each second unless ``schedule`` or its own
    lines say otherwise."""
    path = write_config(tmp_path, {}, extra=top, watches=watches)
    keys = {"interval": '"1s"', "jitter": '"0s"'}
    keys |= dict(line.split(" = ", 1) for line in schedule.splitlines())
    table = "[schedule]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items())
    blocks = "".join(f'[[feeds]]\nname = "{name}"\n{lines}\n\n' for name, lines in feeds.items())
    path.write_text(path.read_text().replace("[parse]", table + "\n[parse]") + blocks)
    return path


def url(server: FeedServer, file: str, more: str = "") -> str:
    return f'url = "{server.url("/feeds/" + file)}"\n{more}'


# -- what changed: reload.diff --------------------------------------------------------

A, B = 'url = "http://127.0.0.1:8001/a.xml"', 'url = "http://127.0.0.1:8001/b.xml"'
C = 'url = "http://127.0.0.1:8001/c.xml"\nenabled = false'
BASE = {"a": A, "b": B, "c": C}

# name: (feeds, lines at the top, [schedule] lines, summary, keys that need a restart)
SCENARIOS: dict[str, tuple[dict[str, str], str, str, str, tuple[str, ...]]] = {
    "nothing": (BASE, "", "", "+0 -0 ~0 watches=~0 settings=~0", ()),
    "feed added": (BASE | {"d": A}, "", "", "+1 -0 ~0 watches=~0 settings=~0", ()),
    "feed removed": ({"a": A, "c": C}, "", "", "+0 -1 ~0 watches=~0 settings=~0", ()),
    "disabled feed removed": ({"a": A, "b": B}, "", "", "+0 -0 ~0 watches=~0 settings=~0", ()),
    "one disabled, one enabled": (
        {"a": A, "b": B + "\nenabled = false", "c": C.replace("false", "true")},
        "",
        "",
        "+1 -1 ~0 watches=~0 settings=~0",
        (),
    ),
    "interval changed": (
        BASE | {"a": A + '\ninterval = "5s"'},
        "",
        "",
        "+0 -0 ~1 watches=~0 settings=~0",
        (),
    ),
    "default interval changed": (
        BASE,
        "",
        'interval = "2s"',
        "+0 -0 ~2 watches=~0 settings=~1",
        (),
    ),
    "jitter changed": (BASE, "", 'jitter = "1s"', "+0 -0 ~0 watches=~0 settings=~1", ()),
    "url changed": (BASE | {"b": A}, "", "", "+0 -0 ~1 watches=~0 settings=~0", ()),
    "watch added": (BASE, "", "", "+0 -0 ~0 watches=~1 settings=~0", ()),
    "email.to": (
        BASE,
        '[email]\nto = ["desk@example.org"]\n',
        "",
        "+0 -0 ~0 watches=~0 settings=~1",
        (),
    ),
    "database and metrics port": (
        BASE,
        "[metrics]\nport = 9123\n",
        "",
        "+0 -0 ~0 watches=~0 settings=~0",
        ("database", "metrics.port"),
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_diff_says_what_changed(tmp_path: Path, scenario: str) -> None:
    feeds, top, schedule, summary, restart = SCENARIOS[scenario]
    watches = watches_dir(tmp_path)
    running = load(feeds_config(tmp_path, BASE, watches=watches))
    if scenario == "watch added":
        (watches / "extra.toml").write_text(EXTRA_WATCH)
    path = feeds_config(tmp_path, feeds, top=top, schedule=schedule, watches=watches)
    if restart:
        path.write_text(path.read_text().replace('"monitor.db"', '"other.db"', 1))
    changes = diff(running, load(path))
    assert changes.summary() == "feeds=" + summary
    assert changes.restart == restart
    # A key that needs a restart keeps its running value; the others take the new one.
    assert changes.config.database == running.database
    assert changes.config["metrics.port"] == running["metrics.port"]
    assert changes.new_parsers == (scenario == "watch added")
    assert changes.reschedule_all == (scenario == "jitter changed")
    if scenario == "email.to":
        assert changes.config["email.to"] == ["desk@example.org"]


# -- a poll in flight across a reload -------------------------------------------------


def test_a_poll_in_flight_finishes_with_the_old_config_the_next_uses_the_new(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    watches = watches_dir(tmp_path)
    feeds = {
        "tagesschau": url(feed_server, "tagesschau.xml"),
        "yonhap-en": url(feed_server, "yonhap_en.xml"),
    }
    old = load(feeds_config(tmp_path, feeds, watches=watches))
    (watches / "nk-troops-russia.toml").rename(watches / "nk.toml")  # the same watch, renamed
    new = load(feeds_config(tmp_path, feeds, watches=watches))
    first, second = old.enabled_feeds

    async def scenario() -> None:
        store = open_store(old)
        try:
            async with Poller(old, store) as poller:
                in_flight = asyncio.create_task(poller.poll_feed(first))
                await asyncio.sleep(0)  # the poll has started and holds the old parts
                old_pool, old_fetcher = poller.parsers, poller.fetcher
                assert old_pool is not None
                changes = diff(old, new)
                await poller.reconfigure(
                    changes.config,
                    open_store(changes.config),
                    new_fetcher=True,
                    new_parsers=changes.new_parsers,
                )
                assert poller.parsers is not old_pool and poller.fetcher is not old_fetcher
                assert old_pool._pool.active  # still the in-flight poll's
                assert (await in_flight).new_hits > 0
                assert (await poller.poll_feed(second)).new_hits > 0
                # Once the poll that held them has written, the replaced parts are closed.
                for _ in range(200):
                    if not old_pool._pool.active:
                        break
                    await asyncio.sleep(0.05)
                assert not old_pool._pool.active
            assert store.conn.execute("SELECT 1").fetchone() == (1,)  # the caller's, open
        finally:
            store.close()

    asyncio.run(scenario())
    with sqlite3.connect(old.database) as conn:
        rows = conn.execute(
            "SELECT feeds.name, hits.watch FROM hits JOIN entries ON entries.id = hits.entry_id"
            " JOIN feeds ON feeds.id = entries.feed_id GROUP BY 1, 2"
        ).fetchall()
    assert sorted(rows) == [("tagesschau", "nk-troops-russia"), ("yonhap-en", "nk")]


@pytest.mark.slow
def test_sighup_adds_removes_and_disables_feeds(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon]
) -> None:
    # schedule.reload off: no file watching, so the signal alone does the reload.
    keep = url(feed_server, "yonhap_en.xml")
    disable = url(feed_server, "spiegel.xml")
    feeds = {
        "yonhap-en": keep,
        "tagesschau": url(feed_server, "tagesschau.xml"),
        "spiegel": disable,
    }
    config = feeds_config(tmp_path, feeds, schedule="reload = false")
    daemon = daemons(config)
    for name in feeds:
        daemon.wait_polls(name, 2)
    feeds = {
        "yonhap-en": keep,
        "spiegel": disable + "enabled = false",
        "atom-news": url(feed_server, "atom_news.xml"),
    }  # tagesschau removed
    feeds_config(tmp_path, feeds, schedule="reload = false")
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_log("config_reloaded feeds=+1 -2 ~0 watches=~0 settings=~0 trigger=SIGHUP")
    stopped = {name: daemon.polls(name) for name in ("tagesschau", "spiegel")}
    kept = daemon.polls("yonhap-en")
    daemon.wait_polls("atom-news", 3)
    daemon.wait_polls("yonhap-en", kept + 3)  # still on its schedule
    output = daemon.stop()
    for name, polls in stopped.items():
        assert daemon.polls(name) <= polls + 1, output  # at most a poll in flight
    assert output.count("config_reloaded") == 1
    assert count(daemon.db, "SELECT enabled FROM feeds WHERE name = 'spiegel'") == 0
    assert count(daemon.db, "SELECT count(*) FROM hits") > 0


@pytest.mark.slow
def test_a_changed_interval_is_rescheduled_when_the_file_changes(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon]
) -> None:
    feed = url(feed_server, "yonhap_en.xml", 'interval = "1h"')
    config = feeds_config(tmp_path, {"yonhap-en": feed})
    daemon = daemons(config)
    daemon.wait_polls("yonhap-en", 1)
    # Polled once at the start, then not for an hour; until the interval shrinks.
    feeds_config(tmp_path, {"yonhap-en": feed.replace('"1h"', '"1s"')})
    daemon.wait_log("config_reloaded feeds=+0 -0 ~1 watches=~0 settings=~0 trigger=files")
    daemon.wait_polls("yonhap-en", 4)
    assert daemon.stop().count("config_reloaded") == 1


@pytest.mark.slow
def test_a_changed_watch_file_is_used_for_the_next_polls(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon]
) -> None:
    watches = watches_dir(tmp_path)
    config = feeds_config(
        tmp_path, {"tagesschau": url(feed_server, "tagesschau.xml")}, watches=watches
    )
    daemon = daemons(config)
    daemon.wait_polls("tagesschau", 2)
    (watches / "deal.toml").write_text(EXTRA_WATCH)
    daemon.wait_log("config_reloaded feeds=+0 -0 ~0 watches=~1 settings=~0 trigger=files")
    # The feed brings a new entry about the deal: the new watch finds it, with its alert
    # (the store's alert plans are the new config's) and its story (so are its stories).
    feed_server.files["tagesschau.xml"] = feed_server.files["tagesschau_changed.xml"]
    deal = "SELECT count(*) FROM hits WHERE watch = 'deal'"
    # The hit is placed in its story once its poll is done (the end of the pass).
    wait_for(lambda: count(daemon.db, deal + " AND story_id IS NOT NULL") == 1)
    assert count(daemon.db, deal) == 1
    assert (
        count(
            daemon.db,
            "SELECT count(*) FROM alerts JOIN hits ON hits.id = hit_id WHERE watch = 'deal'",
        )
        == 1
    )
    daemon.stop()


# name: (the file broken, what is appended to it, what the refusal says)
BREAKAGES = {
    "unknown key": ("config", "\n[schedule.oops]\n", "schedule.oops: unknown key"),
    "not TOML": ("config", "\n[[feeds]\n", "not valid TOML"),
    "bad watch file": ("watch", "\n[oops]\n", "nk-troops-russia.toml: oops: unknown key"),
}


@pytest.mark.slow
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_config_is_refused_and_the_running_one_goes_on(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon], breakage: str
) -> None:
    which, damage, problem = BREAKAGES[breakage]
    watches = watches_dir(tmp_path)
    feeds = {"yonhap-en": url(feed_server, "yonhap_en.xml")}
    config = feeds_config(tmp_path, feeds, watches=watches)
    daemon = daemons(config)
    daemon.wait_polls("yonhap-en", 2)
    broken = config if which == "config" else watches / "nk-troops-russia.toml"
    good = broken.read_text()
    broken.write_text(good + damage)
    daemon.wait_log("config_reload_refused error=")
    polls = daemon.polls("yonhap-en")
    daemon.wait_polls("yonhap-en", polls + 4)  # still polling, with the running config
    assert daemon.log().count("config_reload_refused") == 1  # not again at every look
    refused = next(line for line in daemon.log().splitlines() if "config_reload_refused" in line)
    assert problem in refused and "ERROR" in refused and refused.endswith("trigger=files")
    # Fixed (and a feed added): taken in.
    broken.write_text(good)
    if which == "config":
        feeds["atom-news"] = url(feed_server, "atom_news.xml")
        feeds_config(tmp_path, feeds, watches=watches)
    daemon.wait_log("config_reloaded feeds=")
    if which == "config":
        daemon.wait_polls("atom-news", 1)
    daemon.stop()


@pytest.mark.slow
def test_settings_that_need_a_restart_are_said_so_and_kept(
    tmp_path: Path, feed_server: FeedServer, daemons: Callable[[Path], Daemon]
) -> None:
    feeds = {"yonhap-en": url(feed_server, "yonhap_en.xml")}
    config = feeds_config(tmp_path, feeds)
    daemon = daemons(config)
    daemon.wait_polls("yonhap-en", 2)
    feeds["atom-news"] = url(feed_server, "atom_news.xml")
    feeds_config(tmp_path, feeds)
    config.write_text(config.read_text().replace('"monitor.db"', '"other.db"'))
    daemon.wait_log("config_reloaded feeds=+1 -0 ~0 watches=~0 settings=~0 trigger=files")
    daemon.wait_log("WARNING config_needs_restart keys=database")
    daemon.wait_polls("atom-news", 2)  # written to the database it was started with
    daemon.stop()
    assert not (tmp_path / "other.db").exists()
