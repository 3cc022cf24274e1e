"""Reading stories and figures for the CLI, the review page and exports.

Every query is served by an index: stories by ``(watch, last_seen)``, ``(status,
last_seen)`` or ``last_seen``, a story's hits by ``hits.story_id``, figures by
``(story_id, reported_at)``, ``kind``, ``source`` or ``reported_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.store import Store, iso

STORY_COLUMNS = (
    "id, watch, title, first_seen, last_seen, hits AS count, languages, outlets, status, follows"
)
FIGURE_SELECT = """
SELECT figures.kind, figures.value, figures.low, figures.high, figures.qualifier,
       figures.source, figures.hit_id, figures.story_id, figures.sentence, figures.field,
       figures.reported_at, entries.outlet, entries.title, entries.url, entries.language
FROM figures
JOIN hits ON hits.id = figures.hit_id
JOIN entries ON entries.id = hits.entry_id
"""


@dataclass(frozen=True)
class FigureFilter:
    kind: str | None = None
    source: str | None = None
    story: int | None = None
    since: datetime | None = None


def _story_row(store: Store, row: dict[str, Any], figures: bool = True) -> dict[str, Any]:
    story = dict(row)
    story["languages"] = json.loads(story["languages"] or "[]")
    story["outlets"] = json.loads(story["outlets"] or "[]")
    story["hits"] = [
        r[0]
        for r in store.conn.execute(
            "SELECT id FROM hits WHERE story_id = ? ORDER BY id", [story["id"]]
        )
    ]
    del story["count"]
    if figures:
        story["figures"] = find_figures(store, FigureFilter(story=story["id"]), limit=500)
    return story


def _story_where(
    watch: str | None, status: str | None, since: datetime | None
) -> tuple[str, list[Any]]:
    sql, params = "last_seen >= ?", [iso(since) or ""]
    for column, value in (("watch", watch), ("status", status)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    return sql, params


def find_stories(
    store: Store,
    *,
    watch: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Stories by newest activity, each with its hit ids and figures."""
    where, params = _story_where(watch, status, since)
    sql = f"SELECT {STORY_COLUMNS} FROM stories WHERE {where} ORDER BY last_seen DESC"
    rows = store.db.query(sql + " LIMIT ? OFFSET ?", [*params, limit, offset])
    return [_story_row(store, row) for row in rows]


def get_story(store: Store, story_id: int) -> dict[str, Any] | None:
    """One story: its row, figures, and articles (with why each joined), oldest first."""
    rows = list(store.db.query(f"SELECT {STORY_COLUMNS} FROM stories WHERE id = ?", [story_id]))
    if not rows:
        return None
    story = _story_row(store, rows[0])
    story["articles"] = [
        {**row, "reasons": json.loads(row.pop("story_reasons") or "[]")}
        for row in store.db.query(
            "SELECT hits.id, entries.title, entries.url, entries.outlet, entries.language,"
            " entries.published, entries.first_seen_at, hits.story_reasons, hits.status"
            " FROM hits JOIN entries ON entries.id = hits.entry_id WHERE hits.story_id = ?"
            " ORDER BY coalesce(entries.published, entries.first_seen_at), hits.id",
            [story_id],
        )
    ]
    return story


def find_figures(
    store: Store, filters: FigureFilter, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """Figures, newest report first."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.story is not None:
        clauses.append("figures.story_id = ?")
        params.append(filters.story)
    if filters.kind is not None:
        clauses.append("figures.kind = ?")
        params.append(filters.kind)
    if filters.source is not None:
        clauses.append("figures.source = ?")
        params.append(filters.source)
    if filters.since is not None:
        clauses.append("figures.reported_at >= ?")
        params.append(iso(filters.since))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    order = " ORDER BY figures.reported_at DESC, figures.id DESC LIMIT ? OFFSET ?"
    return list(store.db.query(FIGURE_SELECT + where + order, [*params, limit, offset]))


def figures_by_hit(store: Store, hit_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The figures of many hits at once (exports), by hit id; served by figures.hit_id."""
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(hit_ids), 500):
        chunk = json.dumps(hit_ids[start : start + 500])
        sql = FIGURE_SELECT + " WHERE figures.hit_id IN (SELECT value FROM json_each(?))"
        for row in store.db.query(sql + " ORDER BY figures.id", [chunk]):
            found.setdefault(row["hit_id"], []).append(row)
    return found


def mark_story(store: Store, story_id: int, status: str, now: datetime) -> int:
    """Triage a whole story: the story and every one of its hits get ``status`` (back
    to ``new``, untriaged: no ``marked_at``). Returns the number of hits marked; -1 when
    there is no such story."""
    with store.write() as db:
        cursor = db.execute("UPDATE stories SET status = ? WHERE id = ?", [status, story_id])
        if not cursor.rowcount:
            return -1
        marked = db.execute(
            "UPDATE hits SET status = ?, marked_at = ? WHERE story_id = ?",
            [status, None if status == "new" else iso(now), story_id],
        )
    return int(marked.rowcount)


def mark_stories_seen(
    store: Store,
    now: datetime,
    *,
    ids: list[int] | None = None,
    watch: str | None = None,
    status: str | None = None,
) -> int:
    """Mark new stories seen in bulk, with their new hits: those of ``ids`` (a page of
    the list), or every one of ``watch`` and ``status`` (the list's filters). As with
    hits, only ``new`` ones change: a story or hit the reader marked keeps its mark.
    Returns how many stories were marked."""
    if ids is not None:
        chosen, params = "SELECT value FROM json_each(?)", [json.dumps(ids)]
    else:
        where, params = _story_where(watch, status, None)
        chosen = f"SELECT id FROM stories WHERE {where}"
    with store.write() as db:
        marked = [
            row[0]
            for row in db.execute(
                # "+status": by the ids chosen, not by every new story (index of status)
                f"UPDATE stories SET status = 'seen' WHERE +status = 'new' AND id IN ({chosen})"
                " RETURNING id",
                params,
            ).fetchall()
        ]
        db.execute(
            "UPDATE hits SET status = 'seen', marked_at = ? WHERE +status = 'new'"
            " AND story_id IN (SELECT value FROM json_each(?))",
            [iso(now), json.dumps(marked)],
        )
    return len(marked)
