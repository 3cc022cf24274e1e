"""Keeping a long-running database healthy: retention, maintenance, dead feeds.

    prune      entries that never matched, older than housekeeping.retention (hits,
               triage marks and alerts are never pruned); old fetch-log rows
    maintain   once a week, when idle: PRAGMA optimize, FTS optimize, VACUUM
    dead feeds decide.feed_flag per feed; one warning to the operator when a feed dies,
               one notice when it recovers (flags and "told" are kept on the feed)

The daemon runs ``run`` every hour; the search index follows deletions through its
triggers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from monitor import decide
from monitor.config import Config
from monitor.errors import MailError
from monitor.store import Store, from_iso, iso

log = logging.getLogger(__name__)
WEEK = timedelta(days=7)
GAP_HISTORY = 100  # recent new entries a feed's rhythm is learned from


@dataclass(frozen=True)
class Change:
    feed: str
    reason: str | None  # None: recovered
    url: str


PRUNED = "pruned_before"  # the state key: every unmatched entry older is gone


def prune(store: Store, now: datetime, retention: timedelta) -> tuple[int, int]:
    """Delete unmatched entries and fetch-log rows older than ``retention``.

    Entries are looked at from where the last round stopped (the ``pruned_before``
    state) up to the cutoff: what is older is gone already or has a hit, and kept, so a
    round reads what it deletes, not the growing number of old entries with hits."""
    cutoff = iso(now - retention) or ""
    since = store.get_state(PRUNED) or ""
    with store.write() as db:
        chosen = (
            "SELECT id FROM entries WHERE first_seen_at >= ? AND first_seen_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM hits WHERE hits.entry_id = entries.id)"
        )
        # near misses go with their entries (a flagged one has a hit: kept)
        db.execute(f"DELETE FROM near_misses WHERE entry_id IN ({chosen})", [since, cutoff])
        entries = db.execute(
            "DELETE FROM entries WHERE first_seen_at >= ? AND first_seen_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM hits WHERE hits.entry_id = entries.id)",
            [since, cutoff],
        ).rowcount
        fetches = db.execute("DELETE FROM fetch_log WHERE at < ?", [cutoff]).rowcount
        if cutoff > since:
            db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [PRUNED, cutoff],
            )
    if entries or fetches:
        log.info(
            "pruned entries=%d fetch_log=%d",
            entries,
            fetches,
            extra={"event": "pruned", "entries": entries, "fetch_log": fetches},
        )
    return entries, fetches


def maintain(store: Store, now: datetime, *, force: bool = False) -> bool:
    """The weekly optimize and VACUUM; returns whether it ran."""
    last = from_iso(store.get_state("vacuumed_at"))
    if not force and last is not None and now - last < WEEK:
        return False
    store.conn.execute("PRAGMA optimize")
    with store.write() as db:
        db.execute("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")
    store.conn.execute("VACUUM")  # outside any transaction, as SQLite requires
    store.set_state("vacuumed_at", iso(now) or "")
    log.info("vacuumed", extra={"event": "vacuumed"})
    return True


def flag_feeds(store: Store, config: Config, now: datetime) -> list[Change]:
    """Flag dead feeds and clear recovered ones; returns what changed and is not yet told."""
    changes: list[Change] = []
    feeds = store.db.query(
        "SELECT id, name, url, failures, last_error, last_success_at, dead_reason, dead_notified"
        " FROM feeds WHERE enabled = 1"
    )
    for feed in list(feeds):
        reason = decide.feed_flag(
            failures=feed["failures"] or 0,
            failing_since=_failing_since(store, feed["id"], feed["last_success_at"]),
            last_error=feed["last_error"],
            last_entry_at=_last_entry(store, feed["id"]),
            gaps=_gaps(store, feed["id"]),
            now=now,
            dead_after=config["housekeeping.dead_after"],
            silent_min=config["housekeeping.silent_min"],
        )
        was = feed["dead_reason"]
        if reason and not was:
            with store.write() as db:
                db.execute(
                    "UPDATE feeds SET dead_reason = ?, dead_since = ?, dead_notified = 0"
                    " WHERE id = ?",
                    [reason, iso(now), feed["id"]],
                )
            log.warning(
                "feed_dead feed=%s reason=%r",
                feed["name"],
                reason,
                extra={"event": "feed_dead", "feed": feed["name"], "reason": reason},
            )
        elif was and not reason:
            with store.write() as db:
                # dead_notified 1 -> 2: a recovery notice is owed; 0 -> cleared silently
                db.execute(
                    "UPDATE feeds SET dead_reason = NULL, dead_since = NULL,"
                    " dead_notified = CASE WHEN dead_notified = 1 THEN 2 ELSE NULL END"
                    " WHERE id = ?",
                    [feed["id"]],
                )
            log.info(
                "feed_recovered feed=%s",
                feed["name"],
                extra={"event": "feed_recovered", "feed": feed["name"]},
            )
        elif reason and was != reason:
            with store.write() as db:
                db.execute("UPDATE feeds SET dead_reason = ? WHERE id = ?", [reason, feed["id"]])
    for row in store.db.query(
        "SELECT name, url, dead_reason, dead_notified FROM feeds"
        " WHERE (dead_reason IS NOT NULL AND dead_notified = 0) OR dead_notified = 2"
    ):
        changes.append(Change(row["name"], row["dead_reason"], row["url"]))
    return changes


def tell_operator(config: Config, store: Store, changes: list[Change], now: datetime) -> int:
    """One email per dead feed (and per recovery); kept owed until the mail goes out."""
    from monitor.alert import transport
    from monitor.message import operator_notice

    if not changes:
        return 0
    recipients = tuple(config["email.operator"] or config["email.to"])
    told = 0
    try:
        with transport(config).session() as session:
            for change in changes:
                msg = operator_notice(
                    change.feed,
                    change.reason,
                    change.url,
                    sender=config["email.from"],
                    recipients=recipients,
                    prefix=config["email.subject_prefix"],
                    now=now,
                )
                session.send(msg, list(recipients))
                with store.write() as db:
                    db.execute(
                        "UPDATE feeds SET dead_notified = CASE WHEN dead_reason IS NULL"
                        " THEN NULL ELSE 1 END WHERE name = ?",
                        [change.feed],
                    )
                told += 1
    except MailError as exc:
        log.warning(
            "feed_notice status=retry error=%r",
            str(exc),
            extra={"event": "feed_notice", "status": "retry", "error": str(exc)},
        )
    return told


def run(config: Config, store: Store, now: datetime, *, idle: bool) -> None:
    """The hourly housekeeping round."""
    prune(store, now, config["housekeeping.retention"])
    tell_operator(config, store, flag_feeds(store, config, now), now)
    if idle:
        maintain(store, now)


def _failing_since(store: Store, feed_id: int, last_success: str | None) -> datetime | None:
    """The first failed poll after the last success (or ever)."""
    row = store.conn.execute(
        "SELECT min(at) FROM fetch_log WHERE feed_id = ? AND status = 'error' AND at > ?",
        [feed_id, last_success or ""],
    ).fetchone()
    return from_iso(row[0]) if row and row[0] else None


def _last_entry(store: Store, feed_id: int) -> datetime | None:
    row = store.conn.execute(
        # By (feed_id, first_seen_at): a max() over first_seen_at alone walks that index
        # back to the feed's last entry, through every other feed's newer ones.
        "SELECT first_seen_at FROM entries INDEXED BY idx_entries_feed_id_first_seen_at"
        " WHERE feed_id = ? ORDER BY first_seen_at DESC LIMIT 1",
        [feed_id],
    ).fetchone()
    return from_iso(row[0]) if row and row[0] else None


def _gaps(store: Store, feed_id: int) -> list[float]:
    """Seconds between the feed's recent new entries, as first seen by this database."""
    times = [
        from_iso(row[0])
        for row in store.conn.execute(
            "SELECT DISTINCT first_seen_at FROM entries"
            " INDEXED BY idx_entries_feed_id_first_seen_at WHERE feed_id = ?"
            " ORDER BY first_seen_at DESC LIMIT ?",
            [feed_id, GAP_HISTORY],
        )
    ]
    stamps = sorted(t for t in times if t is not None)
    return [(b - a).total_seconds() for a, b in pairwise(stamps)]
