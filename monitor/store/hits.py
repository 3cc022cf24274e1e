"""Hits: new hits with their alerts queued (the outbox: email, and one row per push
notification URL) and their story, rescans that mark hits as matching or no longer
matching, and reading hits (``HIT_SELECT``, ``hit_row``).
"""

from __future__ import annotations

import json
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
    ) -> int:
        """New hits, each placed in its story and with its alerts queued, in the same
        transaction (the outbox). Without ``entry`` (a rescan) stories are left to
        ``rebuild_stories``. With ``defer``, a hit of a watch that keeps stories waits
        (``pending``) for ``place_pending``, which places a whole pass in order of
        publication and queues the alerts then."""
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

    def apply_rescan(
        self, watches: list[str], results: list[tuple[int, tuple[Match, ...]]], now: datetime
    ) -> dict[str, int]:
        """Record what re-running ``watches`` over stored entries found, in one transaction.

        New matches become new hits; a hit that no longer matches is kept, marked
        ``still_matches = 0``, never deleted; one that matches again is marked back. A
        flagged miss (``origin = 'flagged'``) stays a hit whatever the watch says.
        """
        counts = {"new": 0, "unmatched": 0, "rematched": 0}
        with self.write() as db:
            for entry_id, matches in results:
                counts["new"] += self._insert_hits(db, entry_id, matches, now)
                matched = {m.watch: m for m in matches}
                for watch in watches:
                    row = db.execute(
                        "SELECT id, still_matches, origin FROM hits"
                        " WHERE watch = ? AND entry_id = ?",
                        [watch, entry_id],
                    ).fetchone()
                    if row is None:
                        continue
                    match = matched.get(watch)
                    if match is None and row[2] == "flagged":
                        continue  # the reader's word: a miss the watch still misses
                    if match is None:
                        if row[1]:
                            db.execute("UPDATE hits SET still_matches = 0 WHERE id = ?", [row[0]])
                            counts["unmatched"] += 1
                        continue
                    counts["rematched"] += not row[1]
                    db.execute(
                        "UPDATE hits SET still_matches = 1, score = ?, matched = ?, terms = ?,"
                        " met = ? WHERE id = ?",
                        [match.score, *_match_json(match), match.met, row[0]],
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
