"""JSON Feed bytes -> ``RawFeed``, the records ``parse`` makes of RSS and Atom. Pure.

    body | decode UTF-8 | json.loads | version check | each item -> RawEntry

JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1). An item's ``url`` is its
link (``external_url`` when it has none), ``summary`` its plain-text summary, the
longer of ``content_html`` and ``content_text`` its full text (and its summary when it
has none), ``date_published`` (else ``date_modified``) its time, ``language`` (1.1)
its language, else the feed's. Authors, tags and attachments are not read: RSS and
Atom entries do not carry them either.

Hostile JSON is only ever a ``ParseError`` or a warning: nesting past the decoder's
recursion limit and integers of more than 4,300 digits are refused by ``json`` itself;
an item that is not an object is skipped and a field of the wrong type is ignored,
both counted in one warning. Lone surrogates and control characters, which JSON can
escape but SQLite cannot store (nor XML hold), become U+FFFD.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from monitor.errors import ParseError
from monitor.parse import RawEntry, RawFeed, language_code

_VERSION = re.compile(r"https?://jsonfeed\.org/version/")
_UNSTORABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_json_feed(body: bytes) -> RawFeed:
    """Read a JSON Feed. Raises ``ParseError`` for JSON that cannot be read or is no
    JSON Feed, saying which."""
    text = body.decode("utf-8-sig", errors="replace")  # RFC 8259: JSON is UTF-8
    try:
        data = json.loads(text)
    except RecursionError:
        raise ParseError("JSON nested too deeply to read, not a feed") from None
    except ValueError as exc:  # JSONDecodeError, and integers past int_max_str_digits
        raise ParseError(f"not a feed: invalid JSON: {exc}") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not _VERSION.match(version):
        if isinstance(data, dict):
            what = 'an object without a jsonfeed.org "version"'
        else:
            what = f'{_json_type(data)}, not an object with a jsonfeed.org "version"'
        raise ParseError(f"JSON, but not a JSON Feed: {what}")
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError(f"a JSON Feed without an items list (items is {_json_type(items)})")
    fields = _Fields()
    language = language_code(fields.text(data, "language"))
    entries = []
    for number, item in enumerate(items):
        if isinstance(item, dict):
            entries.append(_entry(item, f"items[{number}]", language, fields))
        else:
            fields.skipped += 1
            fields.note(f"items[{number}]: {_json_type(item)}, not an object")
    title, link = fields.text(data, "title"), fields.text(data, "home_page_url")
    return RawFeed(title, language, tuple(entries), fields.warnings(len(items)), link)


def _entry(item: dict[str, Any], at: str, language: str | None, fields: _Fields) -> RawEntry:
    html = fields.text(item, "content_html", at) or ""
    plain = fields.text(item, "content_text", at) or ""
    content, content_is_html = (html, True) if len(html) >= len(plain) else (plain, False)
    summary = fields.text(item, "summary", at)
    when = fields.text(item, "date_published", at) or fields.text(item, "date_modified", at)
    return RawEntry(
        guid=fields.identifier(item, at),
        link=fields.text(item, "url", at) or fields.text(item, "external_url", at),
        title=fields.text(item, "title", at) or "",
        title_is_html=False,
        summary=summary or content,
        summary_is_html=not summary and content_is_html,
        published=_date(when),
        language=language_code(fields.text(item, "language", at)) or language,
        content=content,
        content_is_html=content_is_html,
    )


class _Fields:
    """Reads the fields of JSON Feed objects, counting those of the wrong type."""

    def __init__(self) -> None:
        self.ignored = self.skipped = 0
        self.examples: list[str] = []  # the first two problems, for the warning

    def note(self, problem: str) -> None:
        if len(self.examples) < 2:
            self.examples.append(problem)

    def text(self, obj: dict[str, Any], key: str, at: str = "") -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.ignored += 1
            self.note(f"{at + '.' if at else ''}{key}: {_json_type(value)}, not a string")
            return None
        if _UNSTORABLE.search(value):
            value = _UNSTORABLE.sub("\ufffd", value)
        return value.strip() or None

    def identifier(self, item: dict[str, Any], at: str) -> str | None:
        """Ids are strings; a number "must be coerced" to one, the spec says."""
        value = item.get("id")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return self.text(item, "id", at)

    def warnings(self, items: int) -> tuple[str, ...]:
        parts = [f"{self.skipped} of {items} items skipped"] if self.skipped else []
        if self.ignored:
            noun = "field" if self.ignored == 1 else "fields"
            parts.append(f"{self.ignored} {noun} of the wrong type ignored")
        if not parts:
            return ()
        more = "; ..." if self.skipped + self.ignored > len(self.examples) else ""
        return (f"malformed JSON Feed: {', '.join(parts)} ({'; '.join(self.examples)}{more})",)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), "a number")


def _date(value: str | None) -> datetime | None:
    """RFC 3339, as the spec says; else RFC 822, which feeds moved from RSS often keep."""
    if not value or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):
            return None
    try:
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 or 9999 shifted past the calendar
        return None
