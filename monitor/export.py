"""Export hits for spreadsheets and notebooks: CSV, JSON or JSON Lines.

Each row carries the hit, its entry, its feed, the matched terms, the triage mark, the
note, its story and the figures it reports. CSV is safe to open in spreadsheet
programs: a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) would be read as a formula, so it is prefixed with an apostrophe, which
spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

FIELDS = (
    "id",
    "watch",
    "status",
    "note",
    "marked_at",
    "title",
    "summary",
    "content",
    "url",
    "feed",
    "outlet",
    "language",
    "published",
    "first_seen_at",
    "found_at",
    "matched",
    "score",
    "still_matches",
    "origin",
    "story",
    "figures",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def record(row: dict[str, Any]) -> dict[str, Any]:
    """A hit row as exported: the fields above, in this order."""
    out = {k: row.get(k) for k in FIELDS}
    out["found_at"] = row.get("created_at")
    out["figures"] = [
        {k: f[k] for k in ("kind", "value", "low", "high", "qualifier", "source", "sentence")}
        for f in row.get("figures") or []
    ]
    return out


def figure_text(figure: dict[str, Any]) -> str:
    """ "casualties about 4,000 (JCS)"; a range reads "10,000-12,000"."""
    if figure.get("high") is not None and figure["high"] != figure["value"]:
        amount = f"{figure['value']:,}-{figure['high']:,}"
    else:
        amount = f"{figure['value']:,}"
    qualifier = f"{figure['qualifier']} " if figure.get("qualifier") else ""
    source = f" ({figure['source']})" if figure.get("source") else ""
    return f"{figure['kind']} {qualifier}{amount}{source}"


def neutralise(value: object) -> object:
    """Spreadsheet formula injection: ``=HYPERLINK(...)`` becomes text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Iterable[dict[str, Any]], *, bom: bool = False) -> str:
    out = io.StringIO()
    if bom:
        out.write("\ufeff")  # lets spreadsheet programs detect UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        item = record(row)
        item["matched"] = "; ".join(item["matched"] or [])
        item["figures"] = "; ".join(figure_text(f) for f in item["figures"])
        writer.writerow([neutralise(item[k]) for k in FIELDS])
    return out.getvalue()


def to_json(rows: Iterable[dict[str, Any]]) -> str:
    return json.dumps([record(r) for r in rows], ensure_ascii=False, indent=2) + "\n"


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(record(r), ensure_ascii=False) + "\n" for r in rows)


FORMATS = {"csv": to_csv, "json": to_json, "jsonl": to_jsonl}
