"""The review page: Starlette with Jinja2 templates, served by uvicorn.

    GET  /                  stories, newest activity first (web_stories: also /stories/{id},
                            /figures, bulk marking)
    GET  /hits              hits, newest first (web_hits: also /hits/{id}, triage, bulk
                            marking, exports)
    GET  /misses            near misses, for the reader to flag (web_misses: also
                            POST /misses/{id}/flag)
    GET  /feeds             each feed's health (web_feeds: also /feeds/{name})
    GET  /timeline          hits per day, by language or outlet (plotly.js, served here)
    GET  /api/...           read-only JSON: hits, stories, figures (web_api)

Every piece of feed text goes through the templates' autoescaping. Only requests whose
Host is one of the names the server answers to are served (loopback, the ``--host``
address, ``web.allowed_hosts``): a page on another site that re-points its own name at
this machine (DNS rebinding) gets a 400 and never sees a page. POSTs must carry the
page's CSRF token (a random value per server process, only readable by pages of this
origin) and, when the browser sends one, an Origin of this server; a forged POST from
another site has neither. Set MONITOR_WEB_USER and MONITOR_WEB_PASSWORD to require HTTP
basic authentication.

Every URL a page names of its own is root-relative ("/static/style.css"), never built
from the Host header: behind a TLS reverse proxy an ``http://`` URL of the proxy's name
would be blocked as mixed content. The keyboard, in-place marking and the help overlay
are one small script, ``static/review.js``; without it every form still posts.

A parameter the page cannot use (a page number past 64 bits, a date in the year 1, a
hit id that is not a number) is a 400 or 404 page in the site's layout saying what was
wrong (web_input), never a 500; under /api/ the same as JSON. ``serve`` binds the port
itself, so that a port in use is one ``MonitorError`` line rather than uvicorn's log.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from monitor import review, web_api, web_feeds, web_hits, web_misses, web_stories
from monitor.chart import figure_json, plotly_js
from monitor.config import Config
from monitor.errors import ConfigError, MonitorError
from monitor.store import Store, from_iso
from monitor.web_input import DAY_RANGE, parse_day, parse_whole, shown

HERE = Path(__file__).parent
USER_ENV, PASSWORD_ENV = "MONITOR_WEB_USER", "MONITOR_WEB_PASSWORD"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")  # the names this machine always has
TIMELINE_DAYS = (1, 730)
NOTE_MAX = 2000  # characters
STATIC = ("style.css", "review.js", "chart.js")  # linked with ?v=<digest>: a new one loads
HEADINGS = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    500: "Server error",
}


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


def create_app(config: Config, host: str = "127.0.0.1") -> Starlette:
    """The review app over the configured database, answering to the loopback names,
    ``host`` (the address it listens on) and the configured ``web.allowed_hosts``."""
    public = configured_hosts(config["web.allowed_hosts"], config.path)
    db = _Database(config.database)  # db() is the open Store
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    tz = config.timezone
    csrf = secrets.token_urlsafe(32)
    digest = hashlib.sha256(b"".join((HERE / "static" / n).read_bytes() for n in STATIC))
    version = digest.hexdigest()[:12]
    watches = [w.name for w in config.watches]

    def local(value: str | None) -> str:
        when = from_iso(value) if isinstance(value, str) else None
        return when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "–"

    templates.env.filters["local"] = local

    def page(
        request: Request,
        name: str,
        context: dict[str, Any],
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        limits = {"note_max": NOTE_MAX, "first_day": DAY_RANGE[0], "last_day": DAY_RANGE[1]}
        # The navigation's counts; not on a server error's page, whose database may be
        # what failed.
        new = review.new_counts(db()) if status < 500 else None
        context = {
            "csrf": csrf,
            "marks": review.MARKS,
            "new": new,
            "static": lambda file: f"/static/{file}?v={version}",
            **limits,
            **context,
        }
        return templates.TemplateResponse(
            request, name, context, status_code=status, headers=headers
        )

    def check(request: Request, token: str) -> None:
        _check_forgery(request, token, csrf, public)

    async def timeline(request: Request) -> Response:
        args = request.query_params
        days = parse_whole(args["days"], "days", *TIMELINE_DAYS) if args.get("days") else 30
        split = args.get("split") or "language"
        if split not in ("language", "outlet"):
            raise HTTPException(400, f"split must be language or outlet, not {shown(split)}.")
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

    async def error_page(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            code, detail, headers = exc.status_code, exc.detail, exc.headers
        else:  # a bug: Starlette logs the traceback, the reader gets a page
            code, detail, headers = (
                500,
                "Something went wrong here; the server's log says what.",
                None,
            )
        phrase = HTTPStatus(code).phrase
        if detail == phrase:  # Starlette's own words, such as the router's "Not Found"
            detail = "There is no page at this address." if code == 404 else ""
        if request.url.path.startswith("/api/"):  # a program asked: it reads JSON
            return JSONResponse({"error": detail or phrase}, code, headers=headers)
        context = {"page": "", "heading": HEADINGS.get(code, phrase), "message": detail}
        return page(request, "web/error.html", context, status=code, headers=headers)

    middleware = [
        # First of all: a request for another name never reaches a page (DNS rebinding).
        Middleware(
            TrustedHostMiddleware, allowed_hosts=allowed_hosts(public, host), www_redirect=False
        )
    ]
    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if user and password:
        middleware.append(Middleware(BasicAuth, user=user, password=password))
    routes = [
        *web_stories.routes(db, page, check, watches),
        *web_hits.routes(db, page, check, tz, watches, NOTE_MAX),
        *web_misses.routes(
            config,
            db,
            page,
            parse_whole,
            lambda value, name: parse_day(value, name, tz),
            check,
            NOTE_MAX,
        ),
        *web_feeds.routes(db, page, tz),
        *web_api.routes(db, tz),
        Route("/timeline", timeline),
        Route("/static/plotly.min.js", static_plotly, name="static_plotly"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=db.lifespan,
        exception_handlers={HTTPException: error_page, Exception: error_page},
    )


# --- the names the page answers to -----------------------------------------------------

_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")


def host_name(text: str) -> str | None:
    """``text`` as a Host header names it (lowercase; IPv6 in brackets, compressed;
    international names in punycode), or None when it is no host name at all."""
    try:
        return f"[{ipaddress.IPv6Address(text.removeprefix('[').removesuffix(']')).compressed}]"
    except ValueError:
        pass
    try:
        name = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return name if len(name) <= 253 and _HOST_NAME.fullmatch(name) else None


def configured_hosts(entries: Sequence[str], path: Path) -> list[str]:
    """The ``web.allowed_hosts`` names, or a ConfigError naming each that is no name."""
    names, problems = [], []
    for entry in entries:
        # "*.lan.example": every name under it, as TrustedHostMiddleware reads it.
        wildcard = entry.startswith("*.")
        name = host_name(entry.removeprefix("*.") if wildcard else entry)
        if name is not None and wildcard:
            name = None if name.startswith("[") else "*." + name
        if name is None:
            problems.append(
                f"{path}: web.allowed_hosts: expected a host name such as news.example.org"
                f" (no scheme, port or path), got {entry!r}"
            )
        else:
            names.append(name)
    if problems:
        raise ConfigError(problems)
    return names


def allowed_hosts(configured: Sequence[str], host: str) -> list[str]:
    """Every name the page answers to: loopback, ``host`` (0.0.0.0 or :: too, should a
    browser be pointed at them) and the configured names."""
    listening = host_name(host)
    return list(dict.fromkeys([*LOOPBACK, *([listening] if listening else []), *configured]))


def _check_forgery(request: Request, token: str, expected: str, public: Collection[str]) -> None:
    """Refuse a POST without this page's token, or from another origin."""
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            403, "This form is stale or came from another site: reload the page and try again."
        )
    origin = request.headers.get("Origin")
    if origin is not None and not _same_site(origin, request.headers.get("Host", ""), public):
        raise HTTPException(
            403, f"This request came from another site ({shown(origin)}) and is refused."
        )


def _same_site(origin: str, host: str, public: Collection[str]) -> bool:
    """Whether a browser's Origin is this server: the very name and port the request
    went to, or a name of ``web.allowed_hosts`` (a reverse proxy's, on its own port).
    "null" (a sandboxed frame, a data: page) is no origin of this server."""
    parts = urlsplit(origin)
    try:
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or parts.path or parts.query or parts.fragment:
        return False
    if parts.netloc.lower() == host.lower():
        return True
    return not parts.username and host_name(parts.hostname or "") in public


# --- serving ----------------------------------------------------------------------------


def serve(
    config: Config, host: str, port: int, *, ready: Callable[[str], None] | None = None
) -> None:
    """Serve the review page until Ctrl-C; ``ready(url)`` once it accepts connections.

    The database is opened and the port bound here, before uvicorn starts, so that a
    database that cannot open, a port in use or an address this machine lacks is one
    ``MonitorError`` (uvicorn would log the error, or a traceback, and exit).
    """
    import uvicorn

    app = create_app(config, host)  # a wrong web.allowed_hosts is a ConfigError here
    Store(config.database).close()  # ... and a database that cannot open a StoreError
    sockets = _bind(host, port)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and ready is not None:
                ready(url)

    try:
        Server(uvicorn.Config(app, log_level="warning")).run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()


def _bind(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address ``host`` names, made as asyncio makes them."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise MonitorError(
            f"cannot listen on {host}: no such address here",
            hint="pass --host an address of this machine, such as 127.0.0.1",
        ) from exc
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            # A restart need not wait for the last run's connections to time out.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # "localhost" binds ::1 and 127.0.0.1 apart
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise MonitorError(
                f"port {port} on {host} is in use",
                hint="stop the program listening there (another monitor serve?) or pass --port",
            ) from exc
        raise MonitorError(
            f"cannot listen on {host} port {port}: {exc.strerror}",
            hint="ports below 1024 need root: pass a --port above 1023"
            if exc.errno == errno.EACCES
            else "pass --host an address of this machine, such as 127.0.0.1",
        ) from exc
    return sockets
