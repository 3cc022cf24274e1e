"""``RawEntry`` -> ``Entry``: plain text, canonical link, stable key. Pure.

    raw entries of one feed | feed_links (base URL, pages shared by anchors) | normalize_entry

The only module that imports selectolax (an HTML5 parser, used to turn HTML into
text). Entries that carry nothing usable are skipped by the caller with a warning.

Links: a relative link is resolved against the feed's URL after redirects (feedparser
has already applied ``xml:base``); only http and https links are kept. A fragment is
kept in the entry's URL only where it tells entries of the same feed apart (a post and
its ``#comment-1``, ``#comment-2``); a lone one is noise (``#top``, or the same article
linked with and without an anchor in different polls) and tracking fragments
(``#xtor=RSS-3``) always are. The key of an entry without a guid keeps every
non-tracking fragment, so a comment is found again by its key in a later poll even when
its neighbours are gone; the store also finds an entry by its URL, which keeps a noise
anchor from making a second entry.

Outlets: an entry that names its own publisher (an aggregator's item with RSS
``<source>`` or Atom ``<source><title>``) carries it as ``Entry.outlet``; the feed's own
publisher is the one its title names (``publisher``). The store decides which outlet a
feed's entries are kept under, once.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from monitor.parse import RawEntry
from monitor.records import Entry
from monitor.terms import visible

# Query parameters that only say where a click came from; removed from links.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "ocid"}
)
TRACKING_PREFIXES = ("utm_", "wt_", "wt.", "at_", "ns_")
# Parameters that ride in fragments of news links as well: AT Internet's xtor, Echobox.
TRACKING_FRAGMENT_PARAMS = TRACKING_PARAMS | {"xtor", "echobox"}
_SPACES = re.compile(r"\s+")
# Between a publisher's name and a section's: "DER SPIEGEL - Ausland", "DW | News",
# "EL PAÍS: Internacional", "World news | The Guardian".
_SECTION = re.compile(r"\s+[-|–—»>·•]+\s+|(?<=\S):\s+")
_NOT_A_NAME = frozenset({"www", "rss", "feed", "feeds", "news", "co", "com", "org", "net", "or"})
_MAX_OUTLET = 100
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


class EmptyEntry(ValueError):
    """An entry with no title, no summary and no link: nothing to keep."""


# Elements whose content is no text of the entry: code, styles, embedded documents.
_NOT_TEXT = [
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "noembed",
    "noframes",
    "object",
    "applet",
    "head",
]


# The end of a paragraph, list item or line in HTML: a digest's items (two unrelated
# stories in one summary) are told apart by it, so it becomes a bullet, which ends a
# sentence (``terms``) and reads as a separator on one line.
_BLOCK_END = re.compile(r"</(?:p|li|div|h[1-6]|tr|blockquote)\s*>|<br\s*/?>", re.IGNORECASE)
_BULLETS = re.compile(r"(?:\s*•)+\s*")
_ENDED = re.compile(r"([.!?。！？…\"'”’»)]) • ")


def plain_text(value: str, *, is_html: bool) -> str:
    """HTML or text -> one line of clean text (entities decoded, NFC, spaces folded); the
    paragraphs of HTML stand apart with a bullet between them ("first • second")."""
    if is_html and ("<" in value or "&" in value):
        if "<" in value:
            value = _BLOCK_END.sub(lambda m: m[0] + " \u2022 ", value)
        tree = LexborHTMLParser(value)
        tree.strip_tags(_NOT_TEXT)
        value = tree.text(separator=" ") if tree.body is not None else value
    if "&" in value and _ENTITY.search(value):
        value = html.unescape(value)  # double-escaped titles are common in real feeds
    value = unicodedata.normalize("NFC", visible(value))
    value = _SPACES.sub(" ", value).strip()
    if is_html and "•" in value:
        value = _BULLETS.sub(" • ", value).strip(" •")
        value = _ENDED.sub(r"\1 ", value)  # a paragraph that ends a sentence needs none
    return value


def publisher(title: str | None, *urls: str | None) -> str | None:
    """The publisher a feed's (or a source's) title names; None when it has no title.

    A title is often a publisher and a section. The part that spells a label of the
    host of one of ``urls`` (the site's, the feed's) wins: "Top stories - Google News"
    at news.google.com is Google News. Else the first part: outlets name themselves
    first far more often than last ("Yonhap News Agency - North Korea" at yna.co.kr,
    which spells no label). Two feeds of one outlet's sections so share one outlet, as
    their entries do (de-duplicated per outlet).
    """
    text = plain_text(title, is_html=True) if title else ""
    parts = [part for part in _SECTION.split(text) if any(c.isalnum() for c in part)]
    if not parts:
        return None
    labels = [label for url in urls for label in _host_labels(url)]
    for part in parts:
        squashed = "".join(c for c in part.lower() if c.isalnum())
        if any(
            label in squashed or (len(squashed) >= 3 and label.startswith(squashed))
            for label in labels
        ):
            return part[:_MAX_OUTLET].strip()
    return parts[0][:_MAX_OUTLET].strip()


def _host_labels(url: str | None) -> list[str]:
    """``https://www.theguardian.com/world/rss`` -> ``["theguardian"]``: the labels of
    the host that can name an outlet (not the top-level domain, not ``www``, ``rss`` or
    ``co``, not the numbers of an IP address)."""
    try:
        host = (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return []
    labels = host.split(".")[:-1]
    return [x for x in labels if len(x) >= 2 and not x.isdigit() and x not in _NOT_A_NAME]


@dataclass(frozen=True)
class FeedLinks:
    """How the links of one feed body are read; built by ``feed_links``."""

    base_url: str | None = None  # the feed's URL after redirects
    shared_pages: frozenset[str] = frozenset()  # pages entries link to at different anchors
    # Each entry's link as ``split_link`` read it against ``base_url``, read once for
    # both ``feed_links`` and ``normalize_entry``: parsing URLs is a large part of their work.
    split: Mapping[str, tuple[str, str] | None] = field(default_factory=dict, compare=False)

    def split_link(self, url: str | None) -> tuple[str, str] | None:
        if url is not None and url in self.split:
            return self.split[url]
        return split_link(url, self.base_url)


def feed_links(raws: Iterable[RawEntry], base_url: str | None = None) -> FeedLinks:
    """The pages that several entries of this feed link to, told apart only by fragment."""
    anchors: dict[str, set[str]] = {}
    split: dict[str, tuple[str, str] | None] = {}
    for raw in raws:
        parts = split_link(raw.link, base_url)
        if raw.link is not None:
            split[raw.link] = parts
        if parts is not None:
            anchors.setdefault(parts[0], set()).add(parts[1])
    shared = frozenset(page for page, found in anchors.items() if len(found) > 1)
    return FeedLinks(base_url, shared, split)


def split_link(url: str | None, base_url: str | None = None) -> tuple[str, str] | None:
    """``(canonical page, fragment)``; the fragment is "" when absent or tracking.

    The page: resolved against ``base_url``, lower-case scheme and host, no tracking
    parameters, no fragment. None unless the result is an http(s) URL with a host.
    """
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(urljoin(base_url, url.strip()) if base_url else url.strip())
    except ValueError:  # a malformed IPv6 host, in the link or the base
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _tracking(k, TRACKING_PARAMS)
    ]
    page = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )
    return page, "" if _tracking_fragment(parts.fragment) else parts.fragment


def canonical_link(url: str | None, base_url: str | None = None) -> str | None:
    """Resolved against ``base_url``, lower-case scheme and host, no fragment, no tracking
    parameters; None unless http(s)."""
    parts = split_link(url, base_url)
    return parts[0] if parts else None


def _tracking(key: str, names: frozenset[str]) -> bool:
    return key.lower() in names or key.lower().startswith(TRACKING_PREFIXES)


def _tracking_fragment(fragment: str) -> bool:
    """``utm_source=feed&xtor=RSS-3``: every part a tracking parameter."""
    pairs = fragment.split("&")
    return all("=" in p and _tracking(p.split("=", 1)[0], TRACKING_FRAGMENT_PARAMS) for p in pairs)


def normalize_entry(
    raw: RawEntry, default_language: str | None = None, links: FeedLinks = FeedLinks()
) -> Entry:
    """Clean one entry of a feed read with ``links``. Raises ``EmptyEntry`` when there is
    nothing to keep."""
    title = plain_text(raw.title, is_html=raw.title_is_html)
    summary = plain_text(raw.summary, is_html=raw.summary_is_html)
    if not title and not summary:
        raise EmptyEntry("entry has neither title nor summary")
    parts = links.split_link(raw.link)
    url = anchored = None
    if parts is not None:
        page, fragment = parts
        anchored = f"{page}#{fragment}" if fragment else page
        url = anchored if page in links.shared_pages else page
    if raw.guid:
        key = "guid:" + raw.guid
    elif anchored:
        key = "url:" + anchored
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
        outlet=publisher(raw.source, raw.source_url),
    )
