"""The database schema, as sqlite-utils ``Migrations``: every change is a new function.

Applied in order by ``Store`` when it opens a database, each in its own transaction,
recorded in ``_sqlite_migrations``. Never edit a migration that has shipped; add one.
"""

from __future__ import annotations

from typing import cast

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("monitor")


def known_migrations() -> set[str]:
    """The names of every migration this version has (sqlite-utils 4.2 has no public
    accessor for the registered list, so this reads it in one place)."""
    return {migration.name for migration in MIGRATIONS._migrations}


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    t = _table
    t(db, "feeds").create(
        {
            "id": int,
            "name": str,
            "url": str,
            "outlet": str,
            "language": str,
            "enabled": int,
            "title": str,
            "etag": str,
            "last_modified": str,
            "last_fetch_at": str,
            "last_success_at": str,
            "last_error": str,
            "last_error_at": str,
            "failures": int,
            "next_attempt_at": str,
            "permanent_redirect": str,
        },
        pk="id",
        not_null={"name", "url", "outlet"},
        defaults={"failures": 0, "enabled": 1},
    )
    t(db, "feeds").create_index(["name"], unique=True)
    t(db, "entries").create(
        {
            "id": int,
            "feed_id": int,
            "outlet": str,
            "key": str,
            "url": str,
            "guid": str,
            "title": str,
            "summary": str,
            "language": str,
            "published": str,
            "first_seen_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"feed_id", "outlet", "key", "title", "summary", "first_seen_at"},
        foreign_keys=[("feed_id", "feeds", "id")],
    )
    t(db, "entries").create_index(["outlet", "key"], unique=True)
    t(db, "entries").create_index(["outlet", "url"], unique=True)
    t(db, "entries").create_index(["first_seen_at"])
    t(db, "hits").create(
        {
            "id": int,
            "watch": str,
            "entry_id": int,
            "score": float,
            "matched": str,
            "terms": str,
            "created_at": str,
            "still_matches": int,
            "status": str,
            "note": str,
        },
        pk="id",
        not_null={"watch", "entry_id", "created_at"},
        defaults={"still_matches": 1, "status": "new"},
        foreign_keys=[("entry_id", "entries", "id")],
    )
    t(db, "hits").create_index(["watch", "entry_id"], unique=True)
    t(db, "hits").create_index(["created_at"])
    t(db, "fetch_log").create(
        {
            "id": int,
            "feed_id": int,
            "at": str,
            "status": str,
            "http_status": int,
            "bytes": int,
            "elapsed_ms": int,
            "new_entries": int,
            "new_hits": int,
            "error": str,
        },
        pk="id",
        foreign_keys=[("feed_id", "feeds", "id")],
    )
    t(db, "fetch_log").create_index(["feed_id", "at"])


def _table(db: Database, name: str) -> Table:
    return cast(Table, db[name])


@MIGRATIONS()
def m002_alerts(db: Database) -> None:
    """The outbox: one row per alert to send, written with the hit it is for."""
    _table(db, "alerts").create(
        {
            "id": int,
            "hit_id": int,
            "kind": str,  # immediate or digest
            "state": str,  # pending, sent, failed, folded (into a digest)
            "recipients": str,  # JSON list
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,
            "created_at": str,
            "sent_at": str,
            "message_id": str,
        },
        pk="id",
        not_null={"hit_id", "kind", "state", "recipients", "created_at"},
        defaults={"attempts": 0, "state": "pending"},
        foreign_keys=[("hit_id", "hits", "id")],
    )
    _table(db, "alerts").create_index(["hit_id", "kind"], unique=True)
    _table(db, "alerts").create_index(["state", "kind", "next_attempt_at"])


@MIGRATIONS()
def m003_review(db: Database) -> None:
    """The full text of entries, full-text search over hit entries, when a hit was triaged.

    The trigram tokenizer indexes every three-character run, so a search finds words
    inside German compounds ("truppen" in "Truppenentsendung") and Korean words inside
    words that carry particles ("북한군" in "북한군이"). Only entries that became hits
    are indexed (search serves the hits; indexing every entry tripled the CPU a first
    pass spends writing, measured in bench/). The triggers below keep it in step: an
    entry is indexed with its first hit and re-indexed when its text changes; entries
    with hits are never deleted.
    """
    _table(db, "entries").add_column("content", str)
    _table(db, "entries").enable_fts(["title", "summary", "content"], tokenize="trigram")
    # One statement per execute: executescript would commit the migration's transaction.
    db.execute(
        """
        CREATE TRIGGER hits_fts_index AFTER INSERT ON hits
        WHEN NOT EXISTS (SELECT 1 FROM hits WHERE entry_id = new.entry_id AND id != new.id)
        BEGIN
            INSERT INTO entries_fts (rowid, title, summary, content)
            SELECT id, title, summary, content FROM entries WHERE id = new.entry_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER entries_fts_reindex AFTER UPDATE OF title, summary, content ON entries
        WHEN EXISTS (SELECT 1 FROM hits WHERE entry_id = old.id)
        BEGIN
            INSERT INTO entries_fts (entries_fts, rowid, title, summary, content)
            VALUES ('delete', old.id, old.title, old.summary, old.content);
            INSERT INTO entries_fts (rowid, title, summary, content)
            VALUES (new.id, new.title, new.summary, new.content);
        END
        """
    )
    _table(db, "hits").add_column("marked_at", str)


@MIGRATIONS()
def m004_operations(db: Database) -> None:
    """Daemon state (heartbeat, last vacuum) and dead-feed flags."""
    _table(db, "state").create({"key": str, "value": str}, pk="key")
    feeds = _table(db, "feeds")
    feeds.add_column("dead_reason", str)  # why the feed is flagged, NULL when healthy
    feeds.add_column("dead_since", str)
    # NULL: nothing to tell; 0: dead, warning owed; 1: warning sent; 2: recovery notice owed
    feeds.add_column("dead_notified", int)


@MIGRATIONS()
def m005_identity(db: Database) -> None:
    """Entries recognised by their text as well as their id; feeds whose ids are unstable.

    ``fingerprint`` is a hash of an entry's title and summary (``store.fingerprint``): a
    feed that gives the same item a new guid on every request is still one entry. Only
    recent entries are looked up by it, so only those are filled in here.
    """
    from monitor.store import fingerprint  # the one definition of the hash

    entries = _table(db, "entries")
    entries.add_column("fingerprint", str)
    entries.create_index(["outlet", "fingerprint"])
    since = db.execute("SELECT max(first_seen_at) FROM entries").fetchone()[0]
    if since:
        rows = db.execute(
            "SELECT id, title, summary FROM entries WHERE first_seen_at >= date(?, '-7 days')",
            [since],
        ).fetchall()
        db.conn.executemany(
            "UPDATE entries SET fingerprint = ? WHERE id = ?",
            [(fingerprint(title, summary), entry_id) for entry_id, title, summary in rows],
        )
    feeds = _table(db, "feeds")
    feeds.add_column("renamed_polls", int)  # polls in a row where every entry had a new id
    feeds.add_column("ids_unstable_since", str)  # set once the warning was given


@MIGRATIONS()
def m006_stories(db: Database) -> None:
    """Stories (one event across outlets and languages) and the figures hits report.

    Every hit of a watch with a ``[stories]`` table gets a ``story_id``; a story keeps
    what the next decision needs (``state``: its figures, sources, entities and recent
    wording, as JSON), so placing a hit reads only the open stories of its watch
    (``idx_stories_watch_last_seen``), however many were ever stored.
    """
    _table(db, "stories").create(
        {
            "id": int,
            "watch": str,
            "title": str,  # the headline of its first article
            "first_seen": str,
            "last_seen": str,
            "hits": int,
            "languages": str,  # JSON list, in order of first appearance
            "outlets": str,  # JSON list, likewise
            "state": str,  # JSON: what story decisions read (stories.keep)
            "status": str,  # triage: new, relevant, irrelevant, seen
            "created_at": str,
        },
        pk="id",
        not_null={"watch", "title", "first_seen", "last_seen"},
        defaults={"hits": 0, "status": "new"},
    )
    _table(db, "stories").create_index(["watch", "last_seen"])
    _table(db, "stories").create_index(["last_seen"])
    hits = _table(db, "hits")
    hits.add_column("story_id", int)
    hits.add_column("story_reasons", str)  # JSON list: why it joined (or started) its story
    hits.create_index(["story_id"])
    hits.create_index(["entry_id"])
    _table(db, "figures").create(
        {
            "id": int,
            "hit_id": int,
            "story_id": int,
            "kind": str,
            "value": int,
            "low": int,
            "high": int,
            "qualifier": str,
            "source": str,
            "sentence": str,
            "field": str,
            "reported_at": str,  # the hit's published time, else when it was found
        },
        pk="id",
        not_null={"hit_id", "kind", "value", "reported_at"},
        foreign_keys=[("hit_id", "hits", "id")],
    )
    _table(db, "figures").create_index(["hit_id"])
    _table(db, "figures").create_index(["story_id", "reported_at"])
    _table(db, "figures").create_index(["kind", "reported_at"])
    _table(db, "figures").create_index(["source", "reported_at"])
    _table(db, "figures").create_index(["reported_at"])
    _table(db, "alerts").add_column("story_id", int)
    _table(db, "alerts").add_column("reason", str)  # new story, new figure, or article


@MIGRATIONS()
def m007_story_links(db: Database) -> None:
    """A story that is a later development of an earlier one says which (``follows``)."""
    _table(db, "stories").add_column("follows", int)


@MIGRATIONS()
def m008_notifications(db: Database) -> None:
    """Alerts per channel: ``email``, or a push notification URL as configured.

    The URL is stored with its ``$NAME`` references unexpanded, so no secret from the
    environment reaches the database. The unique index moves from (hit, kind) to (hit,
    kind, channel): one row per channel, never two.
    """
    alerts = _table(db, "alerts")
    alerts.add_column("channel", str, not_null_default="email")
    db.execute("DROP INDEX idx_alerts_hit_id_kind")
    alerts.create_index(["hit_id", "kind", "channel"], unique=True)


@MIGRATIONS()
def m009_where_met(db: Database) -> None:
    """Where a hit's concepts met (``about()`` rules): "the headline and the lead"."""
    _table(db, "hits").add_column("met", str)


@MIGRATIONS()
def m010_near_misses(db: Database) -> None:
    """Near misses: entries a watch almost took (some required groups found, one not),
    kept for the reader to flag; a flagged one becomes a hit whose ``origin`` is
    ``flagged`` (the others' is ``match``), a labeled example the watch missed."""
    _table(db, "hits").add_column("origin", str, not_null_default="match")
    _table(db, "near_misses").create(
        {
            "id": int,
            "watch": str,
            "entry_id": int,
            "why": str,  # what was lacking, as a person would say it
            "missing": str,  # JSON list of the required groups not found
            "terms": str,  # JSON list of the terms found, as hits.terms
            "created_at": str,
            "flagged_at": str,
            "hit_id": int,  # the hit a flag made of it
        },
        pk="id",
        not_null={"watch", "entry_id", "why", "created_at"},
        foreign_keys=[("entry_id", "entries", "id")],
    )
    near = _table(db, "near_misses")
    near.create_index(["watch", "entry_id"], unique=True)
    near.create_index(["entry_id"])  # prune: the near misses of entries it deletes
    near.create_index(["created_at"])
    near.create_index(["watch", "created_at"])
    near.create_index(["hit_id"])


@MIGRATIONS()
def m011_pending_hits(db: Database) -> None:
    """A hit a poll pass defers (``pending = 1``) waits to be placed in its story, with
    the pass's other hits in order of publication, and its alerts queued then."""
    _table(db, "hits").add_column("pending", int, not_null_default=0)
    db.execute("CREATE INDEX idx_hits_pending ON hits (pending) WHERE pending = 1")


@MIGRATIONS()
def m012_review_indexes(db: Database) -> None:
    """Indexes for the review page's daily use, so each of its queries reads what it
    shows and no more: the new hits and stories the navigation counts on every page and
    a bulk "mark seen" sweeps (``status``), a feed's entries per day (``feed_id,
    first_seen_at``; the feeds table's counts per feed use it too) and its failed
    fetches, newest first (``feed_id, status, at``)."""
    for sql in (
        "CREATE INDEX IF NOT EXISTS idx_hits_status ON hits (status)",
        "CREATE INDEX IF NOT EXISTS idx_stories_status_last_seen ON stories (status, last_seen)",
        "CREATE INDEX IF NOT EXISTS idx_entries_feed_id_first_seen_at"
        " ON entries (feed_id, first_seen_at)",
        "CREATE INDEX IF NOT EXISTS idx_fetch_log_feed_id_status_at"
        " ON fetch_log (feed_id, status, at)",
    ):
        db.execute(sql)  # one statement per execute: executescript would commit


@MIGRATIONS()
def m013_query_indexes(db: Database) -> None:
    """What the hit list sorts and filters by, kept on the hit, so one index serves each
    list, and counts kept per feed, so nothing a page or housekeeping asks reads a table.

    ``hits.sort_at`` is when the hit's entry was published, else when it was found (the
    list's order), and ``hits.feed_id`` and ``hits.language`` are its entry's: the
    triggers fill them when a hit is inserted and follow its entry when that changes.
    ``feeds.entry_count`` and ``feeds.hit_count`` are kept by triggers as entries and
    hits come and go (``monitor feeds`` shows them), and ``status_counts`` the hits and
    stories per triage status (the navigation's counts of new ones). Indexes: the list by
    ``(sort_at)``, ``(watch, sort_at)``, ``(status, sort_at)``, ``(watch, status,
    sort_at)``, ``(feed_id, sort_at)`` and ``(language, sort_at)``; a watch's hits found
    about the same time (a story without stories) by ``(watch, created_at)``; old
    fetch-log rows for prune by ``fetch_log (at)``; the near misses not flagged, newest
    first (their list and its count) by a partial index of ``created_at``.
    """
    hits, feeds = _table(db, "hits"), _table(db, "feeds")
    hits.add_column("sort_at", str)
    hits.add_column("feed_id", int)
    hits.add_column("language", str)
    feeds.add_column("entry_count", int, not_null_default=0)
    feeds.add_column("hit_count", int, not_null_default=0)
    for sql in (
        "UPDATE hits SET (sort_at, feed_id, language) = (SELECT coalesce(entries.published,"
        " hits.created_at), entries.feed_id, entries.language FROM entries"
        " WHERE entries.id = hits.entry_id)",
        "CREATE INDEX idx_hits_sort_at ON hits (sort_at)",
        "CREATE INDEX idx_hits_watch_sort_at ON hits (watch, sort_at)",
        "CREATE INDEX idx_hits_status_sort_at ON hits (status, sort_at)",
        "CREATE INDEX idx_hits_watch_status_sort_at ON hits (watch, status, sort_at)",
        "CREATE INDEX idx_hits_feed_id_sort_at ON hits (feed_id, sort_at)",
        "CREATE INDEX idx_hits_language_sort_at ON hits (language, sort_at)",
        "CREATE INDEX idx_hits_watch_created_at ON hits (watch, created_at)",
        "CREATE INDEX idx_fetch_log_at ON fetch_log (at)",
        "CREATE INDEX idx_near_misses_unflagged_created_at ON near_misses (created_at)"
        " WHERE flagged_at IS NULL",
        "UPDATE feeds SET entry_count = (SELECT count(*) FROM entries"
        " WHERE entries.feed_id = feeds.id), hit_count = (SELECT count(*) FROM hits"
        " WHERE hits.feed_id = feeds.id)",
        # One statement per execute: executescript would commit the migration's transaction.
        """
        CREATE TRIGGER hits_keep_entry AFTER INSERT ON hits
        BEGIN
            UPDATE hits SET (sort_at, feed_id, language) = (SELECT coalesce(entries.published,
                new.created_at), entries.feed_id, entries.language FROM entries
                WHERE entries.id = new.entry_id) WHERE id = new.id;
            UPDATE feeds SET hit_count = hit_count + 1
            WHERE id = (SELECT feed_id FROM entries WHERE entries.id = new.entry_id);
        END
        """,
        """
        CREATE TRIGGER hits_uncount AFTER DELETE ON hits
        BEGIN
            UPDATE feeds SET hit_count = hit_count - 1 WHERE id = old.feed_id;
        END
        """,
        """
        CREATE TRIGGER entries_count AFTER INSERT ON entries
        BEGIN
            UPDATE feeds SET entry_count = entry_count + 1 WHERE id = new.feed_id;
        END
        """,
        """
        CREATE TRIGGER entries_uncount AFTER DELETE ON entries
        BEGIN
            UPDATE feeds SET entry_count = entry_count - 1 WHERE id = old.feed_id;
        END
        """,
        """
        CREATE TRIGGER entries_hits_follow AFTER UPDATE OF published, language, feed_id
        ON entries
        WHEN old.published IS NOT new.published OR old.language IS NOT new.language
            OR old.feed_id IS NOT new.feed_id
        BEGIN
            UPDATE hits SET sort_at = coalesce(new.published, created_at),
                feed_id = new.feed_id, language = new.language WHERE entry_id = new.id;
        END
        """,
        """
        CREATE TRIGGER entries_move_feed AFTER UPDATE OF feed_id ON entries
        WHEN old.feed_id IS NOT new.feed_id
        BEGIN
            UPDATE feeds SET entry_count = entry_count - 1,
                hit_count = hit_count - (SELECT count(*) FROM hits WHERE entry_id = new.id)
            WHERE id = old.feed_id;
            UPDATE feeds SET entry_count = entry_count + 1,
                hit_count = hit_count + (SELECT count(*) FROM hits WHERE entry_id = new.id)
            WHERE id = new.feed_id;
        END
        """,
    ):
        db.execute(sql)
    db.execute(
        "CREATE TABLE status_counts (kind TEXT NOT NULL, status TEXT NOT NULL,"
        " n INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, status))"
    )
    for table in ("hits", "stories"):
        db.execute(
            "INSERT INTO status_counts (kind, status, n)"
            f" SELECT '{table}', status, count(*) FROM {table} WHERE status IS NOT NULL"
            " GROUP BY status"
        )
        add = (
            f"INSERT INTO status_counts (kind, status, n) VALUES ('{table}', new.status, 1)"
            " ON CONFLICT (kind, status) DO UPDATE SET n = n + 1"
        )
        take = f"UPDATE status_counts SET n = n - 1 WHERE kind = '{table}' AND status = old.status"
        for trigger in (
            f"CREATE TRIGGER {table}_status_add AFTER INSERT ON {table}"
            f" WHEN new.status IS NOT NULL BEGIN {add}; END",
            f"CREATE TRIGGER {table}_status_take AFTER DELETE ON {table}"
            f" WHEN old.status IS NOT NULL BEGIN {take}; END",
            f"CREATE TRIGGER {table}_status_move AFTER UPDATE OF status ON {table}"
            f" WHEN old.status IS NOT new.status BEGIN {take}; {add}; END",
        ):
            db.execute(trigger)
