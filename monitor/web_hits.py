"""The review page's hits: the list with its filters, one hit, and triage.

    GET  /hits                hits, newest first: filters, full-text search, paging, each
                              with a snippet marking where it matched; ?format=csv|json
                              exports every hit the filters match (monitor.export)
    GET  /hits/{id}           one hit: full text, highlights, explanation, other outlets
    POST /hits/{id}/mark      triage: relevant, irrelevant, seen, or back to new
    POST /hits/{id}/note      triage: a note
    POST /hits/mark           mark seen every new hit of the page (scope=page, the ids
                              listed) or every one the filters match (scope=filter)

Every POST is CSRF-checked with the app's ``check``. A form posted by the browser is
answered with a redirect back where it came from (the list, scrolled to the hit); one
posted by the page's script (``Accept: application/json``) with the hit's new state and
the navigation's counts, so the row changes in place and the page does not move.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from monitor import export, review
from monitor.message import highlight_html, safe_link
from monitor.store import Store, from_iso
from monitor.stories.review import figures_by_hit
from monitor.terms import highlight_spans, merge_spans
from monitor.web_input import (
    HIT_PARAMETERS,
    MAX_ID,
    hit_filter,
    page_number,
    parse_whole,
    path_id,
    same_site_path,
    shown,
)

PAGE_SIZE = 50
BULK_MAX = 500  # ids in one "mark this page seen": a page has 50
SNIPPET_WIDTH = 220  # characters of summary around where a hit matched
MARKABLE = (*review.MARKS, "new")  # "new" takes a mark back
Page = Callable[..., Response]
Span = tuple[int, int]


# --- where a hit matched -----------------------------------------------------------------


def match_spans(text: str, terms: Iterable[str], words: Iterable[str] = ()) -> list[Span]:
    """Where in ``text`` the watch's ``terms`` stand (as the matcher reads them) and
    where a search's ``words`` do (anywhere, in any case, as the search finds them),
    merged and in order."""
    spans = highlight_spans(text, list(terms))
    for word in words:
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(word), text, re.IGNORECASE)]
    return merge_spans(spans)


def snippet_html(
    text: str, spans: list[Span], width: int = SNIPPET_WIDTH, focus: Span | None = None
) -> Markup:
    """About ``width`` characters of ``text`` around ``focus`` (else its first span),
    escaped, with every span in it in <mark>; "…" where text was left out."""
    start = 0
    focus = focus or (spans[0] if spans else None)
    if focus and len(text) > width:
        start = max(0, min(focus[0] - width // 4, len(text) - width))
        # Start at a word, unless none starts near (Korean runs), or the match would
        # leave the window.
        back = start
        while back > 0 and start - back < 20 and focus[1] - back < width:
            if text[back - 1].isspace():
                break
            back -= 1
        if back == 0 or text[back - 1].isspace():
            start = back
    end = min(len(text), start + width)
    out: list[Markup] = [Markup("…") if start > 0 else Markup("")]
    last = start
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        out += [escape(text[last:a]), Markup("<mark>"), escape(text[a:b]), Markup("</mark>")]
        last = b
    out.append(escape(text[last:end]))
    if end < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)


def hit_snippet(hit: Mapping[str, Any], words: list[str]) -> Markup:
    """The snippet a row of the list shows: of the summary, or of the full text when
    only that holds the search's words."""
    terms = hit["matched"]
    texts = [t for t in (hit.get("summary") or "", hit.get("content") or "") if t.strip()]
    for text in texts if words else ():
        found = match_spans(text, (), words)
        if found:  # around the search's first match, the watch's terms marked too
            return snippet_html(text, match_spans(text, terms, words), focus=found[0])
    if not texts:
        return Markup("")
    return snippet_html(texts[0], match_spans(texts[0], terms, words))


# --- the routes --------------------------------------------------------------------------


def wants_json(request: Request) -> bool:
    """Whether the page's script sent the form (it asks for JSON), not the browser."""
    return "application/json" in request.headers.get("Accept", "")


def text_fields(form: FormData) -> dict[str, str]:
    """A form's text fields (a file upload where text belongs counts as absent)."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def routes(
    db: Callable[[], Store],
    page: Page,
    check: Callable[[Request, str], None],
    tz: tzinfo,
    watches: Collection[str],
    note_max: int,
) -> list[Route]:
    """The hit routes over the app's database ``db``, drawing with its ``page``,
    refusing forged forms with its ``check`` (request, the form's token); ``watches``
    are the configured watches' names, for the list to name them."""

    async def hits(request: Request) -> Response:
        args = request.query_params
        filters = hit_filter(args, tz)
        fmt = args.get("format")
        if fmt:
            return exported(filters, fmt)
        number = page_number(args)
        offset = (number - 1) * PAGE_SIZE
        rows = review.find_hits(db(), filters, limit=PAGE_SIZE, offset=offset)
        total = review.count_hits(db(), filters)
        facets = review.facets(db())
        words = (filters.search or "").split()
        for row in rows:
            row["snippet"] = hit_snippet(row, words)
            spans = match_spans(row["title"], (), words)  # the headline: the search's only
            row["title_html"] = snippet_html(row["title"], spans, len(row["title"]))
            row["link"] = safe_link(row["url"])
        query = {k: v for k, v in args.items() if k in HIT_PARAMETERS and v}

        def page_url(n: int) -> str:
            return "/hits?" + urlencode({**query, "page": n})

        return page(
            request,
            "web/hits.html",
            {
                "page": "hits",
                "rows": rows,
                "total": total,
                "total_text": review.count_text(total),
                "f": filters,
                "args": args,
                "query": query,
                "here": request.url.path + ("?" + request.url.query if request.url.query else ""),
                "offset": offset,
                "facets": facets,
                "unknown": unknown_names(filters, facets, watches),
                "statuses": review.STATUSES,
                "prev_url": page_url(number - 1) if number > 1 else None,
                "next_url": page_url(number + 1) if offset + len(rows) < total else None,
            },
        )

    def exported(filters: review.HitFilter, fmt: str) -> Response:
        if fmt not in ("csv", "json"):
            raise HTTPException(400, f"format must be csv or json, not {shown(fmt)}.")
        rows = review.find_hits(db(), filters, limit=None)
        figures = figures_by_hit(db(), [r["id"] for r in rows])
        rows = [{**r, "figures": figures.get(r["id"], [])} for r in rows]
        if fmt == "csv":  # with a BOM: the spreadsheet a download opens in reads UTF-8
            body, kind = export.to_csv(rows, bom=True), "text/csv; charset=utf-8"
        else:
            body, kind = export.to_json(rows), "application/json"
        disposition = f'attachment; filename="hits.{fmt}"'
        return Response(body, media_type=kind, headers={"Content-Disposition": disposition})

    async def hit(request: Request) -> Response:
        hit_id = path_id(request.path_params["hit_id"], "hit")
        row = db().hit(hit_id)
        if row is None:
            raise HTTPException(404, f"There is no hit number {hit_id}.")
        groups: dict[str, list[dict[str, str]]] = {}
        for term in row["terms"]:
            groups.setdefault(term["group"], []).append(term)
        related, _ = review.story(db(), {**row, "hit_id": row["id"]}, from_iso(row["created_at"]))
        terms = tuple(row["matched"])
        return page(
            request,
            "web/hit.html",
            {
                "page": "hits",
                "hit": row,
                "groups": groups,
                "related": related,
                "title_html": highlight_html(row["title"], terms),
                "summary_html": highlight_html(row["summary"], terms),
                "content_html": highlight_html(row["content"], terms) if row["content"] else "",
                "link": safe_link(row["url"]),
            },
        )

    async def triage(request: Request) -> Response:
        form = text_fields(await request.form())
        check(request, form.get("csrf", ""))
        hit_id = path_id(request.path_params["hit_id"], "hit")
        action = request.url.path.rsplit("/", 1)[-1]
        if action == "mark":
            status = form.get("status", "")
            if status not in MARKABLE:
                raise HTTPException(400, f"status must be one of {', '.join(MARKABLE)}.")
            found = review.mark(db(), hit_id, status, None, datetime.now(UTC))
        else:
            note = form.get("note", "")
            if len(note) > note_max:
                raise HTTPException(
                    400, f"A note takes at most {note_max} characters; this one has {len(note)}."
                )
            found = review.mark(db(), hit_id, None, note, datetime.now(UTC))
        if not found:
            raise HTTPException(404, f"There is no hit number {hit_id}.")
        if wants_json(request):
            row = db().hit(hit_id) or {}
            return JSONResponse(
                {
                    "id": hit_id,
                    "status": row.get("status"),
                    "note": row.get("note"),
                    "new": review.new_counts(db()),
                }
            )
        back = same_site_path(form.get("next", ""), "/hits")
        if back == "/hits" or back.startswith("/hits?"):
            back += f"#hit-{hit_id}"  # the list, scrolled to the hit just marked
        return RedirectResponse(back, status_code=303)

    async def bulk(request: Request) -> Response:
        form = await request.form()
        fields = text_fields(form)
        check(request, fields.get("csrf", ""))
        if fields.get("mark") != "seen":  # "status" is the filter's, as on the list
            raise HTTPException(400, "A bulk mark marks hits seen (mark=seen), nothing else.")
        scope = fields.get("scope")
        now = datetime.now(UTC)
        if scope == "page":
            listed = [v for v in form.getlist("id") if isinstance(v, str)]
            if len(listed) > BULK_MAX:
                raise HTTPException(400, f"A bulk mark takes at most {BULK_MAX} ids.")
            ids = [parse_whole(v, "id", 1, MAX_ID) for v in listed]
            marked = review.mark_seen(db(), now, ids=ids)
        elif scope == "filter":
            marked = review.mark_seen(db(), now, filters=hit_filter(fields, tz))
        else:
            raise HTTPException(400, f"scope must be page or filter, not {shown(scope or '')}.")
        if wants_json(request):
            return JSONResponse({"marked": marked, "new": review.new_counts(db())})
        return RedirectResponse(same_site_path(fields.get("next", ""), "/hits"), 303)

    return [
        Route("/hits", hits),
        Route("/hits/mark", bulk, methods=["POST"]),
        Route("/hits/{hit_id}", hit),
        Route("/hits/{hit_id}/mark", triage, methods=["POST"]),
        Route("/hits/{hit_id}/note", triage, methods=["POST"]),
    ]


def unknown_names(
    filters: review.HitFilter, facets: Mapping[str, list[str]], watches: Collection[str]
) -> list[str]:
    """Sentences naming a watch or feed of the filters that does not exist, with those
    that do: an empty list that is a typo should say so."""
    said = []
    known_watches = sorted({*watches, *facets["watches"]})
    if filters.watch and filters.watch not in known_watches:
        said.append(
            f"There is no watch named {shown(filters.watch)}; the watches are"
            f" {', '.join(known_watches) or 'none yet'}."
        )
    if filters.feed and filters.feed not in facets["feeds"]:
        feeds = facets["feeds"]
        listed = ", ".join(feeds[:12]) + (f" and {len(feeds) - 12} more" if len(feeds) > 12 else "")
        said.append(
            f"No feed named {shown(filters.feed)} has hits; those with hits are"
            f" {listed or 'none yet'}."
        )
    return said
