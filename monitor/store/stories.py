"""Stories in the database: every hit of a watch placed in its story again, after a
rescan. New hits are placed as they come, by ``HitsMixin._insert_hits``.
"""

from __future__ import annotations

from datetime import datetime

from monitor.records import Entry
from monitor.store.base import StoreBase, from_iso


class StoriesMixin(StoreBase):
    """The stories of ``Store``: rebuilt from the hits."""

    def rebuild_stories(self, watch: str, now: datetime) -> int:
        """Place every hit of ``watch`` that still matches in its story again, oldest
        first, after a rescan changed the hits or the watch's story settings. Queues no
        alert: what was sent stays sent. Returns the number of stories."""
        if self.stories is None or not self.stories.handles(watch):
            return 0
        with self.write() as db:
            db.execute(
                "DELETE FROM figures WHERE hit_id IN (SELECT id FROM hits WHERE watch = ?)",
                [watch],
            )
            db.execute(
                "UPDATE hits SET story_id = NULL, story_reasons = NULL WHERE watch = ?", [watch]
            )
            db.execute(
                "UPDATE alerts SET story_id = NULL WHERE hit_id IN"
                " (SELECT id FROM hits WHERE watch = ?)",
                [watch],
            )
            db.execute("DELETE FROM stories WHERE watch = ?", [watch])
            rows = db.execute(
                "SELECT hits.id, entries.key, entries.url, entries.title, entries.summary,"
                " entries.published, entries.language, entries.guid, entries.content,"
                " entries.outlet, entries.first_seen_at FROM hits"
                " JOIN entries ON entries.id = hits.entry_id"
                " WHERE hits.watch = ? AND hits.still_matches = 1"
                " ORDER BY coalesce(entries.published, entries.first_seen_at), hits.id",
                [watch],
            ).fetchall()
            for row in rows:
                entry = Entry(
                    row[1], row[2], row[3], row[4], from_iso(row[5]), row[6], row[7], row[8] or ""
                )
                found = from_iso(row[10]) or now
                self.stories.place(db.conn, row[0], watch, entry, row[9], found)
            db.execute(
                "UPDATE alerts SET story_id = (SELECT story_id FROM hits"
                " WHERE hits.id = alerts.hit_id) WHERE hit_id IN"
                " (SELECT id FROM hits WHERE watch = ?)",
                [watch],
            )
            count = db.execute("SELECT count(*) FROM stories WHERE watch = ?", [watch]).fetchone()
        return int(count[0])
