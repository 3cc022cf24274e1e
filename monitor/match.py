"""Decide which watches an entry belongs to. Pure: text in, ``Match`` records out.

Both the text and every term are *folded* the same way first (``fold``): NFKC, case
folded, German umlauts and ß spelled out (Pjöngjang = Pjoengjang), soft hyphens and
zero-width characters dropped, and every run of non-letters turned into one space.
After folding, each kind of term is a plain string with spaces marking word edges,
so all literal terms of a watch go into one Aho-Corasick automaton and an entry is
scanned once, whatever the number of terms:

    term            written       searched in " <folded text> "   finds
    whole word      kursk         " kursk "                        Kursk, KURSK
    prefix          nordkorea*    " nordkorea"                     Nordkoreas, nordkoreanische
    suffix          *truppen      "truppen "                       Kampftruppen
    infix           *truppen*     "truppen"                        Truppenentsendung
    phrase          kim jong un   " kim jong un "                  Kim Jong-un
    Hangul          북한군         " 북한군"  (prefix by default)     북한군이, 북한군을
    regex           re:\\d+ ?000   the regex, on the folded text   3 000, 3000

Hangul terms are prefixes unless written otherwise, since Korean particles attach to
the end of a word (북한군이, 러시아에, 파병을).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import ahocorasick

from monitor.records import Entry, Match, TermHit
from monitor.watch import WatchSpec

_DROP = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPELL_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NON_WORD = re.compile(r"[\W_]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

EXCLUDE = -1  # group index of exclusion terms


def fold(text: str) -> str:
    """The matching form of a text: see the module docstring."""
    text = unicodedata.normalize("NFKC", text.translate(_DROP)).casefold().translate(_SPELL_OUT)
    return _NON_WORD.sub(" ", text).strip()


def term_pattern(term: str) -> str:
    """The string searched for in ``" " + fold(text) + " "`` for a literal term."""
    body = fold(term.strip("* "))
    starts_open = term.lstrip().startswith("*")
    ends_open = term.rstrip().endswith("*") or (
        not starts_open and bool(_HANGUL.search(body[-1:])) and not term.rstrip().endswith("*")
    )
    return ("" if starts_open else " ") + body + ("" if ends_open else " ")


@dataclass(frozen=True)
class _Term:
    group: int
    term: str


class CompiledWatch:
    """A watch made ready for scanning: one automaton, a few regexes."""

    def __init__(self, spec: WatchSpec) -> None:
        self.spec = spec
        self._automaton = ahocorasick.Automaton()
        self._regexes: list[tuple[re.Pattern[str], _Term]] = []
        patterns: dict[str, list[_Term]] = {}
        labelled = [(i, t) for i, g in enumerate(spec.groups) for t in g.terms]
        labelled += [(EXCLUDE, t) for t in spec.exclude]
        for group, term in labelled:
            if term.startswith("re:"):
                self._regexes.append((re.compile(term[3:]), _Term(group, term)))
            else:
                patterns.setdefault(term_pattern(term), []).append(_Term(group, term))
        for pattern, terms in patterns.items():
            self._automaton.add_word(pattern, tuple(terms))
        if patterns:
            self._automaton.make_automaton()
        self._has_patterns = bool(patterns)

    def scan(self, folded: str) -> set[_Term]:
        """Every term found in an already folded text."""
        found: set[_Term] = set()
        if self._has_patterns:
            for _end, terms in self._automaton.iter(f" {folded} "):
                found.update(terms)
        for regex, term in self._regexes:
            if regex.search(folded):
                found.add(term)
        return found

    def match(self, title: str, summary: str) -> Match | None:
        """The watch's verdict on one entry's folded title and summary."""
        spec = self.spec
        in_title = self.scan(title)
        in_summary = self.scan(summary)
        if any(t.group == EXCLUDE for t in in_title | in_summary):
            return None
        hits: list[TermHit] = []
        score = 0.0
        for index, group in enumerate(spec.groups):
            title_terms = [t.term for t in in_title if t.group == index]
            summary_terms = [t.term for t in in_summary if t.group == index]
            if not title_terms and not summary_terms:
                if group.required:
                    return None
                continue
            weight = spec.title_weight if title_terms else spec.summary_weight
            score += group.weight * weight
            hits += [TermHit(group.name, t, "title") for t in sorted(title_terms)]
            hits += [TermHit(group.name, t, "summary") for t in sorted(summary_terms)]
        if score < spec.min_score:
            return None
        return Match(spec.name, round(score, 3), tuple(hits))


class Matcher:
    """Every watch, compiled once; ``matches(entry)`` is the stage's whole interface."""

    def __init__(self, specs: list[WatchSpec] | tuple[WatchSpec, ...]) -> None:
        self.watches = [CompiledWatch(spec) for spec in specs]

    def matches(self, entry: Entry) -> tuple[Match, ...]:
        title, summary = fold(entry.title), fold(entry.summary)
        found = (watch.match(title, summary) for watch in self.watches)
        return tuple(m for m in found if m is not None)


_WORD = re.compile(r"[^\W_]+")


def highlight_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where in the original ``text`` the given terms stand, as (start, end) pairs.

    Each run of 1..n consecutive words is folded and tested the way ``scan`` tests the
    whole text, so the spans cover what a reader sees ("Nordkoreas", "북한군이").
    """
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    for term in terms:
        if term.startswith("re:"):
            regex = re.compile(term[3:], re.IGNORECASE)
            spans += [(m.start(), m.end()) for m in regex.finditer(text) if m.end() > m.start()]
            continue
        pattern = term_pattern(term)
        size = len(pattern.split())
        for i in range(len(words) - size + 1):
            window = words[i : i + size]
            if pattern in " " + " ".join(w[2] for w in window) + " ":
                spans.append((window[0][0], window[-1][1]))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
