"""Near misses and the reader's labels: entries a watch almost took, kept as polls find
them; a flagged near miss becomes a hit (``origin = 'flagged'``), stored, placed in its
story and alerted like any other; ``labelled`` reads every mark back for ``learn``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.records import Entry, Match, NearMiss, TermHit
from monitor.store.base import COUNT_LIMIT, from_iso, iso
from monitor.store.hits import HitsMixin

NEAR_SELECT = """
SELECT near_misses.id, near_misses.watch, near_misses.entry_id, near_misses.why,
       near_misses.missing, near_misses.terms, near_misses.created_at,
       near_misses.flagged_at, near_misses.hit_id, feeds.name AS feed, entries.outlet,
       entries.title, entries.url, entries.published, entries.summary, entries.language
FROM near_misses
JOIN entries ON entries.id = near_misses.entry_id
JOIN feeds ON feeds.id = entries.feed_id
"""


class MissesMixin(HitsMixin):
    """The near misses of ``Store``: kept, listed, flagged; and the labels of a watch."""

    def _insert_near(
        self, db: Database, entry_id: int, near: Sequence[NearMiss], now: datetime
    ) -> None:
        """Keep an entry's near misses, unless the watch already made it a hit."""
        for miss in near:
            db.execute(
                "INSERT OR IGNORE INTO near_misses (watch, entry_id, why, missing, terms,"
                " created_at) SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS"
                " (SELECT 1 FROM hits WHERE watch = ? AND entry_id = ?)",
                [
                    miss.watch,
                    entry_id,
                    miss.why,
                    json.dumps(miss.missing),
                    json.dumps([t.__dict__ for t in miss.terms], ensure_ascii=False),
                    iso(now),
                    miss.watch,
                    entry_id,
                ],
            )

    def replace_near(
        self,
        watches: Sequence[str],
        results: Sequence[tuple[int, Sequence[NearMiss]]],
        now: datetime,
    ) -> int:
        """After a rescan: the unflagged near misses of ``watches`` for these entries are
        what the watches make of them now. Returns how many there are."""
        kept = 0
        with self.write() as db:
            for entry_id, near in results:
                for watch in watches:
                    db.execute(
                        "DELETE FROM near_misses WHERE watch = ? AND entry_id = ?"
                        " AND flagged_at IS NULL",
                        [watch, entry_id],
                    )
                chosen = [m for m in near if m.watch in watches]
                self._insert_near(db, entry_id, chosen, now)
                kept += len(chosen)
        return kept

    def near_misses(
        self,
        *,
        watch: str | None = None,
        since: datetime | None = None,
        flagged: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Near misses newest first: those not flagged (or, with ``flagged``, those that
        were), and never one whose entry became a hit of the watch since."""
        where, params = _near_where(watch, since, flagged)
        rows = self.db.query(
            NEAR_SELECT + where + " ORDER BY near_misses.created_at DESC, near_misses.id DESC"
            " LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [near_row(row) for row in rows]

    def count_near_misses(
        self, *, watch: str | None = None, since: datetime | None = None, flagged: bool = False
    ) -> int:
        """How many near misses there are, up to ``COUNT_LIMIT + 1`` (then: more)."""
        where, params = _near_where(watch, since, flagged)
        sql = (  # in the list's order: by its index, never a walk of every near miss
            f"SELECT count(*) FROM (SELECT 1 FROM near_misses{where}"
            f" ORDER BY near_misses.created_at DESC LIMIT {COUNT_LIMIT + 1})"
        )
        return int(self.conn.execute(sql, params).fetchone()[0])

    def near_miss(self, near_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query(NEAR_SELECT + " WHERE near_misses.id = ?", [near_id]))
        return near_row(rows[0]) if rows else None

    def flag_miss(self, near_id: int, now: datetime, note: str | None = None) -> int | None:
        """The reader says a near miss is about the story: it becomes a relevant hit with
        ``origin = 'flagged'``, placed in its story and alerted like a match. Returns the
        hit's id (the same one when flagged twice), or None for an unknown near miss."""
        with self.write() as db:
            row = db.execute(
                "SELECT near_misses.watch, near_misses.entry_id, near_misses.terms,"
                " near_misses.hit_id, entries.key, entries.url, entries.title,"
                " entries.summary, entries.published, entries.language, entries.guid,"
                " entries.content, entries.outlet FROM near_misses"
                " JOIN entries ON entries.id = near_misses.entry_id WHERE near_misses.id = ?",
                [near_id],
            ).fetchone()
            if row is None:
                return None
            watch, entry_id, terms, hit_id = row[0], row[1], row[2], row[3]
            if hit_id is not None:
                return int(hit_id)
            origin = "match"  # a rescan may have made it a hit since
            hit = db.execute(
                "SELECT id FROM hits WHERE watch = ? AND entry_id = ?", [watch, entry_id]
            ).fetchone()
            if hit is None:
                found = tuple(TermHit(**t) for t in json.loads(terms or "[]"))
                entry = Entry(
                    row[4], row[5], row[6], row[7], from_iso(row[8]), row[9], row[10], row[11] or ""
                )
                self._insert_hits(db, entry_id, (Match(watch, 0.0, found),), now, entry, row[12])
                hit = db.execute(
                    "SELECT id FROM hits WHERE watch = ? AND entry_id = ?", [watch, entry_id]
                ).fetchone()
                origin = "flagged"
            hit_id = int(hit[0])
            db.execute(
                "UPDATE hits SET origin = ?, status = 'relevant', marked_at = ?,"
                " note = coalesce(?, note) WHERE id = ?",
                [origin, iso(now), note, hit_id],
            )
            db.execute(
                "UPDATE near_misses SET flagged_at = ?, hit_id = ? WHERE id = ?",
                [iso(now), hit_id, near_id],
            )
        return hit_id

    def labelled(self, watch: str) -> list[dict[str, Any]]:
        """The reader's labels of ``watch``: every hit marked relevant or irrelevant, and
        every flagged miss (relevant by definition), with the entry's text and language.
        ``origin`` says which: ``match`` (the watch took it) or ``flagged``."""
        rows = self.db.query(
            "SELECT hits.id AS hit_id, hits.entry_id, hits.status, hits.origin,"
            " hits.still_matches, entries.title, entries.summary, entries.language,"
            " entries.url, entries.outlet, entries.published, entries.first_seen_at"
            " FROM hits JOIN entries ON entries.id = hits.entry_id"
            " WHERE hits.watch = ? AND (hits.status IN ('relevant', 'irrelevant')"
            " OR hits.origin = 'flagged') ORDER BY hits.id",
            [watch],
        )
        labelled = []
        for row in rows:
            row = dict(row)
            row["label"] = int(row["origin"] == "flagged" or row["status"] == "relevant")
            labelled.append(row)
        return labelled


def _near_where(watch: str | None, since: datetime | None, flagged: bool) -> tuple[str, list[Any]]:
    clauses = [
        "near_misses.flagged_at IS NOT NULL" if flagged else "near_misses.flagged_at IS NULL"
    ]
    params: list[Any] = []
    if watch:
        clauses.append("near_misses.watch = ?")
        params.append(watch)
    if since is not None:
        clauses.append("near_misses.created_at >= ?")
        params.append(iso(since))
    if not flagged:  # a later rescan or a flag of another kind made it a hit
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM hits WHERE hits.watch = near_misses.watch"
            " AND hits.entry_id = near_misses.entry_id)"
        )
    return " WHERE " + " AND ".join(clauses), params


def near_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["missing"] = json.loads(row["missing"] or "[]")
    row["terms"] = json.loads(row["terms"] or "[]")
    row["matched"] = list(dict.fromkeys(t["term"] for t in row["terms"]))
    return row
