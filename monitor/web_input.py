"""The review page's parameters: what the URL and the forms may say, read into values or
refused with a 400 that says what was wrong (a 404 for an id that cannot be one).

Shared by every route module (web, web_hits, web_stories, web_misses, web_feeds,
web_api): a page number past 64 bits, a date in the year 1 or a hit id that is no number
is refused here, never a 500 further in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta, tzinfo

from starlette.exceptions import HTTPException

from monitor import review

# Limits of what the page's parameters may ask for (a search's are review's): past them
# SQLite's 64-bit integers or Python's dates overflow.
MAX_PAGE = 1_000_000  # 50 million hits
MAX_ID = 2**63 - 1  # SQLite's largest INTEGER
DAY_RANGE = (date(1900, 1, 1), date(2999, 12, 31))
HIT_PARAMETERS = ("watch", "feed", "lang", "status", "from", "to", "q")  # the list's filters


def shown(value: str) -> str:
    """A parameter quoted in a message, cut short: it is echoed to whoever sent it."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


def parse_whole(value: str, name: str, low: int, high: int) -> int:
    """A whole number from the URL, from ``low`` to ``high``, or a 400 saying so."""
    # ASCII digits only: int() would also take " 7", "1_0" and "７". The length check
    # keeps int() off huge strings (it refuses more than 4300 digits by raising).
    digits = value.lstrip("0") or "0"
    if value.isascii() and value.isdigit() and len(digits) <= len(str(high)):
        number = int(digits)
        if low <= number <= high:
            return number
    raise HTTPException(
        400, f"{name} must be a whole number from {low} to {high}, not {shown(value)}."
    )


def parse_day(value: str, name: str, tz: tzinfo, *, next_day: bool = False) -> datetime:
    """A date field ("2025-02-27") as the start of that local day (or of the next)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            400, f"{name} must be a date such as 2025-02-27, not {shown(value)}."
        ) from None
    low, high = DAY_RANGE
    if not low <= day <= high:  # near year 1 or 9999 the conversion to UTC overflows
        raise HTTPException(400, f"{name} must be a date from {low} to {high}, not {value}.")
    start = datetime.combine(day, time(), tzinfo=tz)
    return start + timedelta(days=1) if next_day else start


def page_number(args: Mapping[str, str]) -> int:
    """The ``page`` parameter: 1 when absent or empty."""
    return parse_whole(args["page"], "page", 1, MAX_PAGE) if args.get("page") else 1


def choice(args: Mapping[str, str], name: str, allowed: Collection[str]) -> str | None:
    """A parameter that takes one of ``allowed`` values; None when absent or empty."""
    value = args.get(name) or None
    if value is not None and value not in allowed:
        raise HTTPException(400, f"{name} must be one of {', '.join(allowed)}, not {shown(value)}.")
    return value


def hit_filter(args: Mapping[str, str], tz: tzinfo) -> review.HitFilter:
    """The hit list's filters from the query string (or a form); an empty field is none."""
    status = choice(args, "status", review.STATUSES)
    search = args.get("q") or None
    problem = review.search_problem(search) if search else None
    if problem:
        raise HTTPException(400, problem[0].upper() + problem[1:] + ".")
    return review.HitFilter(
        watch=args.get("watch") or None,
        feed=args.get("feed") or None,
        language=args.get("lang") or None,
        status=status,
        since=parse_day(args["from"], "from", tz) if args.get("from") else None,
        until=parse_day(args["to"], "to", tz, next_day=True) if args.get("to") else None,
        search=search,
    )


def path_id(raw: object, what: str) -> int:
    """The id in a path (``what``: "hit", "story"); one that cannot be an id is a 404,
    as a missing one is."""
    text = str(raw)
    try:
        return parse_whole(text, f"a {what} id", 1, MAX_ID)
    except HTTPException:
        raise HTTPException(404, f"There is no {what} number {shown(text)}.") from None


def only(args: Mapping[str, str], known: Collection[str], where: str) -> None:
    """Refuse a parameter ``where`` does not take (the API: a typo would be ignored)."""
    for name in args:
        if name not in known:
            raise HTTPException(
                400, f"{where} takes no parameter {shown(name)}; it takes {', '.join(known)}."
            )


def same_site_path(value: str, default: str) -> str:
    """Where a form sends the reader back: a path of this site, else ``default``."""
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return default  # only ever back to this site ("/\\evil.example" is another)
    if any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return default  # no line breaks into the Location header
    return value
