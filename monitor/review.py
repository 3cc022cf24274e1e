"""What the review page and the CLI ask of the database: filtered, searched, paged hits;
triage marks, one by one or in bulk; new hits and stories for the navigation; feed
health with rates, and one feed's fetch history and entries per day; hits per day.
Pure SQL over ``Store``, each query served by an index (tests/test_web_daily.py reads
their plans).

Search uses the ``entries_fts`` trigram index for words of three characters or more
(so "truppen" finds "Truppenentsendung" and "북한군" finds "북한군이"); shorter words
(포로, "EU") fall back to a plain substring scan, which the trigram index cannot serve.
``search_problem`` says why a search cannot run (too many words, a NUL), for the page
and the CLI to refuse it in one line.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.message import Related
from monitor.store import COUNT_LIMIT, HIT_SELECT, Store, from_iso, hit_row, iso
from monitor.terms import same_story

STATUSES = ("new", "relevant", "irrelevant", "seen")
MARKS = ("relevant", "irrelevant", "seen")
# Each word of a search is a clause of the query, and SQLite refuses a WHERE nested
# 1000 deep: far below that, a search of more words is a mistake, not a question.
SEARCH_MAX_WORDS, SEARCH_MAX_CHARS = 20, 500


def search_problem(text: str) -> str | None:
    """Why ``text`` cannot be searched for, or None when it can."""
    if len(text) > SEARCH_MAX_CHARS or len(text.split()) > SEARCH_MAX_WORDS:
        return f"a search takes at most {SEARCH_MAX_WORDS} words and {SEARCH_MAX_CHARS} characters"
    if "\x00" in text:  # FTS5 reads its query as C text, which ends there
        return "a search cannot hold a NUL character"
    return None


@dataclass(frozen=True)
class HitFilter:
    watch: str | None = None
    feed: str | None = None
    language: str | None = None
    status: str | None = None
    since: datetime | None = None  # published (or found, without a date) at or after
    until: datetime | None = None  # ... and before
    found_since: datetime | None = None  # found by monitor at or after
    search: str | None = None

    def where(self, *, ordered: bool = True) -> tuple[str, list[Any]]:
        """The filters as SQL over ``HIT_SELECT``'s tables; each equality and the time
        range read the hit's own columns (``m013_query_indexes``), so an index on hits
        serves the list in its order (``ordered``; else, for a count, its range)."""
        clauses: list[str] = ["1 = 1"]
        params: list[Any] = []
        for column, value in (
            ("hits.watch", self.watch),
            ("hits.feed_id", self.feed),
            ("hits.language", self.language),
            ("hits.status", self.status),
        ):
            if value:
                if column == "hits.feed_id":
                    clauses.append("hits.feed_id = (SELECT id FROM feeds WHERE name = ?)")
                else:
                    clauses.append(f"{column} = ?")
                params.append(value)
        if self.since is not None:
            clauses.append("hits.sort_at >= ?")
            params.append(iso(self.since))
        if self.until is not None:
            clauses.append("hits.sort_at < ?")
            params.append(iso(self.until))
        if self.found_since is not None:
            # "+": walk the list's index in its order, filtering on when found, rather
            # than read every hit found since then and sort them for one page.
            clauses.append(("+" if ordered else "") + "hits.created_at >= ?")
            params.append(iso(self.found_since))
        for word in (self.search or "").split():
            if len(word) >= 3:
                clauses.append(
                    "entries.id IN (SELECT rowid FROM entries_fts WHERE entries_fts MATCH ?)"
                )
                params.append('"' + word.replace('"', '""') + '"')
            else:
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                clauses.append(
                    "(entries.title LIKE ? ESCAPE '\\' OR entries.summary LIKE ? ESCAPE '\\')"
                )
                params += [f"%{escaped}%"] * 2
        return " AND ".join(clauses), params


# ``sort_at`` is COALESCE(entries.published, hits.created_at), kept on the hit.
ORDER = " ORDER BY hits.sort_at DESC, hits.id DESC"


def find_hits(
    store: Store, filters: HitFilter, *, limit: int | None = 50, offset: int = 0
) -> list[dict[str, Any]]:
    where, params = filters.where()
    sql = HIT_SELECT + " WHERE " + where + ORDER
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return [hit_row(r) for r in store.db.query(sql, params)]


def count_hits(store: Store, filters: HitFilter) -> int:
    """How many hits ``filters`` match, up to ``COUNT_LIMIT + 1`` (then: more than the
    limit, which ``count_text`` shows as "10,000+")."""
    where, params = filters.where(ordered=False)
    # Only a search reads the entries' text: without one, the count reads an index alone.
    join = " JOIN entries ON entries.id = hits.entry_id" if filters.search else ""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM hits{join} WHERE {where} LIMIT {COUNT_LIMIT + 1})"
    return int(store.conn.execute(sql, params).fetchone()[0])


def count_text(count: int) -> str:
    """A bounded count as the page shows it: "1,234", or "10,000+" past the limit."""
    return f"{COUNT_LIMIT:,}+" if count > COUNT_LIMIT else f"{count:,}"


def mark(store: Store, hit_id: int, status: str | None, note: str | None, now: datetime) -> bool:
    """Set a hit's triage status and/or note. False when there is no such hit. Back to
    ``new``, the hit is untriaged again: it has no ``marked_at``."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    changes: dict[str, Any] = {"marked_at": None if status == "new" else iso(now)}
    if status is not None:
        changes["status"] = status
    if note is not None:
        changes["note"] = note.strip() or None
    columns = ", ".join(f"{k} = ?" for k in changes)
    with store.write() as db:
        cursor = db.execute(f"UPDATE hits SET {columns} WHERE id = ?", [*changes.values(), hit_id])
    return bool(cursor.rowcount)


def mark_seen(
    store: Store, now: datetime, *, ids: list[int] | None = None, filters: HitFilter | None = None
) -> int:
    """Mark new hits seen in bulk: those of ``ids`` (a page of the list), or every one
    ``filters`` matches. Only ``new`` hits change: a relevant or irrelevant mark is a
    label the reader gave (``monitor eval --marks`` learns from it), never overwritten
    by a sweep. Returns how many were marked."""
    if ids is not None:
        chosen, params = "SELECT value FROM json_each(?)", [json.dumps(ids)]
    else:
        where, params = (filters or HitFilter()).where(ordered=False)
        chosen = (
            "SELECT hits.id FROM hits JOIN entries ON entries.id = hits.entry_id WHERE " + where
        )
    with store.write() as db:
        cursor = db.execute(
            "UPDATE hits SET status = 'seen', marked_at = ?"
            f" WHERE status = 'new' AND id IN ({chosen})",
            [iso(now), *params],
        )
    return int(cursor.rowcount)


def new_counts(store: Store) -> dict[str, int]:
    """How many hits and stories are still new: the navigation's counts, on every page,
    as the triggers of ``m013_query_indexes`` keep them (``status_counts``): two rows
    read, however many are new."""
    rows = store.conn.execute(
        "SELECT kind, n FROM status_counts WHERE (kind, status) IN"
        " (VALUES ('hits', 'new'), ('stories', 'new'))"
    ).fetchall()
    found = {kind: int(n) for kind, n in rows}
    return {"hits": found.get("hits", 0), "stories": found.get("stories", 0)}


def facets(store: Store) -> dict[str, list[str]]:
    """The values the filters offer: watches, feeds and languages that have hits.

    Each is a skip scan (the next value after the last one, from an index that starts
    with the column), so it reads one index entry per value, not one per hit."""

    def distinct(column: str) -> list[str]:
        sql = (
            f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM hits UNION ALL"
            f" SELECT (SELECT min({column}) FROM hits WHERE {column} > v.x) FROM v"
            " WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT NULL"
        )
        return [row[0] for row in store.conn.execute(sql)]

    feeds = json.dumps(distinct("feed_id"))
    names = store.conn.execute(
        "SELECT name FROM feeds WHERE id IN (SELECT value FROM json_each(?)) ORDER BY name",
        [feeds],
    )
    return {
        "watches": distinct("watch"),
        "feeds": [row[0] for row in names],
        "languages": distinct("language"),
    }


def feed_health(store: Store, now: datetime, days: int = 7) -> list[dict[str, Any]]:
    """Each feed's health, with new entries per day over the last ``days``."""
    since = iso(now - timedelta(days=days))
    rows = []
    for row in store.feeds_health():
        recent = store.conn.execute(
            "SELECT count(*) FROM entries JOIN feeds ON feeds.id = entries.feed_id"
            " WHERE feeds.name = ? AND entries.first_seen_at >= ?",
            [row["name"], since],
        ).fetchone()[0]
        rows.append({**row, "entries_per_day": round(recent / days, 1)})
    return rows


FEED_COLUMNS = (
    "id, name, url, outlet, language, enabled, title, last_fetch_at, last_success_at,"
    " last_error, last_error_at, failures, next_attempt_at, permanent_redirect,"
    " dead_reason, dead_since"
)
FEED_DAYS = 30  # a feed's page: entries per day over this many days
FETCHES_PAGE, FEED_ERRORS, FEED_HITS = 50, 20, 20  # rows of each of its lists


def find_feed(store: Store, key: str) -> dict[str, Any] | None:
    """A feed by its name, else by its id (the feeds table links by name; a name may be
    all digits, and then the name wins)."""
    sql = f"SELECT {FEED_COLUMNS} FROM feeds WHERE "
    rows = list(store.db.query(sql + "name = ?", [key]))
    if not rows and key.isascii() and key.isdigit() and len(key) < 19:  # below 2**63
        rows = list(store.db.query(sql + "id = ?", [int(key)]))
    return rows[0] if rows else None


def fetch_history(
    store: Store, feed_id: int, *, errors: bool = False, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """A feed's fetches from ``fetch_log``, newest first (``errors``: the failed only)."""
    sql = (
        "SELECT at, status, http_status, bytes, elapsed_ms, new_entries, new_hits, error"
        " FROM fetch_log WHERE feed_id = ?"
        + (" AND status = 'error'" if errors else "")
        + " ORDER BY at DESC LIMIT ? OFFSET ?"
    )
    return list(store.db.query(sql, [feed_id, limit, offset]))


def feed_days(
    store: Store, feed_id: int, *, days: int, now: datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """A feed's new entries per local day over the last ``days`` days, newest first, with
    how many of them became hits (an entry two watches took counts twice)."""
    start = (now.astimezone(tz) - timedelta(days=days - 1)).date()
    sql = (
        "SELECT entries.first_seen_at, count(hits.id) FROM entries"
        " LEFT JOIN hits ON hits.entry_id = entries.id"
        " WHERE entries.feed_id = ? AND entries.first_seen_at >= ? GROUP BY entries.id"
    )
    since = iso(datetime(start.year, start.month, start.day, tzinfo=tz))
    entries: Counter[date] = Counter()
    hits: Counter[date] = Counter()
    for at, found in store.conn.execute(sql, [feed_id, since]):
        when = from_iso(at)
        if when is not None:
            entries[when.astimezone(tz).date()] += 1
            hits[when.astimezone(tz).date()] += found
    listed = [start + timedelta(days=n) for n in range(days)]
    return [{"day": d, "entries": entries[d], "hits": hits[d]} for d in reversed(listed)]


def feed_page(
    store: Store, feed: dict[str, Any], *, page: int, now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    """Everything a feed's page shows: its fetches (``page`` of them), its latest
    errors, entries per day, its latest hits and how many it has."""
    offset = (page - 1) * FETCHES_PAGE
    fetches = fetch_history(store, feed["id"], limit=FETCHES_PAGE + 1, offset=offset)
    filters = HitFilter(feed=feed["name"])
    total = count_hits(store, filters)
    return {
        "fetches": fetches[:FETCHES_PAGE],
        "more_fetches": len(fetches) > FETCHES_PAGE,
        "fetch_offset": offset,
        "errors": fetch_history(store, feed["id"], errors=True, limit=FEED_ERRORS),
        "days": feed_days(store, feed["id"], days=FEED_DAYS, now=now, tz=tz),
        "hits": find_hits(store, filters, limit=FEED_HITS),
        "hit_total": total,
        "hit_total_text": count_text(total),
    }


def timeline(
    store: Store, *, days: int, split: str, now: datetime, tz: ZoneInfo, watch: str | None = None
) -> tuple[list[date], dict[str, list[int]]]:
    """Hits per local day for the last ``days`` days, one series per language or outlet."""
    column = {"language": "entries.language", "outlet": "entries.outlet"}[split]
    start = (now.astimezone(tz) - timedelta(days=days - 1)).date()
    sql = (
        f"SELECT hits.sort_at AS at, {column} AS label"
        " FROM hits JOIN entries ON entries.id = hits.entry_id"
        " WHERE hits.sort_at >= ?" + (" AND hits.watch = ?" if watch else "")
    )
    params: list[Any] = [iso(datetime(start.year, start.month, start.day, tzinfo=tz))]
    if watch:
        params.append(watch)
    counts: Counter[tuple[str, date]] = Counter()
    for at, label in store.conn.execute(sql, params):
        when = from_iso(at)
        if when is not None:
            counts[(label or "unknown", when.astimezone(tz).date())] += 1
    days_list = [start + timedelta(days=n) for n in range(days)]
    labels = sorted({label for label, _ in counts})
    return days_list, {label: [counts[(label, d)] for d in days_list] for label in labels}


STORY_WINDOW = timedelta(days=3)


def story(
    store: Store, row: dict[str, Any], created: datetime | None
) -> tuple[list[Related], str | None]:
    """Other outlets' hits on the same story, and the entry key of its first hit.

    ``row`` needs ``watch``, ``hit_id``, ``title``, ``outlet`` and ``entry_key``; with a
    ``story_id`` the story's hits are the story, else headlines that share most words.
    """
    if row.get("story_id"):
        members = list(
            store.db.query(
                "SELECT entries.outlet, entries.title, entries.url, entries.key, hits.id,"
                " entries.language FROM hits JOIN entries ON entries.id = hits.entry_id"
                " WHERE hits.story_id = ? ORDER BY hits.id",
                [row["story_id"]],
            )
        )
        related = [
            Related(m["outlet"], m["title"], m["url"], m["id"], m["language"])
            for m in members
            if m["id"] != row["hit_id"]
        ]
        return related, (members[0]["key"] if members else row["entry_key"])
    if created is None:
        return [], None
    others = store.db.query(
        "SELECT entries.outlet, entries.title, entries.url, entries.key, hits.id,"
        " entries.language FROM hits JOIN entries ON entries.id = hits.entry_id"
        " WHERE hits.watch = ? AND hits.id != ? AND hits.created_at BETWEEN ? AND ?"
        " ORDER BY hits.id",
        [row["watch"], row["hit_id"], iso(created - STORY_WINDOW), iso(created + STORY_WINDOW)],
    )
    same = [o for o in others if same_story(o["title"], row["title"])]
    related = [
        Related(o["outlet"], o["title"], o["url"], o["id"], o["language"])
        for o in same
        if o["outlet"] != row["outlet"]
    ]
    earlier = [o for o in same if o["id"] < row["hit_id"]]
    return related, (earlier[0]["key"] if earlier else row["entry_key"])
