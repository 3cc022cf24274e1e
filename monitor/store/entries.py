"""Feeds and entries: the feeds table kept in line with the config, each feed's fetch
state, what one poll found (``record_poll``), and the stored entries a rescan reads again.

    record_poll: each entry -> new | known | renamed -> its new hits (``hits``)
                 -> the feed's state -> a fetch_log row, in one transaction
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlite_utils import Database

from monitor.errors import StoreError
from monitor.records import Entry, FeedConfig, FeedState, FetchResult, ParsedFeed
from monitor.store.base import from_iso, iso
from monitor.store.misses import MissesMixin

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
class PollWrite:
    """One poll's results, as ``record_poll`` takes them: from ``Poller._poll`` to
    ``record_polls``, which writes several in one transaction."""

    feed: FeedConfig
    fetched: FetchResult
    parsed: ParsedFeed | None
    error: str | None
    next_attempt_at: datetime
    now: datetime
    defer_stories: bool = False
    notes: dict[str, str] | None = None


@dataclass(frozen=True)
class Recorded:
    """What ``Store.record_poll`` wrote: counts for the summary, and warnings for the log."""

    new_entries: int
    new_hits: int
    warnings: tuple[str, ...] = ()


class EntriesMixin(MissesMixin):
    """The feeds and entries of ``Store``; built on ``HitsMixin``, as a poll's new entries
    bring their hits."""

    # -- feeds ------------------------------------------------------------------------

    def sync_feeds(self, feeds: list[FeedConfig]) -> None:
        """Make the feeds table agree with the config (by name); fetch state is kept.

        Writes only when something differs, so a command on an unchanged config (every
        `monitor poll`) starts even when the database cannot be written just now."""
        rows = self.conn.execute(
            "SELECT name, url, outlet, language, enabled FROM feeds WHERE enabled = 1"
            " OR name IN (SELECT value FROM json_each(?))",
            [json.dumps([f.name for f in feeds])],
        ).fetchall()
        stored = {tuple(row) for row in rows}
        # A feed without a configured outlet keeps the one chosen for it (``_feed_outlet``).
        chosen = {row[0]: row[2] for row in rows}
        wanted = {
            (
                f.name,
                f.url,
                f.outlet if f.outlet_from_config else chosen.get(f.name, f.outlet),
                f.language,
                int(f.enabled),
            )
            for f in feeds
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
            # A feed no longer configured has no next poll to plan (``Poller._plan``).
            db.execute(
                "DELETE FROM state WHERE key >= 'plan:' AND key < 'plan;'"
                " AND substr(key, 6) NOT IN (SELECT value FROM json_each(?))",
                [json.dumps(names)],
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
        defer_stories: bool = False,
        notes: dict[str, str] | None = None,
    ) -> Recorded:
        """Store what one poll found, the feed's new state and a fetch-log row, atomically.

        An entry is new when this database has never seen its key or its link for the
        same outlet, whatever its published date, nor (within ``SAME_TEXT_WINDOW``) its
        title and summary: a feed whose guids change on every request does not turn one
        item into a new entry, hit and alert per poll. Its outlet is its own publisher
        when it names one (an aggregator's item), else the feed's (``_feed_outlet``).
        With ``defer_stories`` new hits wait for ``place_pending`` (see ``_insert_hits``).
        ``notes`` are state keys written in the same transaction (the feed's next plan).
        """
        poll = PollWrite(feed, fetched, parsed, error, next_attempt_at, now, defer_stories, notes)
        with self.write() as db:
            return self._record(db, poll)

    def record_polls(self, polls: list[PollWrite]) -> list[Recorded | Exception]:
        """``record_poll`` for each of ``polls``, all in one transaction: per poll, what it
        wrote, or the exception (a ``StoreError``) that kept it from being written.

        A poll's own failure (a feed missing from the table, a full disk) must not cost
        the others theirs, so when the whole transaction fails it is rolled back and each
        poll is written again in a transaction of its own, as ``record_poll`` writes it.
        """
        if len(polls) > 1:
            try:
                with self.write() as db:
                    return [self._record(db, poll) for poll in polls]
            except Exception:  # rolled back: each poll alone says why, if it fails again
                pass
        return [self._record_alone(poll) for poll in polls]

    def _record_alone(self, poll: PollWrite) -> Recorded | Exception:
        try:
            with self.write() as db:
                return self._record(db, poll)
        except Exception as exc:  # handed to the poll it belongs to
            return exc

    def _record(self, db: Database, poll: PollWrite) -> Recorded:
        """The writes of ``record_poll``, inside the caller's transaction."""
        feed, fetched, parsed, error = poll.feed, poll.fetched, poll.parsed, poll.error
        now, defer_stories, notes = poll.now, poll.defer_stories, poll.notes
        new_entries = new_hits = renamed = 0
        warnings: tuple[str, ...] = ()
        entries = parsed.entries if parsed else ()
        if parsed is None:  # a 304 or a failure: no entries, no outlet to choose
            feed_id, outlet = 0, feed.outlet  # the id comes with the state's UPDATE
        else:
            feed_id, outlet = self._feed_outlet(db, feed, parsed if error is None else None)
        near = parsed.near if parsed else ()
        for number, (entry, matches) in enumerate(entries):
            entry_id, how, stored_as = self._upsert_entry(db, feed_id, outlet, entry, now)
            new_entries += how == "new"
            renamed += how == "renamed"
            new_hits += self._insert_hits(
                db, entry_id, matches, now, entry, stored_as, defer=defer_stories
            )
            if near and near[number]:
                self._insert_near(db, entry_id, near[number], now)
        if entries:
            warnings = self._track_renames(db, feed, feed_id, renamed == len(entries), now)
        state: dict[str, Any] = {
            "last_fetch_at": iso(now),
            "next_attempt_at": iso(poll.next_attempt_at),
        }
        if error is None:
            state.update(last_success_at=iso(now), failures=0)
            if fetched.status == "ok":
                state.update(etag=fetched.etag, last_modified=fetched.last_modified)
            if parsed and parsed.title:
                state["title"] = parsed.title
        else:
            state.update(last_error=error, last_error_at=iso(now))
        if fetched.permanent_redirect:
            state["permanent_redirect"] = fetched.permanent_redirect
        columns = ", ".join(f"{key} = ?" for key in state)
        if error is not None:
            columns += ", failures = failures + 1"
        if parsed is None:  # by name, as _feed_outlet would have found it
            row = db.execute(
                f"UPDATE feeds SET {columns} WHERE name = ? RETURNING id",
                [*state.values(), feed.name],
            ).fetchall()
            if not row:
                raise StoreError(f"no feed named {feed.name!r} in the database")
            feed_id = int(row[0][0])
        else:
            db.execute(f"UPDATE feeds SET {columns} WHERE id = ?", [*state.values(), feed_id])
        for key, value in (notes or {}).items():  # the poll's own notes (its plan)
            db.execute(
                "INSERT INTO state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
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

    def _feed_outlet(
        self, db: Database, feed: FeedConfig, parsed: ParsedFeed | None
    ) -> tuple[int, str]:
        """The feed's id, and the outlet its entries are stored under.

        The configured outlet; else the publisher the feed's title names (its host when
        the title names none), chosen at its first successful poll (``parsed``) and kept
        in ``feeds.outlet`` from then on: a title edited later must not make every item
        of the feed a new entry, as a new outlet would. A feed first polled before
        outlets were chosen so keeps its host, which its entries are stored under.
        """
        row = db.execute(
            "SELECT id, outlet, last_success_at FROM feeds WHERE name = ?", [feed.name]
        ).fetchone()
        if row is None:
            raise StoreError(f"no feed named {feed.name!r} in the database")
        feed_id, outlet, succeeded = int(row[0]), str(row[1]), row[2] is not None
        if feed.outlet_from_config:
            return feed_id, feed.outlet
        if not succeeded and parsed is not None:
            chosen = parsed.outlet or feed.outlet
            if chosen != outlet:
                db.execute("UPDATE feeds SET outlet = ? WHERE id = ?", [chosen, feed_id])
            return feed_id, chosen
        return feed_id, outlet

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
        self, db: Database, feed_id: int, feed_outlet: str, entry: Entry, now: datetime
    ) -> tuple[int, str, str]:
        """Insert or update one entry; says whether it was ``new``, ``known`` by its key
        or link, or ``renamed``: known only by its text, under an id never seen before;
        and the outlet it is stored under.

        An entry that names its own publisher is looked for under the feed's outlet as
        well, and stays there when found: it was stored before its source was read."""
        # Plain SQL here: this runs once per entry of every changed feed, and the
        # table-level helpers introspect the schema on each call (measured in bench/).
        text = fingerprint(entry.title, entry.summary)
        own = entry.outlet or feed_outlet
        outlets = (own,) if own == feed_outlet else (own, feed_outlet)
        for outlet in outlets:
            row = db.execute(
                "SELECT id, title, summary FROM entries WHERE outlet = ? AND (key = ? OR url = ?)",
                [outlet, entry.key, entry.url],
            ).fetchone()
            if row is not None:
                return self._known(db, row, entry, text, now), "known", outlet
        for outlet in outlets:
            row = db.execute(
                "SELECT id, title, summary FROM entries WHERE outlet = ? AND fingerprint = ?"
                " AND first_seen_at >= ? ORDER BY id DESC LIMIT 1",
                [outlet, text, iso(now - SAME_TEXT_WINDOW)],
            ).fetchone()
            if row is not None:
                return self._known(db, row, entry, text, now), "renamed", outlet
        cursor = db.execute(
            "INSERT INTO entries (feed_id, outlet, key, url, guid, title, summary, content,"
            " language, published, first_seen_at, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                feed_id,
                own,
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
        return int(cast(int, cursor.lastrowid)), "new", own

    def _known(self, db: Database, row: Any, entry: Entry, text: str, now: datetime) -> int:
        """A stored entry seen again: its title and summary follow the feed's edits."""
        if (row[1], row[2]) != (entry.title, entry.summary):
            db.execute(
                "UPDATE entries SET title = ?, summary = ?, fingerprint = ?, updated_at = ?"
                " WHERE id = ?",
                [entry.title, entry.summary, text, iso(now), row[0]],
            )
        return int(row[0])

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

    # -- a feed's rhythm ------------------------------------------------------------------

    def feed_history(
        self, name: str, since: datetime
    ) -> tuple[list[tuple[datetime | None, datetime]], datetime | None]:
        """``(published, first_seen)`` of the feed's entries first seen since ``since``,
        and its first fetch on record (for ``rhythm.history``). Served by the indexes on
        entries (feed_id, first_seen_at) and fetch_log (feed_id, at)."""
        row = self.conn.execute("SELECT id FROM feeds WHERE name = ?", [name]).fetchone()
        if row is None:
            return [], None
        found = self.conn.execute(
            "SELECT published, first_seen_at FROM entries WHERE feed_id = ? AND first_seen_at >= ?",
            [row[0], iso(since)],
        ).fetchall()
        first = self.conn.execute(
            "SELECT min(at) FROM fetch_log WHERE feed_id = ?", [row[0]]
        ).fetchone()
        pairs = []
        for published, seen in found:
            seen_at = from_iso(seen)
            if seen_at is not None:
                pairs.append((from_iso(published), seen_at))
        return pairs, from_iso(first[0])

    def planned_polls(self) -> dict[str, dict[str, str]]:
        """Feed name -> ``{"at", "reason"}`` of its next poll, as ``Poller._plan`` noted it
        (state keys ``plan:NAME``, a range of the state table's primary key)."""
        rows = self.conn.execute(
            "SELECT key, value FROM state WHERE key >= 'plan:' AND key < 'plan;'"
        ).fetchall()
        return {str(key)[5:]: json.loads(value) for key, value in rows}

    # -- reading ------------------------------------------------------------------------

    def feeds_health(self) -> list[dict[str, Any]]:
        """Every feed's state, with its entries and hits as the triggers of
        ``m013_query_indexes`` count them: one row read per feed, however many entries."""
        return list(
            self.db.query(
                """
                SELECT feeds.name, feeds.url, feeds.enabled, feeds.last_success_at,
                       feeds.last_error, feeds.last_error_at, feeds.failures,
                       feeds.next_attempt_at, feeds.permanent_redirect, feeds.dead_reason,
                       feeds.dead_since,
                       feeds.entry_count AS entries, feeds.hit_count AS hits
                FROM feeds ORDER BY feeds.name
                """
            )
        )
