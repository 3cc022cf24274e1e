"""Byte-level repairs and cuts of a feed body: pure functions on bytes, no parsing.

    body | strip_doctype | repair_utf8 | repair_char_refs        -> feedparser (``parse``)
    body | entry_spans, entry_envelope -> each entry alone        -> feedparser (recovery)

``parse`` runs them, and says why each is needed. Every pattern here runs in linear
time on hostile input.
"""

from __future__ import annotations

import re

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
# Namespace declarations rarely pass 2 KB; past this an envelope is hostile, and
# repeating it for every entry would make recovery cost more than the body is long.
_MAX_ENVELOPE = 16_384


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


def entry_envelope(head: bytes) -> tuple[bytes, bytes] | None:
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
