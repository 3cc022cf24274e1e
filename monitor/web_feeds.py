"""The review page's feeds: each feed's health, and a page per feed.

    GET  /feeds              each feed's health, linking to its page
    GET  /feeds/{name}       one feed (by name, or by id): its state, entries and hits
                             per day, latest errors, latest hits, and its fetch history
                             from fetch_log, newest first, 50 a page (?page=)

Every query of a feed's page is served by an index (``review.feed_page``; the plans are
read in tests/test_web_daily.py), so it costs what it shows, however long the log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitor import review
from monitor.message import safe_link
from monitor.store import Store
from monitor.web_input import page_number, shown

Page = Callable[..., Response]


def routes(db: Callable[[], Store], page: Page, tz: ZoneInfo) -> list[Route]:
    """The feed routes over the app's database ``db``, drawing with its ``page``."""

    async def feeds(request: Request) -> Response:
        rows = review.feed_health(db(), datetime.now(UTC))
        for row in rows:
            row["page_url"] = "/feeds/" + quote(row["name"], safe="")
            row["link"] = safe_link(row["url"])
        return page(request, "web/feeds.html", {"page": "feeds", "feeds": rows})

    async def feed(request: Request) -> Response:
        key = str(request.path_params["name"])
        found = review.find_feed(db(), key)
        if found is None:
            raise HTTPException(404, f"There is no feed named {shown(key)}.")
        number = page_number(request.query_params)
        shown_page = review.feed_page(db(), found, page=number, now=datetime.now(UTC), tz=tz)
        base = "/feeds/" + quote(found["name"], safe="")
        most = max([1, *(d["entries"] for d in shown_page["days"])])
        return page(
            request,
            "web/feed.html",
            {
                "page": "feeds",
                "feed": found,
                "link": safe_link(found["url"]),
                "base": base,
                "most": most,
                "days_shown": review.FEED_DAYS,
                "hits_url": "/hits?feed=" + quote(found["name"], safe=""),
                "prev_url": f"{base}?page={number - 1}#fetches" if number > 1 else None,
                "next_url": f"{base}?page={number + 1}#fetches"
                if shown_page["more_fetches"]
                else None,
                **shown_page,
            },
        )

    return [Route("/feeds", feeds), Route("/feeds/{name}", feed)]
