"""Turn stored rows into what people and programs read: tables, JSON, CSV, highlights.

The only module that imports tabulate. Times are stored in UTC and shown in the
configured time zone; JSON and CSV keep ISO 8601 UTC. A table fits the width of the
terminal it is printed on (``table``), measured in columns (``textwidth``), so that Korean
and Japanese headlines line up; to a pipe or a file it keeps each cell's own cap.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tabulate import tabulate

from monitor.export import figure_text, neutralise
from monitor.terms import fold, highlight_spans, snippet
from monitor.textwidth import clipped, columns, one_line, shares, terminal_width

HIT_FIELDS = (
    "id",
    "watch",
    "feed",
    "title",
    "url",
    "published",
    "first_seen_at",
    "matched",
    "score",
    "status",
    "note",
    "still_matches",
    "origin",
    "story",
)
FEED_FIELDS = (
    "name",
    "enabled",
    "last_success_at",
    "last_error",
    "failures",
    "next_attempt_at",
    "next_attempt_reason",
    "entries",
    "hits",
    "url",
    "permanent_redirect",
    "dead_reason",
    "dead_since",
)


def local_time(value: str | None, tz: ZoneInfo) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def shorten(text: str | None, width: int) -> str:
    """``text`` on one line, in at most ``width`` terminal columns; ``…`` marks a cut."""
    return clipped(one_line(text or ""), width)


GAP = 2  # tabulate's "simple" format sets its columns two spaces apart
Width = int | None  # a table's width in columns; None: the terminal's, or none to a pipe


def table(rows: list[list[Any]], headers: list[str], width: Width, share: dict[str, int]) -> str:
    """``rows`` under ``headers``, cut to fit ``width`` columns (None: the terminal's).

    The columns named in ``share`` give up room, in proportion to their weight, each cell
    cut with ``…``; the others keep their width. Integer columns are aligned right, text
    is never read as a number (a headline "2025" stays a headline).
    """
    width = terminal_width() if width is None else width
    cells = [[v if isinstance(v, int) or v is None else one_line(str(v)) for v in r] for r in rows]
    # tabulate gives each column at least its header and two spaces.
    least = [columns(h) + 2 for h in headers]
    natural = [
        max([least[i]] + [columns(str(r[i])) for r in cells if r[i] is not None])
        for i in range(len(headers))
    ]
    if width is not None:
        weights = {headers.index(name): weight for name, weight in share.items()}
        room = width - GAP * (len(headers) - 1)
        limits = shares(natural, weights, room, [max(6, n) for n in least])
        cells = [
            [clipped(v, limits[i]) if isinstance(v, str) else v for i, v in enumerate(r)]
            for r in cells
        ]
    numeric = [
        all(isinstance(r[i], int) or r[i] is None for r in cells) for i in range(len(headers))
    ]
    align = ["right" if n else "left" for n in numeric]
    return tabulate(cells, headers=headers, disable_numparse=True, colalign=align)


def words_found(row: dict[str, Any]) -> list[str]:
    """The words a hit's terms found, as written in its title and summary (its full text
    when they have none): "Nordkoreas, 북한군이", not the patterns "nordkorea*, 북한군".
    The patterns themselves when no word can be pointed at."""
    terms = row["matched"]
    for texts in ((row["title"], row["summary"]), (row.get("content"),)):
        found: dict[str, str] = {}
        for text in texts:
            for start, end in highlight_spans(text or "", terms):
                word = one_line((text or "")[start:end])
                found.setdefault(fold(word), word)
        if found:
            return list(found.values())
    return list(terms)


def explanation(row: dict[str, Any]) -> dict[str, Any]:
    """Why a hit was flagged: per group, the terms and where they stood; the score."""
    groups: dict[str, list[dict[str, str]]] = {}
    for t in row["terms"]:
        groups.setdefault(t["group"], []).append({"term": t["term"], "field": t["field"]})
    return {"score": row["score"], "groups": groups, "met": row.get("met")}


def hit_object(row: dict[str, Any]) -> dict[str, Any]:
    """A hit as JSON: its fields, the explanation, and a snippet with ``**`` marks."""
    text = row["summary"] if highlight_spans(row["summary"] or "", row["matched"]) else row["title"]
    return {
        **{k: row[k] for k in HIT_FIELDS},
        "explanation": explanation(row),
        "snippet": snippet(text or "", row["matched"]),
    }


def hits_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps([hit_object(r) for r in rows], ensure_ascii=False, indent=2)


def hits_csv(rows: list[dict[str, Any]]) -> str:
    """``monitor hits --csv``: feed text is neutralised as in ``export`` (no formulas)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HIT_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = {**row, "matched": "; ".join(row["matched"])}
        writer.writerow({k: neutralise(values[k]) for k in HIT_FIELDS})
    return out.getvalue()


def hits_table(rows: list[dict[str, Any]], tz: ZoneInfo, width: Width = None) -> str:
    """``monitor hits``: each hit's triage mark and the words its terms found."""
    if not rows:
        return "No hits yet."
    cells = [
        [
            r["id"],
            local_time(r["published"] or r["first_seen_at"], tz),
            shorten(r["feed"], 30),
            r["status"],
            shorten(r["title"], 70),
            shorten(", ".join(words_found(r)), 40),
        ]
        for r in rows
    ]
    headers = ["id", "published", "feed", "status", "title", "matched"]
    return table(cells, headers, width, {"feed": 2, "title": 6, "matched": 3})


MISS_FIELDS = (
    "id",
    "watch",
    "feed",
    "outlet",
    "language",
    "title",
    "url",
    "published",
    "created_at",
    "why",
    "missing",
    "matched",
    "terms",
    "flagged_at",
    "hit_id",
)


def misses_json(rows: list[dict[str, Any]]) -> str:
    """``monitor misses --json``: each near miss with a snippet, ``**`` marking the words
    found, as ``hits --json`` gives."""
    objects = []
    for row in rows:
        summary = row["summary"] or ""
        text = summary if highlight_spans(summary, row["matched"]) else row["title"]
        objects.append(
            {**{k: row[k] for k in MISS_FIELDS}, "snippet": snippet(text or "", row["matched"])}
        )
    return json.dumps(objects, ensure_ascii=False, indent=2)


def misses_table(
    rows: list[dict[str, Any]], tz: ZoneInfo, *, flagged: bool = False, width: Width = None
) -> str:
    """``monitor misses``: what each entry lacked and the words it had; with ``flagged``,
    the hit each flag made."""
    if not rows:
        if flagged:
            return "No near miss has been flagged yet; `monitor flag ID` flags one."
        return "No near misses waiting: entries a watch almost took are listed here."
    cells = [
        [
            r["id"],
            local_time(r["published"] or r["created_at"], tz),
            shorten(r["outlet"] or r["feed"], 20),
            shorten(r["title"], 60),
            shorten(r["why"], 40),
            shorten(", ".join(r["matched"]), 40),
            *([r["hit_id"]] if flagged else []),
        ]
        for r in rows
    ]
    headers = ["id", "published", "outlet", "title", "lacking", "found"]
    share = {"outlet": 2, "title": 6, "lacking": 3, "found": 3}
    return table(cells, headers + (["hit"] if flagged else []), width, share)


def feeds_json(rows: list[dict[str, Any]], plans: dict[str, dict[str, str]] | None = None) -> str:
    """``plans``: each feed's planned next poll and why (``store.planned_polls``)."""
    plans = plans or {}
    out = []
    for row in rows:
        reason = plans.get(row["name"], {}).get("reason")
        out.append({k: reason if k == "next_attempt_reason" else row.get(k) for k in FEED_FIELDS})
    return json.dumps(out, ensure_ascii=False, indent=2)


def feed_status(row: dict[str, Any]) -> str:
    """What needs a person's attention: a dead feed, a moved one, failures."""
    notes = []
    if row.get("dead_reason"):
        notes.append(f"DEAD: {row['dead_reason']}")
    elif row["failures"]:
        notes.append(f"failing: {row['last_error']}")
    if row.get("permanent_redirect"):
        notes.append(f"moved to {row['permanent_redirect']}: update its url")
    return "; ".join(notes) or "ok"


def feeds_table(rows: list[dict[str, Any]], tz: ZoneInfo, width: Width = None) -> str:
    if not rows:
        return "No feeds in the database yet; run `monitor poll`."
    cells = [
        [
            r["name"] + ("" if r["enabled"] else " (disabled)"),
            local_time(r["last_success_at"], tz),
            r["failures"] or 0,
            r["entries"],
            r["hits"],
            shorten(feed_status(r), 70),
        ]
        for r in rows
    ]
    headers = ["feed", "last success", "failures", "entries", "hits", "status"]
    return table(cells, headers, width, {"status": 1})


def highlighted(text: str, terms: list[str], mark: Callable[[str], str]) -> str:
    """``text`` with every matched term passed through ``mark`` (bold on a terminal)."""
    out, last = [], 0
    for start, end in highlight_spans(text, terms):
        out += [text[last:start], mark(text[start:end])]
        last = end
    out.append(text[last:])
    return "".join(out)


def hit_detail(row: dict[str, Any], tz: ZoneInfo, mark: Callable[[str], str]) -> str:
    terms = row["matched"]
    groups: dict[str, list[str]] = {}
    for t in row["terms"]:
        groups.setdefault(t["group"], []).append(f"{t['term']} ({t['field']})")
    lines = [
        highlighted(row["title"], terms, mark),
        "",
        f"hit:        {row['id']}  (watch {row['watch']}, score {row['score']},"
        f" status {row['status']})",
        f"feed:       {row['feed']}",
        f"published:  {local_time(row['published'], tz)}",
        f"first seen: {local_time(row['first_seen_at'], tz)}",
        f"link:       {row['url'] or '-'}",
        "matched:",
        *[f"  {group}: {', '.join(found)}" for group, found in groups.items()],
    ]
    if row.get("met"):
        lines.append(f"about:      {row['met']}")
    if not row["still_matches"]:
        lines.append("note:       the watch no longer matches this entry")
    if row.get("origin") == "flagged":
        lines.append("origin:     a near miss the reader flagged (the watch missed it)")
    if row.get("note"):
        lines.append(f"note:       {row['note']}")
    lines += ["", highlighted(row["summary"], terms, mark)]
    if row.get("content"):
        lines += ["", highlighted(row["content"], terms, mark)]  # the feed's full text
    return "\n".join(lines)


OUTBOX_FIELDS = (
    "alert_id",
    "hit_id",
    "kind",
    "state",
    "attempts",
    "last_error",
    "next_attempt_at",
    "created_at",
    "sent_at",
    "message_id",
    "recipients",
    "watch",
    "title",
)


def outbox_json(rows: list[dict[str, Any]]) -> str:
    objects = [{"id": r["alert_id"], **{k: r[k] for k in OUTBOX_FIELDS}} for r in rows]
    return json.dumps(objects, ensure_ascii=False, indent=2)


def outbox_table(rows: list[dict[str, Any]], tz: ZoneInfo, width: Width = None) -> str:
    if not rows:
        return "The outbox is empty."
    cells = [
        [
            r["alert_id"],
            r["kind"],
            r["state"],
            r["attempts"],
            local_time(r["sent_at"] or r["next_attempt_at"] or r["created_at"], tz),
            shorten(r["title"], 50),
            shorten(r["last_error"], 50),
        ]
        for r in rows
    ]
    headers = ["id", "kind", "state", "tries", "when", "headline", "last error"]
    return table(cells, headers, width, {"headline": 3, "last error": 2})


FIGURE_FIELDS = (
    "kind",
    "value",
    "low",
    "high",
    "qualifier",
    "source",
    "reported_at",
    "outlet",
    "language",
    "hit_id",
    "story_id",
    "title",
    "url",
    "sentence",
)


def story_figures(figures: list[dict[str, Any]], limit: int = 4) -> str:
    """A story's distinct figures, newest first, for one table cell."""
    seen = list(dict.fromkeys(figure_text(f) for f in figures))
    return "; ".join(seen[:limit]) + (f" (+{len(seen) - limit})" if len(seen) > limit else "")


def stories_table(rows: list[dict[str, Any]], tz: ZoneInfo, width: Width = None) -> str:
    if not rows:
        return "No stories yet."
    cells = [
        [
            r["id"],
            local_time(r["last_seen"], tz),
            len(r["hits"]),
            ",".join(r["languages"]),
            shorten(r["title"], 60),
            shorten(story_figures(r["figures"], 2), 50),
        ]
        for r in rows
    ]
    headers = ["id", "last seen", "hits", "lang", "title", "figures"]
    return table(cells, headers, width, {"title": 6, "figures": 3})


def story_detail(story: dict[str, Any], tz: ZoneInfo) -> str:
    """``monitor story ID``: what happened, who said which figure, every article."""
    lines = [
        f"Story {story['id']} ({story['watch']}): {story['title']}",
        f"First seen {local_time(story['first_seen'], tz)},"
        f" last {local_time(story['last_seen'], tz)}",
        f"{len(story['hits'])} articles in {', '.join(story['languages'])} from "
        + ", ".join(story["outlets"]),
    ]
    if story.get("follows"):
        lines.append(f"A later development of story {story['follows']}")
    if story["figures"]:
        lines += ["", "Figures:"]
        for figure in sorted(story["figures"], key=lambda f: f["reported_at"]):
            when = local_time(figure["reported_at"], tz)
            lines.append(
                f"  {when}  {figure_text(figure)}  [{figure['outlet']}, hit {figure['hit_id']}]"
            )
    by_language: dict[str, list[dict[str, Any]]] = {}
    for article in story["articles"]:
        by_language.setdefault(article["language"] or "?", []).append(article)
    for language, articles in by_language.items():
        lines += ["", f"[{language}]"]
        for a in articles:
            when = local_time(a["published"] or a["first_seen_at"], tz)
            lines.append(f"  {a['id']:>6}  {when}  {a['outlet']}: {a['title']}")
            if a["url"]:
                lines.append(f"          {a['url']}")
            if a["reasons"]:
                lines.append(f"          joined: {'; '.join(a['reasons'][:4])}")
    return "\n".join(lines)


def figures_table(rows: list[dict[str, Any]], tz: ZoneInfo, width: Width = None) -> str:
    if not rows:
        return "No figures yet."
    cells = [
        [
            local_time(r["reported_at"], tz),
            r["kind"],
            figure_text(r).split(" ", 1)[1].rsplit(" (", 1)[0],
            r["source"] or "",
            r["outlet"],
            r["story_id"],
            r["hit_id"],
        ]
        for r in rows
    ]
    headers = ["reported", "kind", "value", "source", "outlet", "story", "hit"]
    return table(cells, headers, width, {"value": 2, "source": 3, "outlet": 2})


def figures_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=FIGURE_FIELDS, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(row.get(k)) for k in FIGURE_FIELDS})
    return out.getvalue()
