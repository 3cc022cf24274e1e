"""The store's base: the connection, migrated on open, ``write()``, state and backup.

The database runs in WAL mode so readers (the CLI, the review page) never block the
daemon. Every write is one ``BEGIN IMMEDIATE`` transaction: a deferred transaction
that reads and then writes fails at once with "database is locked" when another
connection committed in between, whatever the busy timeout.

Also here: how times are stored (``iso``, ``from_iso``) and a failed write as a
``StoreError`` (``write_error``). The queries of each domain build on ``StoreBase``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlite_utils import Database
from sqlite_utils.db import Table

from monitor.errors import StoreError
from monitor.schema import MIGRATIONS, known_migrations
from monitor.stories.keep import StoryKeeper

if TYPE_CHECKING:
    from monitor.store.hits import AlertPlan


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
#: Counts of long lists (hits, near misses) stop here: a list of more shows "10,000+",
#: and no count reads more than this many rows, however many the database holds.
COUNT_LIMIT = 10_000


class StoreBase:
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

        No savepoint inside: any failure rolls the whole transaction back, so one would
        only add two statements (and a random name) to every write, a poll's included.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"the database {self.path} stayed locked by another process: {exc}",
                hint="is a long command (rescan, backup) running? try again when it ends",
            ) from exc
        try:
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

    def counts(self) -> dict[str, int]:
        return {
            name: int(self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in ("feeds", "entries", "hits", "fetch_log")
        }
