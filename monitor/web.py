"""The review page: Starlette with Jinja2 templates, served by uvicorn.

    GET  /                  hits, newest first: filters, full-text search, paging
    GET  /hits/{id}         one hit: full text, highlights, explanation, other outlets
    POST /hits/{id}/mark    triage: relevant, irrelevant or seen
    POST /hits/{id}/note    triage: a note
    GET  /feeds             each feed's health
    GET  /timeline          hits per day, by language or outlet (plotly.js, served here)

Every piece of feed text goes through the templates' autoescaping. POSTs must carry
the page's CSRF token (a random value per server process, only readable by pages of
this origin) and, when the browser sends one, an Origin matching the host; a forged
POST from another site has neither. Set MONITOR_WEB_USER and MONITOR_WEB_PASSWORD to
require HTTP basic authentication.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from monitor import review
from monitor.chart import figure_json, plotly_js
from monitor.config import Config
from monitor.message import highlight_html, safe_link
from monitor.store import Store, from_iso

HERE = Path(__file__).parent
PAGE_SIZE = 50
USER_ENV, PASSWORD_ENV = "MONITOR_WEB_USER", "MONITOR_WEB_PASSWORD"


class BasicAuth(BaseHTTPMiddleware):
    """HTTP basic authentication with one user, when both variables are set."""

    def __init__(self, app: Any, user: str, password: str) -> None:
        super().__init__(app)
        self.expected = base64.b64encode(f"{user}:{password}".encode()).decode()

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        given = request.headers.get("Authorization", "").removeprefix("Basic ").strip()
        if not hmac.compare_digest(given.encode(), self.expected.encode()):
            return PlainTextResponse(
                "Authentication required", 401, {"WWW-Authenticate": 'Basic realm="monitor"'}
            )
        return await call_next(request)


class _Database:
    """The app's connection, opened on the server's event loop thread (SQLite wants it
    used where it was made) when the app starts, closed when it stops."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store: Store | None = None

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.store = Store(self.path)
        try:
            yield
        finally:
            self.store.close()

    def __call__(self) -> Store:
        if self.store is None:
            raise RuntimeError("the review app's database opens when the app starts")
        return self.store


def create_app(config: Config) -> Starlette:
    """The review app over the configured database."""
    db = _Database(config.database)  # db() is the open Store
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    tz = config.timezone
    csrf = secrets.token_urlsafe(32)

    def local(value: str | None) -> str:
        when = from_iso(value) if isinstance(value, str) else None
        return when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "–"

    templates.env.filters["local"] = local

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        context = {"csrf": csrf, "marks": review.MARKS, **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    async def hits(request: Request) -> Response:
        args = request.query_params
        filters = review.HitFilter(
            watch=args.get("watch") or None,
            feed=args.get("feed") or None,
            language=args.get("lang") or None,
            status=args.get("status") if args.get("status") in review.STATUSES else None,
            since=_day(args.get("from"), tz),
            until=_day(args.get("to"), tz, next_day=True),
            search=args.get("q") or None,
        )
        number = max(1, _int(args.get("page"), 1))
        offset = (number - 1) * PAGE_SIZE
        rows = review.find_hits(db(), filters, limit=PAGE_SIZE, offset=offset)
        total = review.count_hits(db(), filters)

        def page_url(n: int) -> str:
            return "/?" + urlencode({**dict(args), "page": n})

        return page(
            request,
            "web/hits.html",
            {
                "page": "hits",
                "rows": rows,
                "total": total,
                "f": filters,
                "args": args,
                "offset": offset,
                "facets": review.facets(db()),
                "statuses": review.STATUSES,
                "prev_url": page_url(number - 1) if number > 1 else None,
                "next_url": page_url(number + 1) if offset + len(rows) < total else None,
            },
        )

    async def hit(request: Request) -> Response:
        row = db().hit(_int(request.path_params["hit_id"], 0))
        if row is None:
            raise HTTPException(404, "There is no hit with this number.")
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
        form = await request.form()
        _check_forgery(request, str(form.get("csrf", "")), csrf)
        hit_id = _int(request.path_params["hit_id"], 0)
        action = request.url.path.rsplit("/", 1)[-1]
        if action == "mark":
            status = str(form.get("status", ""))
            if status not in review.MARKS:
                raise HTTPException(400, f"status must be one of {', '.join(review.MARKS)}")
            found = review.mark(db(), hit_id, status, None, datetime.now(UTC))
        else:
            found = review.mark(db(), hit_id, None, str(form.get("note", "")), datetime.now(UTC))
        if not found:
            raise HTTPException(404, "There is no hit with this number.")
        back = str(form.get("next") or "/")
        if not back.startswith("/") or back.startswith("//"):
            back = "/"  # only ever back to this site
        if back == "/" or back.startswith("/?"):
            back += f"#hit-{hit_id}"  # the list, scrolled to the hit just marked
        return RedirectResponse(back, status_code=303)

    async def feeds(request: Request) -> Response:
        rows = review.feed_health(db(), datetime.now(UTC))
        return page(request, "web/feeds.html", {"page": "feeds", "feeds": rows})

    async def timeline(request: Request) -> Response:
        args = request.query_params
        days = min(max(_int(args.get("days"), 30), 1), 730)
        split = (
            str(args.get("split")) if args.get("split") in ("language", "outlet") else "language"
        )
        watch = args.get("watch") or None
        day_list, series = review.timeline(
            db(), days=days, split=split, now=datetime.now(UTC), tz=tz, watch=watch
        )
        figure = figure_json(day_list, series, f"Hits per day, by {split}")
        return page(
            request,
            "web/timeline.html",
            {
                "page": "timeline",
                "days": days,
                "split": split,
                "watch": watch,
                "watches": review.facets(db())["watches"],
                "total": sum(sum(v) for v in series.values()),
                "figure": figure.replace("</", "<\\/"),  # JSON inside <script>: never close it
            },
        )

    async def static_plotly(request: Request) -> Response:
        return Response(
            plotly_js(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        detail = exc.detail if isinstance(exc, HTTPException) else "Not found."
        code = exc.status_code if isinstance(exc, HTTPException) else 404
        return page(request, "web/404.html", {"page": "", "message": detail}, status=code)

    middleware = []
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user and password:
        middleware.append(Middleware(BasicAuth, user=user, password=password))
    routes = [
        Route("/", hits),
        Route("/hits/{hit_id}", hit),
        Route("/hits/{hit_id}/mark", triage, methods=["POST"]),
        Route("/hits/{hit_id}/note", triage, methods=["POST"]),
        Route("/feeds", feeds),
        Route("/timeline", timeline),
        Route("/static/plotly.min.js", static_plotly, name="static_plotly"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=db.lifespan,
        exception_handlers={404: not_found, 400: not_found, 403: not_found},
    )


def _check_forgery(request: Request, token: str, expected: str) -> None:
    """Refuse a POST without this page's token, or from another origin."""
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(403, "This form is out of date or came from another site; reload.")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("Host"):
        raise HTTPException(403, "Requests from other sites are refused.")


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _day(value: str | None, tz: Any, *, next_day: bool = False) -> datetime | None:
    """A date field ("2025-02-27") as the start of that local day (or of the next)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    start = datetime.combine(day, time(), tzinfo=tz)
    return start + timedelta(days=1) if next_day else start


def serve(config: Config, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
