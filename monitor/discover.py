"""HTML page -> the feeds it declares. Pure: bytes and a URL in, ``FoundFeed`` records out.

    page bytes | lexbor (HTML5, charset from BOM or <meta>) | <link rel=alternate|feed>
               | resolve against <base href> and the page's URL | http(s) only | dedupe

A page names its feeds with ``<link rel="alternate" type="application/rss+xml"
href="...">`` (Atom, JSON Feed and RSS 1.0 likewise, by type), or ``rel="feed"``. Used by
``parse``, to name them in the error a page's URL gets, and by ``monitor feeds add``.
``<link>`` elements are read wherever the parser put them: a sloppy head (an ``<img>``
in ``<noscript>``, a stray ``<div>``) closes early and leaves its links in the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

#: The types a ``<link rel="alternate">`` names a feed by. ``application/json`` is not one:
#: WordPress declares its REST API with it on every page.
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
        "application/x-rss+xml",
    }
)
_SPACES = "\t\n\f\r "  # ASCII whitespace, which HTML strips around URLs and tokens
_MAX_TITLE = 200


@dataclass(frozen=True)
class FoundFeed:
    """A feed a page declares: its absolute URL, the link's title, its type (or None)."""

    url: str
    title: str | None
    type: str | None


def find_feeds(html: bytes, base_url: str) -> list[FoundFeed]:
    """The feeds ``html`` (the page at ``base_url``) declares, in document order, each once.

    Never raises: a page that cannot be read declares nothing.
    """
    try:
        tree = LexborHTMLParser(html, encoding=True, scripting=True)
        base = _base(tree, base_url)
        found: dict[str, FoundFeed] = {}
        for link in tree.css("link"):
            attributes = link.attributes
            kind = _type(attributes.get("type"))
            rel = set((attributes.get("rel") or "").lower().split())
            if not ("alternate" in rel and kind in FEED_TYPES) and not (
                "feed" in rel and kind in FEED_TYPES | {None}
            ):
                continue
            url = _absolute(attributes.get("href"), base)
            if url is not None and url not in found:
                title = (attributes.get("title") or "").strip(_SPACES)[:_MAX_TITLE] or None
                found[url] = FoundFeed(url, title, kind)
        return list(found.values())
    except (ValueError, UnicodeError, RecursionError):  # lexbor's own refusals
        return []


def _base(tree: LexborHTMLParser, page_url: str) -> str:
    """The URL links resolve against: the first ``<base href>``, itself resolved."""
    node = tree.css_first("base[href]")
    href = node.attributes.get("href") if node is not None else None
    resolved = _absolute(href, page_url) if href else None
    return resolved or page_url


def _type(value: str | None) -> str | None:
    """``"Application/RSS+XML; charset=utf-8"`` -> ``"application/rss+xml"``."""
    kind = (value or "").split(";")[0].strip(_SPACES).lower()
    return kind or None


def _absolute(href: str | None, base: str) -> str | None:
    """``href`` resolved against ``base``, without its fragment; None unless http(s).

    ``feed:`` is the old pseudo-scheme some pages still use: ``feed://host/rss`` and
    ``feed:https://host/rss`` are plain HTTP(S) URLs.
    """
    if not href:
        return None
    href = "".join(c for c in href.strip(_SPACES) if c not in "\t\n\r")
    if href[:5].lower() == "feed:":
        href = href[5:] if href[5:].lower().startswith(("http:", "https:")) else "http:" + href[5:]
    try:
        parts = urlsplit(urljoin(base, href))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return urlunsplit(parts._replace(fragment=""))
    except ValueError:  # a malformed IPv6 host or port
        return None
