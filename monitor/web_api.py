"""The review page's read-only JSON API: hits, stories and figures, with the filters the
pages have, paged.

    GET  /api/hits       watch, feed, lang, status, from, to, q      (as /hits)
    GET  /api/stories    watch, status                               (as /)
    GET  /api/figures    kind, source, story, from                   (as /figures)

each with ``page`` (from 1) and ``per_page`` (1 to 500, 50 unless given). An answer is

    {"hits": [...], "page": 1, "per_page": 50, "next": "/api/hits?...&page=2"}

with ``next`` null on the last page. A hit is what ``monitor export`` writes (its fields
are ``export.FIELDS``); a story and a figure are the rows ``stories.review`` reads. A
parameter the API does not take, or a value it cannot use, is a 400 whose JSON body says
which (``{"error": "..."}``), never a 500. It only reads: no route here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from monitor import export, review
from monitor.store import Store
from monitor.stories.review import FigureFilter, figures_by_hit, find_figures, find_stories
from monitor.web_input import (
    HIT_PARAMETERS,
    MAX_ID,
    choice,
    hit_filter,
    only,
    page_number,
    parse_day,
    parse_whole,
)

PER_PAGE, PER_PAGE_MAX = 50, 500
PAGING = ("page", "per_page")
STORY_PARAMETERS = ("watch", "status")
FIGURE_PARAMETERS = ("kind", "source", "story", "from")


def routes(db: Callable[[], Store], tz: tzinfo) -> list[Route]:
    """The API routes over the app's database ``db``; dates are days of ``tz``."""

    def paging(request: Request, known: tuple[str, ...]) -> tuple[int, int]:
        args = request.query_params
        only(args, (*known, *PAGING), request.url.path)
        per = args.get("per_page")
        size = parse_whole(per, "per_page", 1, PER_PAGE_MAX) if per else PER_PAGE
        return page_number(args), size

    def answer(request: Request, name: str, rows: list[Any], number: int, size: int) -> Response:
        """The page of ``rows`` (one more was read than is shown: is there a next?)."""
        args: Mapping[str, str] = request.query_params
        more = len(rows) > size
        query = {k: v for k, v in args.items() if k != "page"}
        following = f"{request.url.path}?{urlencode({**query, 'page': number + 1})}"
        return JSONResponse(
            {
                name: rows[:size],
                "page": number,
                "per_page": size,
                "next": following if more else None,
            }
        )

    async def hits(request: Request) -> Response:
        number, size = paging(request, HIT_PARAMETERS)
        filters = hit_filter(request.query_params, tz)
        rows = review.find_hits(db(), filters, limit=size + 1, offset=(number - 1) * size)
        figures = figures_by_hit(db(), [r["id"] for r in rows])
        records = [export.record({**r, "figures": figures.get(r["id"], [])}) for r in rows]
        return answer(request, "hits", records, number, size)

    async def stories(request: Request) -> Response:
        number, size = paging(request, STORY_PARAMETERS)
        args = request.query_params
        rows = find_stories(
            db(),
            watch=args.get("watch") or None,
            status=choice(args, "status", review.STATUSES),
            limit=size + 1,
            offset=(number - 1) * size,
        )
        return answer(request, "stories", rows, number, size)

    async def figures(request: Request) -> Response:
        number, size = paging(request, FIGURE_PARAMETERS)
        args = request.query_params
        story = args.get("story")
        filters = FigureFilter(
            kind=args.get("kind") or None,
            source=args.get("source") or None,
            story=parse_whole(story, "story", 1, MAX_ID) if story else None,
            since=parse_day(args["from"], "from", tz) if args.get("from") else None,
        )
        rows = find_figures(db(), filters, limit=size + 1, offset=(number - 1) * size)
        return answer(request, "figures", rows, number, size)

    return [
        Route("/api/hits", hits),
        Route("/api/stories", stories),
        Route("/api/figures", figures),
    ]
