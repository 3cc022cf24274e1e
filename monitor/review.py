"""What the review page and the CLI ask of the database: filtered, searched, paged hits;
triage marks; feed health with rates; hits per day. Pure SQL over ``Store``.

Search uses the ``entries_fts`` trigram index for words of three characters or more
(so "truppen" finds "Truppenentsendung" and "북한군" finds "북한군이"); shorter words
(포로, "EU") fall back to a plain substring scan, which the trigram index cannot serve.
``search_problem`` says why a search cannot run (too many words, a NUL), for the page
and the CLI to refuse it in one line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.message import Related
from monitor.store import HIT_SELECT, Store, from_iso, hit_row, iso
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

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = ["1 = 1"]
        params: list[Any] = []
        for column, value in (
            ("hits.watch", self.watch),
            ("feeds.name", self.feed),
            ("entries.language", self.language),
            ("hits.status", self.status),
        ):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        when = "COALESCE(entries.published, hits.created_at)"
        if self.since is not None:
            clauses.append(f"{when} >= ?")
            params.append(iso(self.since))
        if self.until is not None:
            clauses.append(f"{when} < ?")
            params.append(iso(self.until))
        if self.found_since is not None:
            clauses.append("hits.created_at >= ?")
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


ORDER = " ORDER BY COALESCE(entries.published, hits.created_at) DESC, hits.id DESC"


def find_hits(
    store: Store, filters: HitFilter, *, limit: int | None = 50, offset: int = 0
) -> list[dict[str, Any]]:
    where, params = filters.where()
    sql = HIT_SELECT + " WHERE " + where + ORDER
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return [hit_row(r) for r in store.db.query(sql, params)]


def count_hits(store: Store, filters: HitFilter) -> int:
    where, params = filters.where()
    sql = (
        "SELECT count(*) FROM hits JOIN entries ON entries.id = hits.entry_id"
        " JOIN feeds ON feeds.id = entries.feed_id WHERE " + where
    )
    return int(store.conn.execute(sql, params).fetchone()[0])


def mark(store: Store, hit_id: int, status: str | None, note: str | None, now: datetime) -> bool:
    """Set a hit's triage status and/or note. False when there is no such hit."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    changes: dict[str, Any] = {"marked_at": iso(now)}
    if status is not None:
        changes["status"] = status
    if note is not None:
        changes["note"] = note.strip() or None
    columns = ", ".join(f"{k} = ?" for k in changes)
    with store.write() as db:
        cursor = db.execute(f"UPDATE hits SET {columns} WHERE id = ?", [*changes.values(), hit_id])
    return bool(cursor.rowcount)


def facets(store: Store) -> dict[str, list[str]]:
    """The values the filters offer: watches, feeds and languages that have hits."""

    def distinct(column: str) -> list[str]:
        sql = (
            f"SELECT DISTINCT {column} FROM hits JOIN entries ON entries.id = hits.entry_id"
            f" JOIN feeds ON feeds.id = entries.feed_id WHERE {column} IS NOT NULL ORDER BY 1"
        )
        return [row[0] for row in store.conn.execute(sql)]

    return {
        "watches": distinct("hits.watch"),
        "feeds": distinct("feeds.name"),
        "languages": distinct("entries.language"),
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


def timeline(
    store: Store, *, days: int, split: str, now: datetime, tz: ZoneInfo, watch: str | None = None
) -> tuple[list[date], dict[str, list[int]]]:
    """Hits per local day for the last ``days`` days, one series per language or outlet."""
    column = {"language": "entries.language", "outlet": "entries.outlet"}[split]
    start = (now.astimezone(tz) - timedelta(days=days - 1)).date()
    sql = (
        f"SELECT COALESCE(entries.published, hits.created_at) AS at, {column} AS label"
        " FROM hits JOIN entries ON entries.id = hits.entry_id"
        " WHERE COALESCE(entries.published, hits.created_at) >= ?"
        + (" AND hits.watch = ?" if watch else "")
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
                "SELECT entries.outlet, entries.title, entries.url, entries.key, hits.id"
                " FROM hits JOIN entries ON entries.id = hits.entry_id"
                " WHERE hits.story_id = ? ORDER BY hits.id",
                [row["story_id"]],
            )
        )
        related = [
            Related(m["outlet"], m["title"], m["url"]) for m in members if m["id"] != row["hit_id"]
        ]
        return related, (members[0]["key"] if members else row["entry_key"])
    if created is None:
        return [], None
    others = store.db.query(
        "SELECT entries.outlet, entries.title, entries.url, entries.key, hits.id"
        " FROM hits JOIN entries ON entries.id = hits.entry_id"
        " WHERE hits.watch = ? AND hits.id != ? AND hits.created_at BETWEEN ? AND ?"
        " ORDER BY hits.id",
        [row["watch"], row["hit_id"], iso(created - STORY_WINDOW), iso(created + STORY_WINDOW)],
    )
    same = [o for o in others if same_story(o["title"], row["title"])]
    related = [
        Related(o["outlet"], o["title"], o["url"]) for o in same if o["outlet"] != row["outlet"]
    ]
    earlier = [o for o in same if o["id"] < row["hit_id"]]
    return related, (earlier[0]["key"] if earlier else row["entry_key"])
