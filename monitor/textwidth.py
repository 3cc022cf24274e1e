"""How wide text stands on a terminal, and how to cut it to fit. The only module that
imports wcwidth.

A terminal gives an East Asian wide character (Hangul, kanji, kana) two columns, a
combining mark none, and most emoji two, so ``len`` is the wrong measure for a table of
Korean and German headlines: a 20-character Korean title is 40 columns wide. Everything
here counts columns as wcwidth does, one grapheme (what a reader sees as one character:
``é`` written as e + accent, a family emoji joined by ZWJ) at a time:

    text              columns
    Kursk             5
    북한군            6
    北朝鮮兵          8
    cafe + U+0301     4
    🚀                2

``clipped`` cuts at a grapheme's edge, never through one, and marks the cut with ``…``;
``shares`` decides how many columns each column of a table may have in a given width.
"""

from __future__ import annotations

import re
import shutil
import sys
from typing import TextIO

from wcwidth import clip, width

ELLIPSIS = "…"
# Control characters (a tab, a line break, an escape that would start a terminal
# sequence) have no place in a table cell: each run of them, or of spaces, is one space.
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


def one_line(text: str) -> str:
    """``text`` as one line of printable characters, each run of blanks one space."""
    return _BLANKS.sub(" ", text).strip()


def columns(text: str) -> int:
    """How many terminal columns ``text`` (one line, no control characters) takes."""
    return int(width(text, control_codes="ignore"))


def clipped(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` columns: as it is when it fits, else cut at a
    grapheme's edge with ``…`` at the end (a wide character that would straddle the
    edge is left out whole)."""
    if columns(text) <= limit:
        return text
    if limit < 1:
        return ""
    head = clip(text, 0, limit - 1, control_codes="ignore")
    return head.rstrip() + ELLIPSIS


def shares(natural: list[int], weights: dict[int, int], room: int, least: list[int]) -> list[int]:
    """How many columns each column of a table may take so that together they fit ``room``.

    ``natural`` is what each column needs. A column not in ``weights`` keeps its width;
    the others share what is left in proportion to their weight, each never more than it
    needs (what one does not need goes to the others) and never less than its ``least``
    (or its need, if smaller): below that a table is let be wider than ``room``.
    """
    given = list(natural)
    left = room - sum(w for i, w in enumerate(natural) if i not in weights)
    pending = dict(weights)
    while pending:
        total = sum(pending.values())
        fits = [i for i, weight in pending.items() if natural[i] * total <= left * weight]
        if not fits:
            for i, weight in pending.items():
                given[i] = max(min(least[i], natural[i]), left * weight // total)
            break
        for i in fits:
            left -= natural[i]
            del pending[i]
    return given


def terminal_width(stream: TextIO | None = None) -> int | None:
    """The width of the terminal ``stream`` (standard output) shows on; None when it goes
    to a pipe or a file, where no width applies."""
    stream = stream or sys.stdout
    try:
        if not stream.isatty():
            return None
    except ValueError:  # closed
        return None
    return shutil.get_terminal_size().columns
