"""Pure decisions about new ``[[feeds]]`` blocks, before ``feedlist`` writes them.

    title, URL -> name_for (a slug, made unique) ; option or outline values -> problems
    OPML outlines + the blocks configured -> plan_import -> blocks to add, outlines skipped

A value is checked by the config's own ``convert`` against its row of ``FEED_SETTINGS``,
so ``monitor feeds add --interval 5s`` is refused with the message ``monitor
check-config`` would give, before anything is fetched or written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.config import _is_local, convert
from monitor.opml import OpmlFeed
from monitor.settings import FEED_SETTINGS, has_control, parse_duration, shown

#: One ``[[feeds]]`` block as written: name and url, and the optional keys.
Block = dict[str, str | bool]

_SETTING = {s.key: s for s in FEED_SETTINGS}
_NAME_LIMIT = 40
_EXTENSION = re.compile(r"\.(?:xml|rss|atom|rdf|json|php)$", re.IGNORECASE)


def one_line(text: str, limit: int = 200) -> str:
    """``text`` fit for a comment line: no line breaks or control characters, not too long."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def slug(text: str) -> str:
    """A feed name from a title: ``"Tagesschau – Ausland"`` -> ``"tagesschau-ausland"``.

    Letters lose their accents; a title in another script (Korean) gives "" and the
    caller falls back to the URL."""
    folded = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "SS"))
    words = re.findall(r"[a-z0-9]+", folded.encode("ascii", "ignore").decode().lower())
    name = ""
    for word in words:
        longer = f"{name}-{word}" if name else word
        if len(longer) > _NAME_LIMIT:
            break
        name = longer
    return name or (words[0][:_NAME_LIMIT] if words else "")


def name_for(title: str | None, url: str, taken: set[str]) -> str:
    """A unique name: the title's slug, else the URL's; ``-2``, ``-3``... if taken."""
    parts = urlsplit(url)
    path = _EXTENSION.sub("", parts.path)
    base = slug(title or "") or slug(f"{(parts.hostname or '').removeprefix('www.')} {path}")
    base = base or "feed"
    name, number = base, 2
    while name in taken:
        name = f"{base}-{number}"
        number += 1
    return name


def problems(block: Block, at: dict[str, str]) -> dict[str, str]:
    """Each key of ``block`` whose value the config would refuse, with the message.

    ``at`` names each key as the user gave it (``--interval``, ``outline 3 interval``).
    A remote feed's interval has the floor ``config.load`` applies."""
    found: dict[str, str] = {}
    for key, value in block.items():
        setting = _SETTING[key]
        said: list[str] = []
        converted = convert(setting, value, Path("."), at.get(key, key), said)
        if said:
            found[key] = said[0]
        elif key == "interval" and converted is not None:
            floor = parse_duration(str(setting.minimum))
            url = str(block.get("url", ""))
            if converted < floor and not _is_local(url):
                found[key] = (
                    f"{at.get(key, key)}: expected a duration from {setting.minimum} to"
                    f" {setting.maximum} for a feed not on this machine, got {shown(value)}"
                )
    return found


def language_tag(value: str | None) -> str | None:
    """``"de-DE"`` -> ``"de"``: the form entries carry and watches compare."""
    if not value or has_control(value):
        return None
    return value.strip().lower().replace("_", "-").split("-")[0] or None


@dataclass(frozen=True)
class ImportPlan:
    """What ``monitor feeds import`` will do: blocks to add (with their comment), the
    outlines skipped (their URL and why), and values dropped from added blocks."""

    added: list[tuple[Block, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def plan_import(
    outlines: list[OpmlFeed], existing: list[dict[str, Any]], source: str
) -> ImportPlan:
    """Every outline whose URL is not configured yet becomes a block with a unique name;
    a value the config would refuse is left out (and said), a bad URL skips the outline."""
    plan = ImportPlan()
    by_url = {str(block.get("url")): str(block.get("name")) for block in existing}
    taken = {str(block.get("name")) for block in existing}
    for outline in outlines:
        if outline.url in by_url:
            plan.skipped.append((outline.url, f"already configured as {by_url[outline.url]}"))
            continue
        block: Block = {"name": name_for(outline.title, outline.url, taken), "url": outline.url}
        language = language_tag(outline.language)
        optional: Block = {
            "language": language or "",
            "interval": outline.interval or "",
            "outlet": outline.outlet or "",
        }
        block.update({key: value for key, value in optional.items() if value})
        if outline.enabled is False:
            block["enabled"] = False
        at = {key: f"{outline.url}: {key}" for key in block} | {"url": "xmlUrl", "name": "name"}
        wrong = problems(block, at)
        if "url" in wrong or "name" in wrong:
            plan.skipped.append((outline.url, wrong.get("url") or wrong["name"]))
            continue
        for key, message in wrong.items():
            del block[key]
            plan.dropped.append(f"{message}; left out")
        by_url[outline.url] = str(block["name"])
        taken.add(str(block["name"]))
        title = f": {outline.title}" if outline.title else ""
        plan.added.append((block, f"Imported from {Path(source).name}{title}"))
    return plan
