"""``RawEntry`` -> ``Entry``: plain text, canonical link, stable key. Pure.

The only module that imports selectolax (an HTML5 parser, used to turn HTML into
text). Entries that carry nothing usable are skipped by the caller with a warning.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from monitor.parse import RawEntry
from monitor.records import Entry
from monitor.terms import INVISIBLE

# Query parameters that only say where a click came from; removed from links.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "ocid"}
)
TRACKING_PREFIXES = ("utm_", "wt_", "wt.", "at_", "ns_")
_SPACES = re.compile(r"\s+")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


class EmptyEntry(ValueError):
    """An entry with no title, no summary and no link: nothing to keep."""


def plain_text(value: str, *, is_html: bool) -> str:
    """HTML or text -> one line of clean text (entities decoded, NFC, spaces folded)."""
    if is_html and ("<" in value or "&" in value):
        tree = LexborHTMLParser(value)
        tree.strip_tags(["script", "style", "noscript"])
        value = tree.text(separator=" ") if tree.body is not None else value
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)  # double-escaped titles are common in real feeds
    value = unicodedata.normalize("NFC", value.translate(INVISIBLE))
    return _SPACES.sub(" ", value).strip()


def canonical_link(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no tracking parameters."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def normalize_entry(raw: RawEntry, default_language: str | None = None) -> Entry:
    """Clean one entry. Raises ``EmptyEntry`` when there is nothing to keep."""
    title = plain_text(raw.title, is_html=raw.title_is_html)
    summary = plain_text(raw.summary, is_html=raw.summary_is_html)
    url = canonical_link(raw.link)
    if not title and not summary:
        raise EmptyEntry("entry has neither title nor summary")
    if raw.guid:
        key = "guid:" + raw.guid
    elif url:
        key = "url:" + url
    else:
        key = "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()
    content = plain_text(raw.content, is_html=raw.content_is_html) if raw.content else ""
    return Entry(
        content="" if content in (summary, "") else content,
        key=key,
        url=url,
        title=title,
        summary=summary,
        published=raw.published,
        language=raw.language or default_language,
        guid=raw.guid,
    )
