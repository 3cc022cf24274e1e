"""OPML subscription lists, read and written: how a feed list moves between readers.

    file bytes | size cap | expat, DOCTYPE refused | <outline xmlUrl=...> -> OpmlFeed
    OpmlFeed -> <opml version="2.0"> <outline type="rss" text title xmlUrl ...> -> bytes

Readers (Miniflux, FreshRSS, NetNewsWire, Feedly) export OPML 2.0: one ``<outline>``
per feed with ``xmlUrl`` and ``text`` or ``title``, often ``htmlUrl``, nested in outlines
for categories. Every outline with an ``xmlUrl`` is a feed, at any depth; attribute names
are matched in any case (some writers say ``xmlurl``). ``language`` is one of OPML 2.0's
own attributes; ``interval``, ``outlet`` and ``enabled`` are monitor's, which other
readers ignore, so a list exported here and imported back loses nothing.

Reading is hardened without defusedxml: a file over ``MAX_BYTES`` is refused unread, and
expat stops at any DOCTYPE, so no entity can be declared (no "billion laughs") and none
can point outside the file. Anything a file holds makes an ``OpmlError`` at worst.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import NoReturn
from xml.parsers import expat

from monitor.errors import MonitorError

MAX_BYTES = 5_000_000  # about 20,000 feeds with long titles; readers' exports are far smaller
# Characters XML 1.0 cannot carry at all, not even as a reference.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OpmlError(MonitorError):
    """The file is not an OPML list monitor can read: too large, not XML, a DOCTYPE."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of a list: from an ``<outline>`` to ``feedlist.plan_import``, or from a
    ``[[feeds]]`` block to ``write_opml``."""

    url: str
    title: str | None = None
    html_url: str | None = None
    language: str | None = None
    interval: str | None = None  # monitor's own attributes from here on
    outlet: str | None = None
    enabled: bool | None = None  # None: not said (enabled)


def read_opml(data: bytes, source: str) -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl``, in document order. Raises ``OpmlError`` only."""
    if len(data) > MAX_BYTES:
        raise OpmlError(
            f"{source}: larger than {MAX_BYTES:,} bytes; that is no list of feeds",
        )
    feeds: list[OpmlFeed] = []
    depth = 0

    def refuse(what: str) -> NoReturn:
        raise OpmlError(f"{source}: {what}; an OPML list needs none, so it is not read")

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 1 and name != "opml":
            raise OpmlError(
                f"{source}: not an OPML file: it starts with <{name[:40]}>, not <opml>",
                hint="`monitor feeds add URL` adds a single feed",
            )
        if name != "outline":
            return
        found = {key.lower(): value for key, value in attributes.items()}
        url = _text(found.get("xmlurl"))
        if url is None:
            return  # a category, or a plain outline
        enabled = _text(found.get("enabled"))
        feeds.append(
            OpmlFeed(
                url=url,
                title=_text(found.get("title")) or _text(found.get("text")),
                html_url=_text(found.get("htmlurl")),
                language=_text(found.get("language")),
                interval=_text(found.get("interval")),
                outlet=_text(found.get("outlet")),
                enabled=None if enabled is None else enabled.lower() not in ("false", "0", "no"),
            )
        )

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = lambda *_: refuse("it has a DOCTYPE")
    parser.EntityDeclHandler = lambda *_: refuse("it declares entities")
    parser.ExternalEntityRefHandler = lambda *_: refuse("it refers to an external entity")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except OpmlError:
        raise
    except expat.ExpatError as exc:
        raise OpmlError(f"{source}: not well-formed XML: {exc}") from None
    except (ValueError, LookupError) as exc:  # an encoding Python knows but expat cannot use
        raise OpmlError(f"{source}: cannot read it: {exc}") from None
    return feeds


def write_opml(feeds: list[OpmlFeed], *, title: str, now: datetime) -> bytes:
    """An OPML 2.0 document of ``feeds``, UTF-8, one outline a line."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        name = _text(_xml(feed.title or "")) or feed.url
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": feed.url}
        extra = {
            "htmlUrl": feed.html_url,
            "language": feed.language,
            "interval": feed.interval,
            "outlet": feed.outlet,
            "enabled": None if feed.enabled is not False else "false",
        }
        attributes.update({key: value for key, value in extra.items() if value})
        ET.SubElement(body, "outline", {key: _xml(value) for key, value in attributes.items()})
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _text(value: str | None) -> str | None:
    """An attribute's value with its white space collapsed; None when empty."""
    return " ".join(value.split()) or None if value is not None else None


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
