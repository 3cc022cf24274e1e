"""Feed bytes -> ``RawFeed``: the only module that imports feedparser.

    body | sniff: binary, an HTML page -> ParseError saying what it is
         |        JSON -> jsonfeed.read_json_feed (JSON Feed 1.0 and 1.1)
         | strip_doctype | repair_utf8 | repair_char_refs | feedparser (RSS, Atom, RDF)
         | (raised, or bozo with entries missing) recover entry by entry

What is plainly no feed is told apart before feedparser sees it (``sniff``): an image,
a PDF, an HTML page (an outlet's home page pasted for its feed: the error names the
feeds the page declares). A body feedparser finds nothing in is "not a feed", or an
HTML page when the server labels it one.

feedparser is fed the response headers (so it knows the charset) and the body with
any DOCTYPE removed: an entity declared there can expand into hundreds of MB. Two
kinds of damage that cost the whole feed for one entry are repaired first, each
replaced by U+FFFD: byte sequences that are not UTF-8 in a UTF-8 body (feedparser
would decode the whole body as another charset), and character references XML forbids
(``&#xD800;``, ``&#0;``, ``&#x110000;``; feedparser raises on some of them).

When feedparser still raises, or flags the body malformed ("bozo") and reads fewer
entries than it holds, the body is cut into its ``<item>``/``<entry>`` elements and
each is parsed alone inside a small envelope (the XML declaration and the root and
channel start tags, so the encoding, namespaces, ``xml:base`` and ``xml:lang`` keep
their meaning). Only the entries that cannot be read even alone are skipped, and the
warning says how many. A feed read despite errors is kept, with a warning; nothing
usable at all is a ``ParseError``. The repairs and the cutting work on bytes alone and
live in ``repair``. Every pattern here and there runs in linear time on hostile input;
time and memory limits around the whole module are enforced by ``worker``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import feedparser

from monitor import sniff
from monitor.errors import ParseError
from monitor.repair import entry_envelope, entry_spans, repair_char_refs, repair_utf8, strip_doctype

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


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
    # Who published it, when the item names its own source (RSS <source>, Atom
    # <source><title>): an aggregator's items come from many outlets.
    source: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class RawFeed:
    title: str | None
    language: str | None
    entries: tuple[RawEntry, ...]
    warnings: tuple[str, ...] = ()
    link: str | None = None  # the site the feed belongs to (RSS <link>, Atom alternate)
    ttl: str | None = None  # RSS <ttl>: minutes a reader may wait, as written (``rhythm``)


def parse_feed(
    body: bytes, headers: dict[str, str] | None = None, base_url: str | None = None
) -> RawFeed:
    """Parse one feed body (from ``base_url``, which names the feeds of an HTML page in
    its error). Raises ``ParseError`` when nothing usable comes out, saying what the body
    is when it is no feed."""
    if not body.strip():
        raise ParseError("empty body: the server answered 200 with nothing in it")
    headers = headers or {}
    binary = sniff.binary_kind(body, headers)
    if binary is not None:
        raise ParseError(f"{binary}, not a feed")
    if sniff.is_json(body, headers):
        from monitor.jsonfeed import read_json_feed  # it builds this module's records

        return read_json_feed(body)
    if sniff.is_html_page(body):
        raise ParseError(sniff.html_page_error(body, base_url))
    return _parse_xml(body, headers, base_url)


def _parse_xml(body: bytes, headers: dict[str, str], base_url: str | None) -> RawFeed:
    """RSS, Atom and everything else feedparser reads."""
    page = body
    body, bytes_repaired = repair_utf8(strip_doctype(body), headers)
    body, refs_repaired = repair_char_refs(body)
    warnings: list[str] = []
    if bytes_repaired:
        warnings.append(
            f"malformed feed, repaired: {_count(bytes_repaired, 'invalid UTF-8 sequence')}"
            " replaced by U+FFFD"
        )
    if refs_repaired:
        warnings.append(
            f"malformed feed, repaired: {_count(refs_repaired, 'character reference')}"
            " XML forbids replaced by U+FFFD"
        )
    try:
        parsed = _feedparser(body, headers)
    except MemoryError:
        raise
    except Exception as exc:  # feedparser raises many kinds on hostile input
        recovered = _recover(body, headers, RawFeed(None, None, ()), 0, exc)
        if recovered is None and sniff.is_html_page(page, headers):
            raise ParseError(sniff.html_page_error(page, base_url)) from exc
        if recovered is None:
            raise ParseError(f"the parser failed: {type(exc).__name__}: {exc}") from exc
        return _warned(recovered, warnings)
    feed = parsed.get("feed", {})
    language = language_code(feed.get("language"))
    found = parsed.get("entries", [])
    entries = tuple(_raw_entry(e, language) for e in found)
    read = RawFeed(
        feed.get("title"),
        language,
        entries,
        link=_text(feed.get("link")),
        ttl=_text(feed.get("ttl")),
    )
    if not parsed.get("bozo"):
        return _warned(read, warnings)
    problem = parsed.get("bozo_exception")
    # The fallback parser can make an entry of nothing at all where a damaged one stood,
    # and lose a good one after it: the count stays right, so only what it read counts.
    readable = sum(1 for entry in found if entry)
    recovered = _recover(body, headers, read, readable, problem)
    if recovered is not None:
        return _warned(recovered, warnings)
    if not read.entries and not read.title:
        if sniff.is_html_page(page, headers):
            raise ParseError(sniff.html_page_error(page, base_url))
        raise ParseError(f"not a feed: {_describe(problem)}")
    return _warned(read, [*warnings, f"malformed feed, read anyway: {_describe(problem)}"])


def _recover(
    body: bytes, headers: dict[str, str], read: RawFeed, readable: int, problem: object
) -> RawFeed | None:
    """Parse each entry of a body the parser failed on alone; None when that reads less.

    ``read`` is what the whole body gave (nothing when the parser raised), ``readable``
    how many of its entries hold anything at all.
    """
    spans = entry_spans(body)
    if len(spans) <= readable:
        return None
    envelope = entry_envelope(body[: spans[0][0]])
    if envelope is None:
        return None
    opening, closing = envelope
    title, language, link = read.title, read.language, read.link
    if title is None or language is None or link is None:
        # The feed's own elements stand before its first entry in every format.
        head = _feedparser_or_none(body[: spans[0][0]] + closing, headers)
        feed = head.get("feed", {}) if head is not None else {}
        title = title if title is not None else feed.get("title")
        language = language or language_code(feed.get("language"))
        link = link or _text(feed.get("link"))
    entries: list[RawEntry] = []
    skipped = 0
    for start, end in spans:
        alone = _feedparser_or_none(opening + body[start:end] + closing, headers)
        found = [e for e in alone.get("entries", []) if e] if alone is not None else []
        skipped += not found
        entries.extend(_raw_entry(e, language) for e in found)
    # On a tie the pieces win: the whole body already lost something (there are more
    # entries than it read), and each piece was read in isolation from the damage.
    if not entries or len(entries) < readable:
        return None
    warning = (
        f"malformed feed, read entry by entry ({_describe(problem)}): "
        f"{skipped} of {len(spans)} entries unreadable, skipped"
    )
    return RawFeed(title, language, tuple(entries), (warning,), link)


def _warned(feed: RawFeed, warnings: list[str]) -> RawFeed:
    return replace(feed, warnings=(*warnings, *feed.warnings)) if warnings else feed


def _feedparser(body: bytes, headers: dict[str, str]) -> Any:
    # No sanitizing here: every piece of HTML becomes plain text in ``normalize`` (an
    # HTML5 parser, scripts and their kin dropped), and only that text is stored or shown.
    # feedparser's sanitizer would rewrite each summary's HTML first: a quarter of its time.
    return feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def _feedparser_or_none(body: bytes, headers: dict[str, str]) -> Any:
    try:
        return _feedparser(body, headers)
    except MemoryError:
        raise
    except Exception:  # this piece is unreadable; the caller counts it
        return None


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
    source = entry.get("source") or {}
    return RawEntry(
        guid=_text(entry.get("id")),
        link=_link(entry),
        title=entry.get("title", "") or "",
        title_is_html="html" in (title_detail.get("type") or ""),
        summary=summary or "",
        summary_is_html="html" in (summary_type or "text/html"),
        published=published,
        language=language_code(entry.get("language")) or feed_language,
        content=content.get("value") or "",
        content_is_html="html" in (content.get("type") or "text/html"),
        source=_text(source.get("title")),
        source_url=_text(source.get("href") or source.get("link")),
    )


def _link(entry: Any) -> str | None:
    """The entry's link; a guid feedparser made the link of (RSS says a guid is a
    permalink unless marked otherwise) only when it is an absolute URL: "12345" is an id,
    and resolved against the feed's URL it would be a link to nowhere."""
    link = _text(entry.get("link"))
    # feedparser's "guidislink" is not to be trusted (it stays set when the link element
    # comes after the guid); a link made of the guid has no link element behind it.
    from_guid = not entry.get("links") and link == _text(entry.get("id"))
    if link and from_guid and not _SCHEME.match(link):
        return None
    return link


def _utc(when: Any) -> datetime | None:
    """feedparser's UTC ``struct_time`` as a datetime; None when absent or impossible."""
    try:
        y, mo, d, h, mi, s = when[:6]
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def language_code(value: object) -> str | None:
    """``"de-DE"`` -> ``"de"``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0] or None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _describe(exc: object) -> str:
    text = str(exc).strip().splitlines()[0] if exc else "unknown problem"
    return f"{type(exc).__name__}: {text}" if exc else text
