"""Hits: new hits with their alerts queued (the outbox: email, and one row per push
notification URL) and their story, rescans that mark hits as matching or no longer
matching, and reading hits (``HIT_SELECT``, ``hit_row``).

A rescan is decided before it is written: ``rescan_changes`` reads what each entry's
judgement changes (``RescanChange``) and writes nothing, which is all ``rescan
--dry-run`` shows; ``apply_rescan`` writes those same changes in one transaction. A new
hit of an entry older than ``alert.max_age`` is kept without an alert: widening a watch
finds old news, which is no news.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlite_utils import Database

if TYPE_CHECKING:
    from monitor.stories.keep import Placement

from monitor.records import Entry, Match
from monitor.store.base import StoreBase, from_iso, iso

EMAIL = "email"  # the channel of email alerts; any other channel is a notification URL


@dataclass(frozen=True)
class AlertPlan:
    """What a new hit of one watch queues: alert kinds (immediate, digest) and recipients
    for email, and one immediate alert per push notification URL in ``channels``.

    ``per`` "story": with stories, only a hit that starts a story or brings a new figure
    queues the immediate alert; the story's other articles wait for the digest. Push
    notifications follow the same rule, and have no digest."""

    kinds: tuple[str, ...]
    recipients: tuple[str, ...]
    per: str = "story"
    channels: tuple[str, ...] = ()  # notification URLs as configured ($NAME unexpanded)

    def for_hit(self, news: bool | None) -> tuple[str, ...]:
        """The kinds for a hit; ``news`` is None when the watch keeps no stories."""
        if news is None or news or self.per == "article" or not self.kinds:
            return self.kinds
        return ("digest",)

    def channels_for(self, news: bool | None) -> tuple[str, ...]:
        """The notification URLs a hit goes to: all of them when it brings news."""
        return self.channels if news is None or news or self.per == "article" else ()


@dataclass(frozen=True)
class RescanChange:
    """What re-judging one stored entry changes for one watch; from
    ``HitsMixin.rescan_changes``, to ``apply_rescan`` (which writes it) and to
    ``rescan --dry-run`` (which lists it).

    ``change``: ``new`` (a hit to create; ``alert`` False when the entry is older than
    ``alert.max_age``), ``unmatched`` (a hit that stops matching; ``unsent`` of its alerts
    are still to go, and will be dropped), ``rematched`` (matches again) or ``kept``
    (still matches: its score and terms are refreshed, nothing to list)."""

    watch: str
    entry_id: int
    change: str
    hit_id: int | None = None  # None for a new hit
    match: Match | None = None  # None for an unmatched hit
    alert: bool = True
    unsent: int = 0


def known_since(published: datetime | None, first_seen: datetime | None) -> datetime | None:
    """How old an entry is, for ``alert.max_age``: its publication time, or when monitor
    first saw it if that was earlier (or the entry has no date): an entry is never newer
    than its first sighting, whatever date its feed gives it."""
    known = [when for when in (published, first_seen) if when is not None]
    return min(known) if known else None


class HitsMixin(StoreBase):
    """The hits of ``Store``: inserted with their alerts, rescanned, read."""

    def _insert_hits(
        self,
        db: Database,
        entry_id: int,
        matches: tuple[Match, ...],
        now: datetime,
        entry: Entry | None = None,
        outlet: str = "",
        *,
        defer: bool = False,
        alert: bool = True,
    ) -> int:
        """New hits, each placed in its story and with its alerts queued, in the same
        transaction (the outbox). Without ``entry`` (a rescan) stories are left to
        ``rebuild_stories``. With ``defer``, a hit of a watch that keeps stories waits
        (``pending``) for ``place_pending``, which places a whole pass in order of
        publication and queues the alerts then. Without ``alert`` (a rescan's hit of an
        old entry) no alert is queued."""
        added = 0
        for match in matches:
            stories = entry is not None and self.stories and self.stories.handles(match.watch)
            cursor = db.execute(
                "INSERT OR IGNORE INTO hits (watch, entry_id, score, matched, terms, created_at,"
                " met, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    match.watch,
                    entry_id,
                    match.score,
                    *_match_json(match),
                    iso(now),
                    match.met,
                    int(bool(defer and stories)),
                ],
            )
            if not cursor.rowcount:
                continue
            added += 1
            if defer and stories:
                continue
            hit_id = int(cast(int, cursor.lastrowid))
            placed = None
            if stories and entry is not None and self.stories is not None:
                placed = self.stories.place(db.conn, hit_id, match.watch, entry, outlet, now)
            if alert:
                self._queue_alerts(db, hit_id, match.watch, placed, now)
        return added

    def _queue_alerts(
        self, db: Database, hit_id: int, watch: str, placed: Placement | None, now: datetime
    ) -> None:
        """The outbox rows of a new hit: by its watch's plan and what its story gained."""
        plan = self.alerts.get(watch)
        if plan is None:
            return
        reason = "article" if placed is None else placed.reason
        news = None if placed is None else placed.news
        story_id = placed.story_id if placed else None
        # (kind, channel, recipients): email rows name their recipients, a push
        # notification's URL is its own address.
        rows = [(kind, EMAIL, list(plan.recipients)) for kind in plan.for_hit(news)]
        rows += [("immediate", url, []) for url in plan.channels_for(news)]
        for kind, channel, recipients in rows:
            db.execute(
                "INSERT OR IGNORE INTO alerts (hit_id, kind, channel, state, recipients,"
                " created_at, story_id, reason) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)",
                [hit_id, kind, channel, json.dumps(recipients), iso(now), story_id, reason],
            )

    def place_pending(self, now: datetime) -> int:
        """Place the hits a pass deferred, oldest publication first, as a rebuild would,
        with their alerts, in one transaction; so a pass whose feeds finish in any order
        makes the same stories. Also what a crash left waiting. Returns how many."""
        if self.stories is None:
            return 0
        with self.write() as db:
            rows = db.execute(
                "SELECT hits.id, hits.watch, entries.key, entries.url, entries.title,"
                " entries.summary, entries.published, entries.language, entries.guid,"
                " entries.content, entries.outlet, entries.first_seen_at FROM hits"
                " JOIN entries ON entries.id = hits.entry_id WHERE hits.pending = 1"
                " ORDER BY coalesce(entries.published, entries.first_seen_at), hits.id"
            ).fetchall()
            for row in rows:
                hit_id, watch = row[0], row[1]
                placed = None
                if self.stories.handles(watch):
                    entry = Entry(
                        row[2],
                        row[3],
                        row[4],
                        row[5],
                        from_iso(row[6]),
                        row[7],
                        row[8],
                        row[9] or "",
                    )
                    found = from_iso(row[11]) or now
                    placed = self.stories.place(db.conn, hit_id, watch, entry, row[10], found)
                self._queue_alerts(db, hit_id, watch, placed, now)
                db.execute("UPDATE hits SET pending = 0 WHERE id = ?", [hit_id])
        return len(rows)

    # -- rescan -------------------------------------------------------------------------

    def rescan_changes(
        self,
        watches: list[str],
        results: list[tuple[int, tuple[Match, ...]]],
        alert_after: datetime | None = None,
    ) -> list[RescanChange]:
        """What re-running ``watches`` over stored entries would change; reads, never
        writes (``rescan --dry-run``, and ``apply_rescan`` inside its transaction).

        A flagged miss (``origin = 'flagged'``) stays a hit whatever the watch says. With
        ``alert_after``, a new hit of an entry known since before then gets no alert."""
        conn = self.conn  # in ``apply_rescan``, inside its write transaction
        changes: list[RescanChange] = []
        for entry_id, matches in results:
            matched = {m.watch: m for m in matches}
            for watch in watches:
                row = conn.execute(
                    "SELECT id, still_matches, origin FROM hits WHERE watch = ? AND entry_id = ?",
                    [watch, entry_id],
                ).fetchone()
                match = matched.get(watch)
                if row is None:
                    if match is not None:
                        alert = alert_after is None or not self._older(conn, entry_id, alert_after)
                        changes.append(RescanChange(watch, entry_id, "new", None, match, alert))
                    continue
                hit_id, still, origin = int(row[0]), bool(row[1]), row[2]
                if match is None:
                    if still and origin != "flagged":  # flagged: the reader's word stands
                        unsent = conn.execute(
                            "SELECT count(*) FROM alerts WHERE hit_id = ?"
                            " AND state IN ('pending', 'sending')",
                            [hit_id],
                        ).fetchone()[0]
                        changes.append(
                            RescanChange(watch, entry_id, "unmatched", hit_id, unsent=unsent)
                        )
                    continue
                change = "kept" if still else "rematched"
                changes.append(RescanChange(watch, entry_id, change, hit_id, match))
        return changes

    @staticmethod
    def _older(conn: sqlite3.Connection, entry_id: int, alert_after: datetime) -> bool:
        """Whether an entry is known since before ``alert_after`` (``known_since``)."""
        found = conn.execute(
            "SELECT published, first_seen_at FROM entries WHERE id = ?", [entry_id]
        ).fetchone()
        since = known_since(from_iso(found[0]), from_iso(found[1])) if found else None
        return since is not None and since < alert_after

    def apply_rescan(
        self,
        watches: list[str],
        results: list[tuple[int, tuple[Match, ...]]],
        now: datetime,
        alert_after: datetime | None = None,
    ) -> dict[str, int]:
        """Record what re-running ``watches`` over stored entries found, in one transaction
        (``rescan_changes`` decides, within it).

        New matches become new hits, with their alerts unless the entry is known since
        before ``alert_after`` (``quiet`` counts those); a hit that no longer matches is
        kept, marked ``still_matches = 0``, never deleted (its unsent alerts are dropped
        at delivery); one that matches again is marked back.
        """
        counts = {"new": 0, "quiet": 0, "unmatched": 0, "rematched": 0}
        with self.write() as db:
            for change in self.rescan_changes(watches, results, alert_after):
                if change.change == "new" and change.match is not None:
                    added = self._insert_hits(
                        db, change.entry_id, (change.match,), now, alert=change.alert
                    )
                    counts["new"] += added
                    if added and not change.alert:
                        counts["quiet"] += 1
                elif change.change == "unmatched":
                    db.execute("UPDATE hits SET still_matches = 0 WHERE id = ?", [change.hit_id])
                    counts["unmatched"] += 1
                elif change.match is not None:  # kept or rematched: the judgement refreshed
                    counts["rematched"] += change.change == "rematched"
                    db.execute(
                        "UPDATE hits SET still_matches = 1, score = ?, matched = ?, terms = ?,"
                        " met = ? WHERE id = ?",
                        [
                            change.match.score,
                            *_match_json(change.match),
                            change.match.met,
                            change.hit_id,
                        ],
                    )
        return counts

    # -- reading ------------------------------------------------------------------------

    def hit(self, hit_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query(HIT_SELECT + " WHERE hits.id = ?", [hit_id]))
        return hit_row(rows[0]) if rows else None


HIT_SELECT = """
SELECT hits.id, hits.watch, feeds.name AS feed, entries.outlet, entries.title, entries.url,
       entries.published, entries.summary, entries.content, entries.language, hits.matched,
       hits.terms,
       hits.score, hits.created_at, hits.status, hits.note, hits.marked_at,
       hits.still_matches, entries.first_seen_at, entries.key AS entry_key,
       hits.story_id AS story, hits.met, hits.origin
FROM hits
JOIN entries ON entries.id = hits.entry_id
JOIN feeds ON feeds.id = entries.feed_id
"""


def _match_json(match: Match) -> tuple[str, str]:
    """The ``matched`` and ``terms`` columns of a hit."""
    return (
        json.dumps(match.matched, ensure_ascii=False),
        json.dumps([t.__dict__ for t in match.terms], ensure_ascii=False),
    )


def hit_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["matched"] = json.loads(row["matched"] or "[]")
    row["terms"] = json.loads(row["terms"] or "[]")
    row["still_matches"] = bool(row["still_matches"])
    return row
