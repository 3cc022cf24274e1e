"""What a body is, when it is not a feed: pure functions on bytes and the Content-Type.

    body | binary_kind (magic bytes, else a binary Content-Type) -> "a PNG image, not a feed"
         | is_json -> the JSON Feed reader (``parse``)
         | is_html_page -> "an HTML page, not a feed" naming the feeds it declares (``discover``)
         | everything else -> feedparser

A URL people paste is often the outlet's home page or an article, not its feed: the
error then says so, and names the feeds the page declares, instead of feedparser's
``SAXParseException: mismatched tag``. Content wins over the Content-Type header where
both speak, since servers label feeds ``text/html`` or ``application/octet-stream``
often enough; the header decides only for a body that does not start as markup or JSON.
Every pattern is anchored at the start and possessive: linear time on hostile bodies.
"""

from __future__ import annotations

import re

from monitor.discover import find_feeds

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "gzip-compressed data the server did not declare in Content-Encoding"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg audio or video file"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
)
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_BINARY_SUBTYPES = frozenset(
    {"application/pdf", "application/zip", "application/octet-stream", "application/gzip"}
)
# Byte order marks, then space: where markup or JSON would begin.
_BOM = rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?"
_TEXT_START = re.compile(_BOM + rb"[\s\x00]*+[<\[{]")
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*+[\[{]")
# An HTML document: a DOCTYPE html, or html/head/body as the first element, after any
# XML declaration, processing instructions, comments and space.
_PROLOG = rb"(?:\xef\xbb\xbf)?(?:\s++|<\?[^>]*+>|<!--(?:[^-]++|-(?!->))*+-->)*+"
_HTML_START = re.compile(
    _PROLOG + rb"<(?:!DOCTYPE\s++html|html|head|body)(?![\w:.-])", re.IGNORECASE
)


def content_type(headers: dict[str, str]) -> str:
    """``"Text/HTML; charset=utf-8"`` -> ``"text/html"``; "" when absent."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def binary_kind(body: bytes, headers: dict[str, str]) -> str | None:
    """What a binary body is ("a PNG image"), by its first bytes, else by a binary
    Content-Type on a body that does not start as text; None for anything else."""
    for magic, what in _MAGIC:
        if body.startswith(magic):
            return what
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "a WebP image"
    if body[4:8] == b"ftyp":
        return "an MP4 video or audio file"
    kind = content_type(headers)
    if (kind.startswith(_BINARY_TYPES) or kind in _BINARY_SUBTYPES) and not _TEXT_START.match(body):
        return f"a file of type {kind}"
    return None


def is_json(body: bytes, headers: dict[str, str]) -> bool:
    """A body that starts as a JSON object or array, or that the server labels JSON
    (``application/feed+json``, ``application/json``, ``...+json``) and is not markup."""
    if _JSON_START.match(body):
        return True
    kind = content_type(headers)
    said_json = kind.endswith(("/json", "+json"))
    return said_json and not _TEXT_START.match(body)


def is_html_page(body: bytes, headers: dict[str, str] | None = None) -> bool:
    """A body that starts as an HTML document; with ``headers``, also any body labelled
    ``text/html`` (asked only once feedparser found no feed in it)."""
    if _HTML_START.match(body):
        return True
    return headers is not None and content_type(headers) in ("text/html", "application/xhtml+xml")


def html_page_error(body: bytes, base_url: str | None) -> str:
    """The error for an HTML page: what it is, the feeds it declares, the command to use."""
    hint = "`monitor feeds add URL` finds the feeds it links to"
    # Without the page's URL only absolute links can be named.
    feeds = [f.url for f in find_feeds(body, base_url or "")]
    if not feeds:
        return f"an HTML page, not a feed; {hint}"
    if len(feeds) == 1:
        named = f"the feed {feeds[0]}"
    elif len(feeds) == 2:
        named = f"the feeds {feeds[0]} and {feeds[1]}"
    else:
        named = f"{len(feeds)} feeds, first {feeds[0]} and {feeds[1]}"
    return f"an HTML page, not a feed: it declares {named}; {hint}"
