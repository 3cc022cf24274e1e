"""The review page's story views: the story list (the front page), one story with its
figure timeline, and every figure with filters and exports.

    GET  /                   stories, newest activity first
    GET  /stories/{id}       one story: figures over time by kind and source, articles
                             by language with why each joined
    GET  /figures            every figure: kind, source, story filters; ?format=csv|json
    POST /stories/{id}/mark  triage the story and all its hits (CSRF-checked by the app)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor import render
from monitor.chart import figure_timeline_json
from monitor.export import figure_text
from monitor.review import MARKS
from monitor.store import Store
from monitor.stories.review import (
    FigureFilter,
    find_figures,
    find_stories,
    get_story,
    mark_story,
)

PAGE = 100  # stories and figures shown on one page
Page = Callable[..., Response]


def routes(
    db: Callable[[], Store],
    page: Page,
    whole: Callable[..., int],
    check: Callable[[Request, str], None],
) -> list[Route]:
    """The story routes, drawing with the app's ``page``, parsing with its ``whole`` and
    refusing forged forms with its ``check`` (request, the form's token)."""

    async def stories(request: Request) -> Response:
        watch = request.query_params.get("watch") or None
        rows = find_stories(db(), watch=watch, limit=PAGE)
        for row in rows:
            row["figure_line"] = render.story_figures(row["figures"], 4)
        return page(request, "web/stories.html", {"page": "stories", "rows": rows})

    def story_id_of(request: Request) -> int:
        raw = request.path_params["story_id"]
        try:
            return whole(raw, "story", 1, 2**63 - 1)
        except HTTPException:
            raise HTTPException(404, f"There is no story number {raw[:40]!r}.") from None

    async def triage(request: Request) -> Response:
        form = await request.form()
        token, status = form.get("csrf"), form.get("status")
        check(request, token if isinstance(token, str) else "")
        story_id = story_id_of(request)
        if status not in MARKS:
            raise HTTPException(400, f"status must be one of {', '.join(MARKS)}.")
        if mark_story(db(), story_id, str(status), datetime.now(UTC)) < 0:
            raise HTTPException(404, f"There is no story number {story_id}.")
        back = "/" if form.get("next") != "story" else f"/stories/{story_id}"
        return RedirectResponse(f"{back}#story-{story_id}" if back == "/" else back, 303)

    async def story(request: Request) -> Response:
        story_id = story_id_of(request)
        found = get_story(db(), story_id)
        if found is None:
            raise HTTPException(404, f"There is no story number {story_id}.")
        points = sorted(found["figures"], key=lambda f: f["reported_at"])
        by_language: dict[str, list[dict[str, Any]]] = {}
        for article in found["articles"]:
            by_language.setdefault(article["language"] or "?", []).append(article)
        chart = figure_timeline_json(points, "Reported figures") if points else ""
        return page(
            request,
            "web/story.html",
            {
                "page": "stories",
                "story": found,
                "figures": [{**f, "text": figure_text(f)} for f in points],
                "by_language": by_language,
                "chart": chart.replace("</", "<\\/"),  # JSON inside <script>: never close it
            },
        )

    async def figures(request: Request) -> Response:
        args = request.query_params
        story_arg = args.get("story")
        filters = FigureFilter(
            kind=args.get("kind") or None,
            source=args.get("source") or None,
            story=whole(story_arg, "story", 1, 2**63 - 1) if story_arg else None,
        )
        rows = find_figures(db(), filters, limit=10_000 if args.get("format") else PAGE)
        fmt = args.get("format")
        if fmt == "csv":
            return Response(
                render.figures_csv(rows),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="figures.csv"'},
            )
        if fmt == "json":
            return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json")
        if fmt:
            raise HTTPException(400, "format must be csv or json.")
        kinds = [r[0] for r in db().conn.execute("SELECT DISTINCT kind FROM figures ORDER BY 1")]
        sources = [
            r[0]
            for r in db().conn.execute(
                "SELECT DISTINCT source FROM figures WHERE source IS NOT NULL ORDER BY 1"
            )
        ]
        for row in rows:
            row["text"] = figure_text(row)
        # Who said what when, across stories: the casualty estimates rising over months.
        points = sorted(rows, key=lambda r: r["reported_at"])
        chart = figure_timeline_json(points, "Reported figures over time") if points else ""
        return page(
            request,
            "web/figures.html",
            {
                "page": "figures",
                "chart": chart.replace("</", "<\\/"),
                "rows": rows,
                "f": filters,
                "kinds": kinds,
                "sources": sources,
                "query": request.url.query,
            },
        )

    return [
        Route("/", stories),
        Route("/stories/{story_id}", story),
        Route("/stories/{story_id}/mark", triage, methods=["POST"]),
        Route("/figures", figures),
    ]
