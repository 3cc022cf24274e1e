"""The review page's story views: the story list (the front page), one story with its
figure timeline, and every figure with filters and exports.

    GET  /                   stories, newest activity first: watch and status filters
    GET  /stories/{id}       one story: figures over time by kind and source, articles
                             by language with why each joined
    GET  /figures            every figure: kind, source, story filters; ?format=csv|json
    POST /stories/{id}/mark  triage the story and all its hits (CSRF-checked by the app)
    POST /stories/mark       mark seen every new story of the page (scope=page, the ids
                             listed) or every one the filters match (scope=filter), with
                             their new hits

As with hits, a form the page's script posts (``Accept: application/json``) is answered
with the new state and the navigation's counts, so the list changes in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from monitor import render
from monitor.chart import figure_timeline_json
from monitor.export import figure_text
from monitor.review import STATUSES, new_counts
from monitor.store import Store
from monitor.stories.review import (
    FigureFilter,
    find_figures,
    find_stories,
    get_story,
    mark_stories_seen,
    mark_story,
)
from monitor.web_hits import BULK_MAX, MARKABLE, text_fields, wants_json
from monitor.web_input import MAX_ID, choice, parse_whole, path_id, same_site_path, shown

PAGE = 100  # stories and figures shown on one page
Page = Callable[..., Response]


def routes(
    db: Callable[[], Store],
    page: Page,
    check: Callable[[Request, str], None],
    watches: Collection[str],
) -> list[Route]:
    """The story routes, drawing with the app's ``page`` and refusing forged forms with
    its ``check`` (request, the form's token); ``watches`` are the configured ones."""

    async def stories(request: Request) -> Response:
        args = request.query_params
        watch = args.get("watch") or None
        status = choice(args, "status", STATUSES)
        rows = find_stories(db(), watch=watch, status=status, limit=PAGE)
        for row in rows:
            row["figure_line"] = render.story_figures(row["figures"], 4)
        shown_watches = sorted({*watches, *([watch] if watch else [])})
        unknown = (
            f"There is no watch named {shown(watch)}; the watches are {', '.join(watches)}."
            if watch and watch not in watches and not rows
            else None
        )
        query = {k: v for k, v in (("watch", watch), ("status", status)) if v}
        return page(
            request,
            "web/stories.html",
            {
                "page": "stories",
                "rows": rows,
                "watch": watch,
                "status": status,
                "statuses": STATUSES,
                "watches": shown_watches,
                "unknown": unknown,
                "query": query,
            },
        )

    async def triage(request: Request) -> Response:
        form = text_fields(await request.form())
        check(request, form.get("csrf", ""))
        story_id = path_id(request.path_params["story_id"], "story")
        status = form.get("status", "")
        if status not in MARKABLE:
            raise HTTPException(400, f"status must be one of {', '.join(MARKABLE)}.")
        marked = mark_story(db(), story_id, status, datetime.now(UTC))
        if marked < 0:
            raise HTTPException(404, f"There is no story number {story_id}.")
        if wants_json(request):
            return JSONResponse(
                {"id": story_id, "status": status, "hits_marked": marked, "new": new_counts(db())}
            )
        if form.get("next") == "story":
            return RedirectResponse(f"/stories/{story_id}", 303)
        back = same_site_path(form.get("next", ""), "/")
        return RedirectResponse(f"{back}#story-{story_id}", 303)

    async def bulk(request: Request) -> Response:
        form = await request.form()
        fields = text_fields(form)
        check(request, fields.get("csrf", ""))
        if fields.get("mark") != "seen":
            raise HTTPException(400, "A bulk mark marks stories seen (mark=seen), nothing else.")
        scope, now = fields.get("scope"), datetime.now(UTC)
        if scope == "page":
            listed = [v for v in form.getlist("id") if isinstance(v, str)]
            if len(listed) > BULK_MAX:
                raise HTTPException(400, f"A bulk mark takes at most {BULK_MAX} ids.")
            ids = [parse_whole(v, "id", 1, MAX_ID) for v in listed]
            marked = mark_stories_seen(db(), now, ids=ids)
        elif scope == "filter":
            watch, status = fields.get("watch") or None, choice(fields, "status", STATUSES)
            marked = mark_stories_seen(db(), now, watch=watch, status=status)
        else:
            raise HTTPException(400, f"scope must be page or filter, not {shown(scope or '')}.")
        if wants_json(request):
            return JSONResponse({"marked": marked, "new": new_counts(db())})
        return RedirectResponse(same_site_path(fields.get("next", ""), "/"), 303)

    async def story(request: Request) -> Response:
        story_id = path_id(request.path_params["story_id"], "story")
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
            story=parse_whole(story_arg, "story", 1, MAX_ID) if story_arg else None,
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
            raise HTTPException(400, f"format must be csv or json, not {shown(fmt)}.")
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
        Route("/stories/mark", bulk, methods=["POST"]),
        Route("/stories/{story_id}", story),
        Route("/stories/{story_id}/mark", triage, methods=["POST"]),
        Route("/figures", figures),
    ]
