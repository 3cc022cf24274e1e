"""Decide which watches an entry belongs to. Pure: text in, ``Match`` records out.

The term language and text folding are in ``terms``; the boolean ``rule`` in ``rule``.
All literal terms of a watch go into one Aho-Corasick automaton, so an entry's title
and summary are each scanned once, whatever the number of terms; the few ``re:`` terms
run as regular expressions on the same folded text.

    entry -> fold_text(title), fold_text(summary) -> automaton scan -> groups found
          -> exclude? -> rule(groups) -> score >= min_score? -> Match (or a reason why not)
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import ahocorasick

from monitor.records import Entry, Match, NearMiss, TermHit
from monitor.rule import Place, Rule, about_groups, compile_rule, conjuncts, meets
from monitor.terms import SENTENCE_MARK, fold_text, is_regex, term_patterns, term_regex
from monitor.watch import EXCLUDE, WatchSpec  # EXCLUDE: the pseudo-group of exclusion terms


@dataclass(frozen=True)
class Verdict:
    """What a watch made of one entry: the match, or why there is none."""

    match: Match | None
    found: dict[str, list[TermHit]] = field(default_factory=dict)
    reason: str = ""
    near: NearMiss | None = None  # no match, but close: what the near-miss list shows


class _Positions:
    """Word and sentence number of a character offset in a folded, padded text."""

    def __init__(self, padded: str) -> None:
        self.spaces = [m.start() for m in re.finditer(" ", padded)]
        self.marks = [m.start() for m in re.finditer(re.escape(SENTENCE_MARK), padded)]

    def place(self, field_name: str, offset: int) -> Place:
        return Place(field_name, bisect_left(self.spaces, offset), bisect_left(self.marks, offset))


class _Places(Mapping[str, Sequence[Place]]):
    """Group -> where its terms stand, worked out only for the groups a rule asks where
    about (``near``, ``sentence``, ``about`` ...): most entries fail on a group that is
    absent, and then no word is counted at all."""

    def __init__(self, raw: dict[str, list[tuple[str, str, int]]], padded: dict[str, str]):
        self._raw = raw
        self._padded = padded
        self._positions: dict[str, _Positions] = {}
        self._done: dict[str, list[Place]] = {}
        self.meetings: dict[tuple[str, ...], str | None] = {}  # rule.meets

    def __getitem__(self, group: str) -> list[Place]:
        done = self._done.get(group)
        if done is None:
            hits = self._raw[group]  # KeyError for an absent group, as a dict
            done = self._done[group] = [self._place(f, offset) for _t, f, offset in hits]
        return done

    def _place(self, field_name: str, offset: int) -> Place:
        positions = self._positions.get(field_name)
        if positions is None:
            positions = self._positions[field_name] = _Positions(self._padded[field_name])
        return positions.place(field_name, offset)

    def __contains__(self, group: object) -> bool:
        return group in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class CompiledWatch:
    """A watch made ready for scanning: one automaton, a few regexes, a rule."""

    def __init__(self, spec: WatchSpec) -> None:
        self.spec = spec
        self._automaton = ahocorasick.Automaton()
        self._regexes: list[tuple[re.Pattern[str], str, str]] = []
        patterns: dict[str, list[tuple[str, str]]] = {}
        labelled = [(g.name, t) for g in spec.groups for t in g.terms]
        labelled += [(EXCLUDE, t) for t in spec.exclude]
        for group, term in labelled:
            if is_regex(term):
                self._regexes.append((term_regex(term), group, term))
                continue
            for pattern in term_patterns(term):
                patterns.setdefault(pattern, []).append((group, term))
        for pattern, owners in patterns.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(owners)))
        self._has_patterns = bool(patterns)
        if patterns:
            self._automaton.make_automaton()
        groups = [g.name for g in spec.groups]
        self._rule: Rule | None = compile_rule(spec.rule, groups) if spec.rule else None
        self._required = [g.name for g in spec.groups if g.required]
        self._about = about_groups(spec.rule, groups) if spec.rule and "about" in spec.rule else []
        self._parts = conjuncts(spec.rule, groups) if spec.rule else []

    def _scan(
        self, field_name: str, padded: str, out: dict[str, list[tuple[str, str, int]]]
    ) -> None:
        """Every term in one field: (term, field, offset in the padded text) per group."""
        if self._has_patterns:
            for end, (length, owners) in self._automaton.iter(padded):
                start = end - length + 1
                start += padded[start] == " "  # a word-start pattern begins with its space
                for group, term in owners:
                    out.setdefault(group, []).append((term, field_name, start))
        for regex, group, term in self._regexes:
            for found in regex.finditer(padded[1:-1]):  # on the folded text, as written
                out.setdefault(group, []).append((term, field_name, found.start() + 1))

    def verdict(self, title: str, summary: str) -> Verdict:
        """The watch's decision on an entry's folded title and summary (``fold_text``)."""
        spec = self.spec
        raw: dict[str, list[tuple[str, str, int]]] = {}
        padded = {"title": f" {title} ", "summary": f" {summary} "}
        self._scan("title", padded["title"], raw)
        self._scan("summary", padded["summary"], raw)
        found = {
            group: sorted(
                {TermHit(group, term, field_name) for term, field_name, _o in hits},
                key=lambda t: (t.field != "title", t.term),
            )
            for group, hits in raw.items()
        }
        places = _Places(raw, padded)
        if EXCLUDE in found:
            terms = ", ".join(sorted({t.term for t in found[EXCLUDE]}))
            return Verdict(None, found, f"excluded by {terms}")
        if self._rule is not None:
            if not self._rule(places):
                failed = next((text for text, part in self._parts if not part(places)), "")
                reason = "rule not met: " + " ".join((failed or str(spec.rule)).split())
                return Verdict(None, found, reason, self._near(found, places, reason))
        else:
            missing = [g for g in self._required if g not in found]
            if missing:
                reason = "no term of required group " + ", ".join(missing)
                return Verdict(None, found, reason, self._near(found, places, reason))
        score = 0.0
        for group in spec.groups:
            hits = found.get(group.name)
            if hits:
                in_title = any(t.field == "title" for t in hits)
                score += group.weight * (spec.title_weight if in_title else spec.summary_weight)
        score = round(score, 3)
        if score < spec.min_score:
            reason = f"score {score:g} below min_score {spec.min_score:g}"
            return Verdict(None, found, reason, self._near(found, places, reason))
        matched = tuple(t for g in spec.groups for t in found.get(g.name, ()))
        met = None
        if self._about:
            for listed in self._about:
                where = meets(places, listed)
                if where is not None:
                    met = f"{', '.join(listed)} met in {where}"
                    break
        return Verdict(Match(spec.name, score, matched, met), found, "")

    def match(self, title: str, summary: str) -> Match | None:
        return self.verdict(title, summary).match

    def _near(
        self, found: dict[str, list[TermHit]], places: Mapping[str, Sequence[Place]], reason: str
    ) -> NearMiss | None:
        """A near miss: at least one required group found and at most one not found."""
        present = [g for g in self._required if g in found]
        missing = tuple(g for g in self._required if g not in found)
        if not present or len(missing) > 1:
            return None
        if missing:
            why = f"no term of {missing[0]}"
        else:
            # The about() whose groups were all found, but apart: two stories in one.
            apart = [
                listed
                for listed in self._about
                if all(g in places for g in listed) and meets(places, listed) is None
            ]
            met = any(meets(places, listed) is not None for listed in self._about)
            if apart and not met:
                why = f"{', '.join(apart[0])} do not meet in the headline, the lead or a sentence"
            else:
                why = reason
        terms = tuple(t for g in self.spec.groups for t in found.get(g.name, ()))
        return NearMiss(self.spec.name, why, missing, terms)


class Matcher:
    """Every watch, compiled once; ``matches(entry)`` is the stage's whole interface."""

    def __init__(self, specs: Sequence[WatchSpec]) -> None:
        self.watches = [CompiledWatch(spec) for spec in specs]

    def matches(self, entry: Entry) -> tuple[Match, ...]:
        title, summary = fold_text(entry.title), fold_text(entry.summary)
        found = (watch.match(title, summary) for watch in self.watches)
        return tuple(m for m in found if m is not None)

    def judge(self, entry: Entry) -> tuple[tuple[Match, ...], tuple[NearMiss, ...]]:
        """The matches of an entry, and the watches that nearly took it."""
        title, summary = fold_text(entry.title), fold_text(entry.summary)
        verdicts = [watch.verdict(title, summary) for watch in self.watches]
        matches = tuple(v.match for v in verdicts if v.match is not None)
        return matches, tuple(v.near for v in verdicts if v.near is not None)

    def verdicts(self, entry: Entry) -> dict[str, Verdict]:
        """Every watch's verdict with its reasons, for ``eval`` and explanations."""
        title, summary = fold_text(entry.title), fold_text(entry.summary)
        return {w.spec.name: w.verdict(title, summary) for w in self.watches}


class Lexicon:
    """Labelled terms (an entity's names, a figure kind's words) found in folded text,
    with the words they span: one automaton for all, as a watch's groups have."""

    def __init__(self, labelled: Sequence[tuple[str, Sequence[str]]]) -> None:
        self._automaton = ahocorasick.Automaton()
        self._regexes = [
            (term_regex(t), label) for label, ts in labelled for t in ts if is_regex(t)
        ]
        patterns: dict[str, set[str]] = {}
        for label, terms in labelled:
            for term in terms:
                if not is_regex(term):
                    for pattern in term_patterns(term):
                        patterns.setdefault(pattern, set()).add(label)
        for pattern, labels in patterns.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(sorted(labels))))
        self._empty = not patterns
        if patterns:
            self._automaton.make_automaton()

    def find(self, folded: str) -> list[tuple[int, int, str]]:
        """(first word, word after the last, label) of every term found, in text order;
        words are counted as ``folded.split()`` counts them."""
        padded = f" {folded} "
        spaces = [m.start() for m in re.finditer(" ", padded)]
        found: set[tuple[int, int, str]] = set()

        def words(start: int, end: int) -> tuple[int, int]:
            first = bisect_left(spaces, start + 1) - 1
            return first, max(first + 1, bisect_left(spaces, end) - 1 + (padded[end - 1] != " "))

        if not self._empty:
            for end, (length, labels) in self._automaton.iter(padded):
                start = end - length + 1
                start += padded[start] == " "
                first, last = words(start, end + 1)
                found.update((first, last, label) for label in labels)
        for regex, label in self._regexes:
            for hit in regex.finditer(folded):
                first, last = words(hit.start() + 1, hit.end() + 1)
                found.add((first, last, label))
        return sorted(found)
