"""SQLite storage: with `schema`, the only module that imports sqlite_utils.

Tables (created and changed only by ``schema.MIGRATIONS``):

    feeds       one row per configured feed, with its fetch state and health
    entries     every entry ever seen, unique per (outlet, key) and per (outlet, url)
    hits        one row per (watch, entry), never two; triage status and note
    fetch_log   one row per poll of a feed

The database runs in WAL mode so readers (the CLI, the review page) never block the
daemon. Every write is one ``BEGIN IMMEDIATE`` transaction: a deferred transaction
that reads and then writes fails at once with "database is locked" when another
connection committed in between, whatever the busy timeout.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlite_utils import Database
from sqlite_utils.db import Table

from monitor.errors import StoreError
from monitor.records import Entry, FeedConfig, FeedState, FetchResult, Match, ParsedFeed
from monitor.schema import MIGRATIONS, known_migrations
from monitor.stories.keep import StoryKeeper


def _refuse_newer(db: Database, path: Path | str) -> None:
    """A database migrated by a newer monitor would be damaged by this one: refuse it."""
    if not _table(db, "_sqlite_migrations").exists():
        return
    known = known_migrations()
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
    if unknown:
        raise StoreError(
            f"the database {path} was written by a newer monitor (schema {unknown[-1]});"
            " this version cannot use it",
            hint="upgrade monitor, or restore a backup made by this version",
        )


def write_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A failed write as one line: what SQLite said, and what to do about it."""
    text = str(exc)
    if "full" in text:
        hint = f"free space on the disk that holds {path.parent} (df -h shows it); nothing"
        hint += " was lost: what was stored before is intact, and the next poll tries again"
    else:
        hint = "check the disk and the file's permissions; `monitor health` reports it too"
    return StoreError(f"cannot write to the database {path}: {text}", hint=hint)


def _table(db: Database, name: str) -> Table:
    return cast(Table, db[name])


def iso(when: datetime | None) -> str | None:
    """Times are stored as ISO 8601 in UTC, to the second."""
    return when.astimezone(UTC).isoformat(timespec="seconds") if when else None


def from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


WRITE_FAILURE = "write_failure"  # the state key of ``note_write_failure``
#: How far back an entry's text identifies it when its id and link are new (see
#: ``fingerprint``): a feed that renames its items on every request keeps them.
SAME_TEXT_WINDOW = timedelta(days=7)
#: Polls in a row in which every entry came back under a new id before the feed's ids
#: are called unstable (once, as a warning).
UNSTABLE_AFTER = 3


def fingerprint(title: str, summary: str) -> str:
    """An entry's text as a short hash: the same title and summary, the same fingerprint."""
    return hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Recorded:
    """What ``Store.record_poll`` wrote: counts for the summary, and warnings for the log."""

    new_entries: int
    new_hits: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertPlan:
    """What a new hit of one watch queues: alert kinds (immediate, digest) and recipients.

    ``per`` "story": with stories, only a hit that starts a story or brings a new figure
    queues the immediate alert; the story's other articles wait for the digest."""

    kinds: tuple[str, ...]
    recipients: tuple[str, ...]
    per: str = "story"

    def for_hit(self, news: bool | None) -> tuple[str, ...]:
        """The kinds for a hit; ``news`` is None when the watch keeps no stories."""
        if news is None or news or self.per == "article" or not self.kinds:
            return self.kinds
        return ("digest",)


class Store:
    """One connection to the database, migrated on open."""

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = 30.0,
        alerts: Mapping[str, AlertPlan] | None = None,
        stories: StoryKeeper | None = None,
    ) -> None:
        self.path = Path(path)
        self.stories = stories  # places each new hit in its story (None: no stories)
        # Per watch: which alerts a new hit queues, and for whom (see ``alert.plans``).
        self.alerts: Mapping[str, AlertPlan] = alerts or {}
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None)
            self.db = Database(conn)
            if str(path) != ":memory:":
                self.db.enable_wal()
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            _refuse_newer(self.db, path)
            MIGRATIONS.apply(self.db)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open the database {path}: {exc}",
                hint="check the `database` path in the config and that its folder is writable",
            ) from exc
        self.conn = conn

    def get_state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def set_state(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    def note_write_failure(self, error: str, now: datetime) -> None:
        """Leave word for ``monitor health`` that writes fail; when even this small write
        fails, health's own write probe and the stale heartbeat tell instead."""
        if self.get_state(WRITE_FAILURE) is not None:
            return
        note = json.dumps({"at": iso(now), "error": error})
        try:
            self.set_state(WRITE_FAILURE, note)
        except StoreError:
            # The write-ahead log may only need its space back: copy it into the database
            # and start it over, then try once more.
            with suppress(sqlite3.Error, StoreError):
                self.conn.execute("PRAGMA wal_checkpoint(RESTART)")
                self.set_state(WRITE_FAILURE, note)

    def clear_write_failure(self) -> bool:
        """Writes work again: remove the note. True when it is gone."""
        try:
            with self.write() as db:
                db.execute("DELETE FROM state WHERE key = ?", [WRITE_FAILURE])
        except StoreError:
            return False
        return True

    def write_failure(self) -> dict[str, str] | None:
        """Since when, and why, the daemon's writes have been failing; None when they work."""
        value = self.get_state(WRITE_FAILURE)
        return cast(dict[str, str], json.loads(value)) if value else None

    def backup(self, target: Path) -> int:
        """A consistent online copy (SQLite's backup API), safe while others write."""
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(str(target))
        try:
            self.conn.backup(copy)
            return int(copy.execute("PRAGMA page_count").fetchone()[0])
        finally:
            copy.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction, begun IMMEDIATE so it never fails half-way on a lock.

        If another process holds the write lock for longer than the busy timeout, this
        raises ``StoreError`` before anything was written; so does any SQLite error inside
        the transaction or at its COMMIT (a full disk), after rolling it back.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"the database {self.path} stayed locked by another process: {exc}",
                hint="is a long command (rescan, backup) running? try again when it ends",
            ) from exc
        try:
            with self.db.atomic():
                yield self.db
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise write_error(self.path, exc) from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        # A failed COMMIT (disk full, I/O error) may already have ended the transaction.
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # -- feeds ------------------------------------------------------------------------

    def sync_feeds(self, feeds: list[FeedConfig]) -> None:
        """Make the feeds table agree with the config (by name); fetch state is kept.

        Writes only when something differs, so a command on an unchanged config (every
        `monitor poll`) starts even when the database cannot be written just now."""
        wanted = {(f.name, f.url, f.outlet, f.language, int(f.enabled)) for f in feeds}
        stored = {
            tuple(row)
            for row in self.conn.execute(
                "SELECT name, url, outlet, language, enabled FROM feeds WHERE enabled = 1"
                " OR name IN (SELECT value FROM json_each(?))",
                [json.dumps([f.name for f in feeds])],
            )
        }
        if stored == wanted:
            return
        with self.write() as db:
            # Plain SQL: sqlite-utils' upsert probes the database by creating a table, and
            # when that fails (a full disk) it falls back to INSERT OR IGNORE, which drops
            # rows with NOT NULL columns without a word.
            db.conn.executemany(
                "INSERT INTO feeds (name, url, outlet, language, enabled) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET url = excluded.url, outlet = excluded.outlet,"
                " language = excluded.language, enabled = excluded.enabled",
                sorted(wanted),
            )
            names = [f.name for f in feeds]
            db.execute(
                f"UPDATE feeds SET enabled = 0 WHERE name NOT IN ({','.join('?' * len(names))})",
                names,
            )

    def feed_id(self, name: str) -> int:
        row = self.conn.execute("SELECT id FROM feeds WHERE name = ?", [name]).fetchone()
        if row is None:
            raise StoreError(f"no feed named {name!r} in the database")
        return int(row[0])

    def feed_state(self, name: str) -> FeedState:
        row = self.conn.execute(
            "SELECT etag, last_modified, failures, next_attempt_at FROM feeds WHERE name = ?",
            [name],
        ).fetchone()
        if row is None:
            return FeedState()
        return FeedState(row[0], row[1], row[2] or 0, from_iso(row[3]))

    # -- one poll -----------------------------------------------------------------------

    def record_poll(
        self,
        feed: FeedConfig,
        fetched: FetchResult,
        parsed: ParsedFeed | None,
        *,
        error: str | None,
        next_attempt_at: datetime,
        now: datetime,
    ) -> Recorded:
        """Store what one poll found, the feed's new state and a fetch-log row, atomically.

        An entry is new when this database has never seen its key or its link for the
        same outlet, whatever its published date, nor (within ``SAME_TEXT_WINDOW``) its
        title and summary: a feed whose guids change on every request does not turn one
        item into a new entry, hit and alert per poll.
        """
        new_entries = new_hits = renamed = 0
        warnings: tuple[str, ...] = ()
        entries = parsed.entries if parsed else ()
        with self.write() as db:
            feed_id = self.feed_id(feed.name)
            for entry, matches in entries:
                entry_id, how = self._upsert_entry(db, feed_id, feed.outlet, entry, now)
                new_entries += how == "new"
                renamed += how == "renamed"
                new_hits += self._insert_hits(db, entry_id, matches, now, entry, feed.outlet)
            if entries:
                warnings = self._track_renames(db, feed, feed_id, renamed == len(entries), now)
            state: dict[str, Any] = {
                "last_fetch_at": iso(now),
                "next_attempt_at": iso(next_attempt_at),
            }
            if error is None:
                state.update(last_success_at=iso(now), failures=0)
                if fetched.status == "ok":
                    state.update(etag=fetched.etag, last_modified=fetched.last_modified)
                if parsed and parsed.title:
                    state["title"] = parsed.title
            else:
                state.update(last_error=error, last_error_at=iso(now))
                db.execute("UPDATE feeds SET failures = failures + 1 WHERE id = ?", [feed_id])
            if fetched.permanent_redirect:
                state["permanent_redirect"] = fetched.permanent_redirect
            columns = ", ".join(f"{key} = ?" for key in state)
            db.execute(f"UPDATE feeds SET {columns} WHERE id = ?", [*state.values(), feed_id])
            db.execute(
                "INSERT INTO fetch_log (feed_id, at, status, http_status, bytes, elapsed_ms,"
                " new_entries, new_hits, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    feed_id,
                    iso(now),
                    "error" if error else fetched.status,
                    fetched.http_status,
                    len(fetched.body),
                    round(fetched.elapsed * 1000),
                    new_entries,
                    new_hits,
                    error,
                ],
            )
        return Recorded(new_entries, new_hits, warnings)

    def _track_renames(
        self, db: Database, feed: FeedConfig, feed_id: int, all_renamed: bool, now: datetime
    ) -> tuple[str, ...]:
        """Count polls in a row where every entry came back under a new id; warn once."""
        if not all_renamed:
            db.execute(
                "UPDATE feeds SET renamed_polls = 0, ids_unstable_since = NULL"
                " WHERE id = ? AND (renamed_polls != 0 OR ids_unstable_since IS NOT NULL)",
                [feed_id],
            )
            return ()
        row = db.execute(
            "UPDATE feeds SET renamed_polls = coalesce(renamed_polls, 0) + 1 WHERE id = ?"
            " RETURNING renamed_polls, ids_unstable_since",
            [feed_id],
        ).fetchone()
        if row[0] < UNSTABLE_AFTER or row[1] is not None:
            return ()
        db.execute("UPDATE feeds SET ids_unstable_since = ? WHERE id = ?", [iso(now), feed_id])
        return (
            f"every entry came back under a new id on {row[0]} polls in a row: the feed's"
            " ids are not stable, so its entries are recognised by title and summary",
        )

    def _upsert_entry(
        self, db: Database, feed_id: int, outlet: str, entry: Entry, now: datetime
    ) -> tuple[int, str]:
        """Insert or update one entry; says whether it was ``new``, ``known`` by its key
        or link, or ``renamed``: known only by its text, under an id never seen before."""
        # Plain SQL here: this runs once per entry of every changed feed, and the
        # table-level helpers introspect the schema on each call (measured in bench/).
        text = fingerprint(entry.title, entry.summary)
        row = db.execute(
            "SELECT id, title, summary FROM entries WHERE outlet = ? AND (key = ? OR url = ?)",
            [outlet, entry.key, entry.url],
        ).fetchone()
        how = "known"
        if row is None:
            row = db.execute(
                "SELECT id, title, summary FROM entries WHERE outlet = ? AND fingerprint = ?"
                " AND first_seen_at >= ? ORDER BY id DESC LIMIT 1",
                [outlet, text, iso(now - SAME_TEXT_WINDOW)],
            ).fetchone()
            how = "renamed"
        if row is not None:
            if (row[1], row[2]) != (entry.title, entry.summary):
                db.execute(
                    "UPDATE entries SET title = ?, summary = ?, fingerprint = ?, updated_at = ?"
                    " WHERE id = ?",
                    [entry.title, entry.summary, text, iso(now), row[0]],
                )
            return int(row[0]), how
        cursor = db.execute(
            "INSERT INTO entries (feed_id, outlet, key, url, guid, title, summary, content,"
            " language, published, first_seen_at, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                feed_id,
                outlet,
                entry.key,
                entry.url,
                entry.guid,
                entry.title,
                entry.summary,
                entry.content or None,
                entry.language,
                iso(entry.published),
                iso(now),
                text,
            ],
        )
        return int(cast(int, cursor.lastrowid)), "new"

    def _insert_hits(
        self,
        db: Database,
        entry_id: int,
        matches: tuple[Match, ...],
        now: datetime,
        entry: Entry | None = None,
        outlet: str = "",
    ) -> int:
        """New hits, each placed in its story and with its alerts queued, in the same
        transaction (the outbox). Without ``entry`` (a rescan) stories are left to
        ``rebuild_stories``."""
        added = 0
        for match in matches:
            cursor = db.execute(
                "INSERT OR IGNORE INTO hits (watch, entry_id, score, matched, terms, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [match.watch, entry_id, match.score, *_match_json(match), iso(now)],
            )
            if not cursor.rowcount:
                continue
            added += 1
            hit_id = int(cast(int, cursor.lastrowid))
            placed = None
            if entry is not None and self.stories and self.stories.handles(match.watch):
                placed = self.stories.place(db.conn, hit_id, match.watch, entry, outlet, now)
            plan = self.alerts.get(match.watch)
            if plan is None:
                continue
            reason = "article" if placed is None else placed.reason
            for kind in plan.for_hit(None if placed is None else placed.news):
                db.execute(
                    "INSERT OR IGNORE INTO alerts (hit_id, kind, state, recipients, created_at,"
                    " story_id, reason) VALUES (?, ?, 'pending', ?, ?, ?, ?)",
                    [
                        hit_id,
                        kind,
                        json.dumps(list(plan.recipients)),
                        iso(now),
                        placed.story_id if placed else None,
                        reason,
                    ],
                )
        return added

    # -- rescan -------------------------------------------------------------------------

    def stored_entries(
        self, since: datetime | None, batch: int = 500
    ) -> Iterator[list[tuple[int, Entry]]]:
        """Stored entries first seen since ``since``, oldest first, in batches."""
        sql = (
            "SELECT id, key, url, title, summary, published, language, guid FROM entries"
            " WHERE first_seen_at >= ? ORDER BY id"
        )
        cursor = self.conn.execute(sql, [iso(since) or ""])
        while rows := cursor.fetchmany(batch):
            yield [(r[0], Entry(r[1], r[2], r[3], r[4], from_iso(r[5]), r[6], r[7])) for r in rows]

    def apply_rescan(
        self, watches: list[str], results: list[tuple[int, tuple[Match, ...]]], now: datetime
    ) -> dict[str, int]:
        """Record what re-running ``watches`` over stored entries found, in one transaction.

        New matches become new hits; a hit that no longer matches is kept, marked
        ``still_matches = 0``, never deleted; one that matches again is marked back.
        """
        counts = {"new": 0, "unmatched": 0, "rematched": 0}
        with self.write() as db:
            for entry_id, matches in results:
                counts["new"] += self._insert_hits(db, entry_id, matches, now)
                matched = {m.watch: m for m in matches}
                for watch in watches:
                    row = db.execute(
                        "SELECT id, still_matches FROM hits WHERE watch = ? AND entry_id = ?",
                        [watch, entry_id],
                    ).fetchone()
                    if row is None:
                        continue
                    match = matched.get(watch)
                    if match is None:
                        if row[1]:
                            db.execute("UPDATE hits SET still_matches = 0 WHERE id = ?", [row[0]])
                            counts["unmatched"] += 1
                        continue
                    counts["rematched"] += not row[1]
                    db.execute(
                        "UPDATE hits SET still_matches = 1, score = ?, matched = ?, terms = ?"
                        " WHERE id = ?",
                        [match.score, *_match_json(match), row[0]],
                    )
        return counts

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

    # -- reading ------------------------------------------------------------------------

    def hit(self, hit_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query(HIT_SELECT + " WHERE hits.id = ?", [hit_id]))
        return hit_row(rows[0]) if rows else None

    def feeds_health(self) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """
                SELECT feeds.name, feeds.url, feeds.enabled, feeds.last_success_at,
                       feeds.last_error, feeds.last_error_at, feeds.failures,
                       feeds.next_attempt_at, feeds.permanent_redirect, feeds.dead_reason,
                       feeds.dead_since,
                       (SELECT count(*) FROM entries WHERE entries.feed_id = feeds.id) AS entries,
                       (SELECT count(*) FROM hits JOIN entries ON entries.id = hits.entry_id
                         WHERE entries.feed_id = feeds.id) AS hits
                FROM feeds ORDER BY feeds.name
                """
            )
        )

    def counts(self) -> dict[str, int]:
        return {
            name: int(self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in ("feeds", "entries", "hits", "fetch_log")
        }


HIT_SELECT = """
SELECT hits.id, hits.watch, feeds.name AS feed, entries.outlet, entries.title, entries.url,
       entries.published, entries.summary, entries.content, entries.language, hits.matched,
       hits.terms,
       hits.score, hits.created_at, hits.status, hits.note, hits.marked_at,
       hits.still_matches, entries.first_seen_at, entries.key AS entry_key,
       hits.story_id AS story
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
