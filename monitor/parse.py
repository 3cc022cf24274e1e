"""Feed bytes -> ``RawFeed``: the only module that imports feedparser.

feedparser is fed the response headers (so it knows the charset) and the body with
any DOCTYPE removed: an entity declared there can expand into hundreds of MB. Every
exception it raises becomes this feed's ``ParseError``; a feed it can still read
despite errors (feedparser's "bozo" flag) is kept, with a warning. Time and memory
limits are enforced around this module, by ``worker``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from monitor.errors import ParseError

# The prolog ends at the first element; declarations can only stand before it.
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
# Quoted strings may hold ">" and "]". Possessive quantifiers, and closing quotes and
# brackets that are optional, make every match attempt succeed in one pass: linear time
# even on thousands of unterminated declarations.
_QUOTED = rb"\"[^\"]*+\"?|'[^']*+'?"
_INTERNAL_SUBSET = rb"\[(?:[^\]\"']++|" + _QUOTED + rb")*+\]?"
_DECLARATION = re.compile(
    rb"<!(?:DOCTYPE|ENTITY)\b(?:[^>\"'\[]++|" + _QUOTED + rb"|" + _INTERNAL_SUBSET + rb")*+>?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RawEntry:
    """One entry as the feed wrote it; HTML fields are flagged, not yet cleaned."""

    guid: str | None
    link: str | None
    title: str
    title_is_html: bool
    summary: str
    summary_is_html: bool
    published: datetime | None
    language: str | None
    content: str = ""  # the full text (content:encoded, Atom content), HTML
    content_is_html: bool = True


@dataclass(frozen=True)
class RawFeed:
    title: str | None
    language: str | None
    entries: tuple[RawEntry, ...]
    warning: str | None


def strip_doctype(body: bytes) -> bytes:
    """Remove DOCTYPE and ENTITY declarations from the prolog of a feed body.

    Only the prolog (before the first element) is touched, where feedparser looks for
    them; an unterminated declaration is cut to the end of the prolog. Linear time.
    """
    first = _FIRST_ELEMENT.search(body)
    end = first.start() if first else len(body)
    prolog = body[:end]
    if b"<!" not in prolog:
        return body
    return _DECLARATION.sub(b"", prolog) + body[end:]


def parse_feed(body: bytes, headers: dict[str, str] | None = None) -> RawFeed:
    """Parse one feed body. Raises ``ParseError`` when nothing usable comes out."""
    if not body.strip():
        raise ParseError("empty body: the server answered 200 with nothing in it")
    try:
        parsed = feedparser.parse(
            strip_doctype(body),
            response_headers=headers or {},
            sanitize_html=True,
            resolve_relative_uris=False,
        )
    except MemoryError:
        raise
    except Exception as exc:  # feedparser raises many kinds on hostile input
        raise ParseError(f"the parser failed: {type(exc).__name__}: {exc}") from exc
    feed = parsed.get("feed", {})
    warning = None
    if parsed.get("bozo"):
        warning = f"malformed feed, read anyway: {_describe(parsed.get('bozo_exception'))}"
        if not parsed.get("entries") and not feed.get("title"):
            raise ParseError(f"not a feed: {_describe(parsed.get('bozo_exception'))}")
    language = _language(feed.get("language"))
    entries = tuple(_raw_entry(e, language) for e in parsed.get("entries", []))
    return RawFeed(feed.get("title"), language, entries, warning)


def _raw_entry(entry: Any, feed_language: str | None) -> RawEntry:
    title_detail = entry.get("title_detail") or {}
    summary, summary_type = (
        entry.get("summary", ""),
        (entry.get("summary_detail") or {}).get("type"),
    )
    contents = entry.get("content") or []
    content = max(contents, key=lambda c: len(c.get("value") or "")) if contents else {}
    if not summary and content:
        summary, summary_type = content.get("value", ""), content.get("type")
    # dict.get: FeedParserDict.get would map one key to the other with a DeprecationWarning.
    when = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    published = _utc(when)
    return RawEntry(
        guid=_text(entry.get("id")),
        link=_text(entry.get("link")),
        title=entry.get("title", "") or "",
        title_is_html="html" in (title_detail.get("type") or ""),
        summary=summary or "",
        summary_is_html="html" in (summary_type or "text/html"),
        published=published,
        language=_language(entry.get("language")) or feed_language,
        content=content.get("value") or "",
        content_is_html="html" in (content.get("type") or "text/html"),
    )


def _utc(when: Any) -> datetime | None:
    """feedparser's UTC ``struct_time`` as a datetime; None when absent or impossible."""
    try:
        y, mo, d, h, mi, s = when[:6]
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _language(value: object) -> str | None:
    """``"de-DE"`` -> ``"de"``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0] or None


def _describe(exc: object) -> str:
    text = str(exc).strip().splitlines()[0] if exc else "unknown problem"
    return f"{type(exc).__name__}: {text}" if exc else text
