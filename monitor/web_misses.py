"""The review page's near misses: entries a watch almost took, for the reader to flag.

    GET  /misses             near misses, newest first: watch and date filters, paging
    POST /misses/{id}/flag   the near miss becomes a relevant hit (CSRF-checked by the
                             app), then on to that hit's page

The app's own connection knows no alert plans and no stories (triage needs neither), but
a flagged near miss is a new hit, to be placed in its story and alerted like any other:
the flag goes through a store opened with the configuration's plans and stories.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor.config import Config
from monitor.message import safe_link
from monitor.review import count_text
from monitor.store import Store

PAGE = 50  # near misses on one page, as hits on theirs
MAX_PAGE = 1_000_000  # as the hits' pages: 50 million near misses
MAX_ID = 2**63 - 1  # SQLite's largest INTEGER
Page = Callable[..., Response]


def routes(
    config: Config,
    db: Callable[[], Store],
    page: Page,
    whole: Callable[..., int],
    day: Callable[[str, str], datetime],
    check: Callable[[Request, str], None],
    note_max: int,
) -> list[Route]:
    """The near-miss routes over ``config``'s database, drawing with the app's ``page``,
    parsing numbers with its ``whole`` and dates with its ``day`` (value, name), refusing
    forged forms with its ``check`` (request, the form's token)."""
    watches = [w.name for w in config.watches]

    def flagging() -> Store:
        from monitor.alert import plans
        from monitor.stories.keep import StoryKeeper

        return Store(config.database, alerts=plans(config), stories=StoryKeeper(config.watches))

    async def misses(request: Request) -> Response:
        args = request.query_params
        watch = args.get("watch") or None
        since = day(args["from"], "from") if args.get("from") else None
        number = whole(args["page"], "page", 1, MAX_PAGE) if args.get("page") else 1
        offset = (number - 1) * PAGE
        rows = db().near_misses(watch=watch, since=since, limit=PAGE, offset=offset)
        total = db().count_near_misses(watch=watch, since=since)
        for row in rows:
            row["link"] = safe_link(row["url"])

        def page_url(n: int) -> str:
            return "/misses?" + urlencode({**dict(args), "page": n})

        shown = [*watches, *([watch] if watch and watch not in watches else [])]
        return page(
            request,
            "web/misses.html",
            {
                "page": "misses",
                "rows": rows,
                "total": total,
                "total_text": count_text(total),
                "offset": offset,
                "watch": watch,
                "watches": shown,
                "args": args,
                "prev_url": page_url(number - 1) if number > 1 else None,
                "next_url": page_url(number + 1) if offset + len(rows) < total else None,
            },
        )

    async def flag(request: Request) -> Response:
        form = await request.form()

        def field(name: str) -> str:  # a file upload where text belongs counts as empty
            value = form.get(name)
            return value if isinstance(value, str) else ""

        check(request, field("csrf"))
        raw = str(request.path_params["miss_id"])
        try:
            miss_id = whole(raw, "a near miss id", 1, MAX_ID)
        except HTTPException:
            raise HTTPException(404, f"There is no near miss number {raw[:40]!r}.") from None
        note = field("note").strip()
        if len(note) > note_max:
            raise HTTPException(
                400, f"A note takes at most {note_max} characters; this one has {len(note)}."
            )
        with closing(flagging()) as store:
            hit_id = store.flag_miss(miss_id, datetime.now(UTC), note=note or None)
        if hit_id is None:
            raise HTTPException(404, f"There is no near miss number {miss_id}.")
        return RedirectResponse(f"/hits/{hit_id}", status_code=303)

    return [
        Route("/misses", misses),
        Route("/misses/{miss_id}/flag", flag, methods=["POST"]),
    ]
