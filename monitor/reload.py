"""What changed between the running configuration and the one just read: pure decisions.

    running Config, new Config -> diff -> Changes (feeds +added -removed ~changed,
                                                   watches ~changed, settings, restart)
                                       -> Changes.config, the config to run from now on

The daemon (``schedule``) re-reads the config on SIGHUP and when ``signature`` says a
file changed, then applies ``Changes``: jobs added, removed and rescheduled, and the
poller given the new config (``Poller.reconfigure``). A few settings are bound when the
daemon starts (the database it writes, the port its metrics listen on): a new value of
those is reported as needing a restart and the running value is kept until then.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from monitor.config import Config
from monitor.records import FeedConfig

# Bound at start: the database every connection opens, the metrics server's socket.
RESTART_KEYS = ("database", "metrics.host", "metrics.port")
# Read only by other commands: a change is taken in, but means nothing to the daemon.
OTHER_COMMANDS = ("web.allowed_hosts", "health.max_age")


@dataclass(frozen=True)
class Changes:
    """From ``diff`` to the daemon: what a reload changes, and the config it runs on."""

    config: Config  # the new config, with the running value of every key in ``restart``
    added: tuple[FeedConfig, ...] = ()  # polled from now on: new, or enabled again
    removed: tuple[str, ...] = ()  # no longer polled: gone from the config, or disabled
    changed: tuple[FeedConfig, ...] = ()  # polled before and after, with a new url, interval...
    watches: tuple[str, ...] = ()  # watch files added, removed or changed
    settings: tuple[str, ...] = ()  # other keys, in effect for the next polls and rounds
    restart: tuple[str, ...] = ()  # keys whose new value waits for a restart

    @property
    def new_fetcher(self) -> bool:
        """A ``fetch.*`` key changed: the next polls need a fetcher built with it."""
        return any(key.startswith("fetch.") for key in self.settings)

    @property
    def new_parsers(self) -> bool:
        """The parser processes hold the watches' matchers and the ``parse.*`` limits."""
        return bool(self.watches) or any(key.startswith("parse.") for key in self.settings)

    @property
    def reschedule_all(self) -> bool:
        """Every feed's trigger carries the jitter."""
        return "schedule.jitter" in self.settings

    def summary(self) -> str:
        """The log line's fields: ``feeds=+2 -1 ~0 watches=~1 settings=~0``."""
        return (
            f"feeds=+{len(self.added)} -{len(self.removed)} ~{len(self.changed)}"
            f" watches=~{len(self.watches)} settings=~{len(self.settings)}"
        )


def diff(running: Config, new: Config) -> Changes:
    """Compare the running config with a newly read one (both valid)."""
    before = {f.name: f for f in running.enabled_feeds}
    after = {f.name: f for f in new.enabled_feeds}
    old_watches = {w.name: w for w in running.watches}
    new_watches = {w.name: w for w in new.watches}
    keys = [k for k in new.values if new.values[k] != running.values.get(k)]
    restart = tuple(k for k in keys if k in RESTART_KEYS)
    kept = {k: running.values[k] for k in restart}
    return Changes(
        config=replace(new, values={**new.values, **kept}) if kept else new,
        added=tuple(f for name, f in after.items() if name not in before),
        removed=tuple(name for name in before if name not in after),
        changed=tuple(f for name, f in after.items() if name in before and before[name] != f),
        watches=tuple(
            sorted(
                name
                for name in old_watches.keys() | new_watches.keys()
                if old_watches.get(name) != new_watches.get(name)
            )
        ),
        settings=tuple(k for k in keys if k not in RESTART_KEYS),
        restart=restart,
    )


Signature = tuple[tuple[str, int, int], ...]


def signature(config: Config) -> Signature:
    """The config file and the watch files as ``stat`` sees them (name, mtime, size).

    The one function here that touches the disk, and only with ``stat``: a file added,
    removed, rewritten or touched changes the signature. A file that cannot be read is
    in it as ``(name, -1, -1)``; loading it is what reports the problem."""
    paths = [config.path]
    folder = config["watches_dir"]
    if folder is not None:
        try:
            paths += sorted(Path(folder).glob("*.toml"))
        except OSError:
            paths.append(Path(folder))
    found = []
    for path in paths:
        try:
            stat = os.stat(path)
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            found.append((str(path), -1, -1))
    return tuple(found)
