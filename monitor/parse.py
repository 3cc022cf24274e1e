"""Feed bytes -> ``RawFeed``: the only module that imports feedparser.

    body | strip_doctype | repair_utf8 | repair_char_refs | feedparser
         | (raised, or bozo with entries missing) recover entry by entry

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
usable at all is a ``ParseError``. Every pattern here runs in linear time on hostile
input; time and memory limits around the whole module are enforced by ``worker``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
# An XML document that starts in an ASCII-compatible encoding, and the encoding it declares.
_ASCII_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*+<[?!A-Za-z_]")
_DECLARED_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*+<\?xml\s[^>]*?\bencoding\s*+=\s*+[\"']([A-Za-z0-9._:-]{1,40})"
)
_CHARSET = re.compile(r"\bcharset\s*=\s*[\"']?([^\"';\s]{1,40})", re.I)
_UTF8 = ("utf-8", "utf8")
# Possessive runs of digits: a failed match never rescans them.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]++)|([0-9]++));")
# An entry start or end tag, any prefix, up to its ">" but never past the next "<", so
# a broken tag (an open quote, a missing ">") cannot swallow the entries after it. The
# name ends at anything that cannot go on a name: feedparser's fallback parser reads
# "<item\"" as an item too, and an entry missed here could hide a lost neighbour.
_NAME_PREFIX = rb"(?:[A-Za-z_][\w.-]*+:)?"
_ENTRY_TAG = re.compile(rb"<(/?)" + _NAME_PREFIX + rb"(?:item|entry)(?![\w.:-])[^<>]*+>?", re.I)
_XML_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*+<\?xml\s[^>]*+>")
# A start tag's attributes: quoted values may hold ">" but never "<" (XML forbids it), and
# nothing else runs past the next "<". So a tag that never closes costs a scan up to the
# next tag, not to the end of the body: thousands of them stay linear.
_ATTRIBUTES = rb"(?:[^<>\"'/]++|\"[^<\"]*+\"|'[^<']*+'|/(?!>))*+"
# The root start tag after any XML declaration, processing instructions, comments and
# space. Group 1 is the tag, group 2 its name.
_ROOT_TAG = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\s++|<\?.*?\?>|<!--.*?-->)*+(<([A-Za-z_][^\s/<>]*+)"
    + _ATTRIBUTES
    + rb">)",
    re.DOTALL,
)
_CHANNEL_TAG = re.compile(rb"<(" + _NAME_PREFIX + rb"channel)(?=[\s>])" + _ATTRIBUTES + rb">", re.I)
_CHANNEL_END = re.compile(rb"</" + _NAME_PREFIX + rb"channel\s*+>", re.I)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Namespace declarations rarely pass 2 KB; past this an envelope is hostile, and
# repeating it for every entry would make recovery cost more than the body is long.
_MAX_ENVELOPE = 16_384


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
    warnings: tuple[str, ...] = ()


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


def repair_utf8(body: bytes, headers: dict[str, str]) -> tuple[bytes, int]:
    """In a UTF-8 body, replace the byte sequences that are not UTF-8 by U+FFFD; count them.

    One stray byte makes feedparser decode the whole body as another charset (it tries
    windows-1252 and iso-8859-2 next), so every Korean, Cyrillic or accented title of the
    feed comes out garbled and no watch finds them. Only a body that says it is UTF-8
    (in the Content-Type header, else in the XML declaration, else by XML's default) and
    mostly is, is repaired: a Latin-1 body labelled UTF-8, a common mistake, is invalid
    at every accented letter, and feedparser's fallback reads it right.
    """
    if body.isascii():
        return body, 0
    try:
        body.decode("utf-8")
        return body, 0
    except UnicodeDecodeError:
        pass
    if not _says_utf8(body, headers):
        return body, 0
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    decoded = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    if decoded <= invalid:
        return body, 0
    return text.encode("utf-8"), invalid


def _says_utf8(body: bytes, headers: dict[str, str]) -> bool:
    """Whether the body is labelled UTF-8, or not labelled at all, as XML reads labels.

    The header's charset wins over the declaration, as in feedparser (RFC 3023). A body
    that does not start with ASCII markup (UTF-16 or UTF-32, with or without a byte order
    mark, EBCDIC) is not UTF-8 whatever it says.
    """
    if not _ASCII_START.match(body):
        return False
    charset = _CHARSET.search(headers.get("content-type", ""))
    if charset is not None:
        return charset.group(1).lower() in _UTF8
    declared = _DECLARED_ENCODING.match(body)
    return declared is None or declared.group(1).decode().lower() in _UTF8


def repair_char_refs(body: bytes) -> tuple[bytes, int]:
    """Replace character references XML forbids by ``&#xFFFD;``; return the body and a count.

    XML 1.0 allows tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF. The
    rest (NUL and the other C0 controls, surrogates, U+FFFE/U+FFFF, past U+10FFFF) makes
    the strict parser give up, and feedparser's fallback raises on some of them, losing
    the feed. U+FFFD is what an HTML parser makes of them too. References inside CDATA
    are text, not references; replacing them there changes nothing once the text is
    read as HTML, which decodes them to U+FFFD as well. Works on the bytes, so only on
    encodings where ASCII stands for itself (UTF-8, the ISO-8859 and Windows code pages,
    EUC-KR, ...); a UTF-16 body is left as it is.
    """
    if b"&#" not in body:
        return body, 0
    count = 0

    def substitute(ref: re.Match[bytes]) -> bytes:
        nonlocal count
        if _allowed(ref.group(1), ref.group(2)):
            return ref.group(0)
        count += 1
        return b"&#xFFFD;"

    repaired = _CHAR_REF.sub(substitute, body)
    return (repaired, count) if count else (body, 0)


def entry_spans(body: bytes) -> list[tuple[int, int]]:
    """Where each ``<item>``/``<entry>`` element starts and ends in ``body``. Linear time.

    A text scan, not a parse: it has to work on bodies the parser gave up on. An entry
    ends at the next entry end tag, or, when that is missing, where the next entry
    starts; any prefix counts (``rss:item``), and case is ignored as feedparser's loose
    parser ignores it.
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for tag in _ENTRY_TAG.finditer(body):
        if tag.group(1):  # an end tag closes whatever entry is open
            if start is not None:
                spans.append((start, tag.end()))
                start = None
            continue
        if start is not None:
            spans.append((start, tag.start()))
            start = None
        if tag.group(0).endswith(b"/>"):
            spans.append((tag.start(), tag.end()))
        else:
            start = tag.start()
    if start is not None:
        spans.append((start, len(body)))
    return spans


def parse_feed(body: bytes, headers: dict[str, str] | None = None) -> RawFeed:
    """Parse one feed body. Raises ``ParseError`` when nothing usable comes out."""
    if not body.strip():
        raise ParseError("empty body: the server answered 200 with nothing in it")
    headers = headers or {}
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
        if recovered is None:
            raise ParseError(f"the parser failed: {type(exc).__name__}: {exc}") from exc
        return _warned(recovered, warnings)
    feed = parsed.get("feed", {})
    language = _language(feed.get("language"))
    found = parsed.get("entries", [])
    read = RawFeed(feed.get("title"), language, tuple(_raw_entry(e, language) for e in found))
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
    envelope = _envelope(body[: spans[0][0]])
    if envelope is None:
        return None
    opening, closing = envelope
    title, language = read.title, read.language
    if title is None or language is None:
        # The feed's own elements stand before its first entry in every format.
        head = _feedparser_or_none(body[: spans[0][0]] + closing, headers)
        feed = head.get("feed", {}) if head is not None else {}
        title = title if title is not None else feed.get("title")
        language = language or _language(feed.get("language"))
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
    return RawFeed(title, language, tuple(entries), (warning,))


def _warned(feed: RawFeed, warnings: list[str]) -> RawFeed:
    return replace(feed, warnings=(*warnings, *feed.warnings)) if warnings else feed


def _envelope(head: bytes) -> tuple[bytes, bytes] | None:
    """What an entry cut out of a feed needs around it to mean what it meant there.

    The XML declaration (the encoding), the root start tag (namespace declarations,
    ``xml:base``, ``xml:lang``, the RSS version) and, when the entries stand inside it,
    the channel start tag (``xml:base`` again). None when the root tag is unreadable or
    so long that repeating it for every entry would cost more than the body itself.
    """
    declaration = _XML_DECLARATION.match(head)
    opening = declaration.group(0) if declaration else b""
    root = _ROOT_TAG.match(head)
    if root is None:
        # No root before the first entry: the body is an entry document, or unreadable.
        return (opening, b"") if _FIRST_ELEMENT.search(head) is None else None
    opening += root.group(1)
    closing = b"</" + root.group(2) + b">"
    channel = _CHANNEL_TAG.search(head, root.end())
    if channel is not None and _CHANNEL_END.search(head, channel.end()) is None:
        opening += channel.group(0)
        closing = b"</" + channel.group(1) + b">" + closing
    if len(opening) > _MAX_ENVELOPE:
        return None
    return opening, closing


def _feedparser(body: bytes, headers: dict[str, str]) -> Any:
    return feedparser.parse(
        body, response_headers=headers, sanitize_html=True, resolve_relative_uris=False
    )


def _feedparser_or_none(body: bytes, headers: dict[str, str]) -> Any:
    try:
        return _feedparser(body, headers)
    except MemoryError:
        raise
    except Exception:  # this piece is unreadable; the caller counts it
        return None


def _allowed(hex_digits: bytes | None, decimal: bytes | None) -> bool:
    """Whether a character reference names a character XML 1.0 allows."""
    digits = (hex_digits or decimal or b"").lstrip(b"0")
    # Checked before int(): a reference may hold thousands of digits, more than int()
    # converts (and far past U+10FFFF in any case).
    if len(digits) > (6 if hex_digits is not None else 7):
        return False
    code = int(digits or b"0", 16 if hex_digits is not None else 10)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


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
        link=_link(entry),
        title=entry.get("title", "") or "",
        title_is_html="html" in (title_detail.get("type") or ""),
        summary=summary or "",
        summary_is_html="html" in (summary_type or "text/html"),
        published=published,
        language=_language(entry.get("language")) or feed_language,
        content=content.get("value") or "",
        content_is_html="html" in (content.get("type") or "text/html"),
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


def _language(value: object) -> str | None:
    """``"de-DE"`` -> ``"de"``."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0] or None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _describe(exc: object) -> str:
    text = str(exc).strip().splitlines()[0] if exc else "unknown problem"
    return f"{type(exc).__name__}: {text}" if exc else text
