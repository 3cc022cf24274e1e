"""Learn from triage: how a watch does on the reader's own marks, and what to change.

Pure: ``Label`` records in (``Store.labelled``'s rows, through ``labels_from_rows``), a
``MarksReport`` and ``Suggestions`` out; the CLI (``cli_learn``) reads and prints them.
Every label is judged again by the watch as it is now, so a report after an edit of the
watch file shows what the edit did, before any rescan.

    Store.labelled -> labels_from_rows -> judge (match.CompiledWatch.verdict, now)
                   -> marks_report: scores, groups, terms, mistakes
                   -> suggest: words to add, terms to narrow, words to exclude

Proposals are for a person to accept by editing the watch: nothing here changes one.
Words are those of the folded text (``terms.fold_text``) split on spaces; a word or a
two-word phrase is a candidate when it is no number, not too short, not a function word,
and no term of the watch finds it, alone or where it stands in the entry.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from monitor.evaluate import Scores, explain
from monitor.match import CompiledWatch, Lexicon, Matcher, Verdict
from monitor.terms import SENTENCE_MARK, fold, fold_text, term_problem, title_words
from monitor.watch import EXCLUDE, WatchSpec

# Hangul, kana and CJK: two characters already make a word (북한, 파병, 兵士); in other
# scripts fewer than three are mostly particles, initials and stray letters.
_DENSE = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]")
# A watch term fires in "far fewer" relevant entries when they are at most a quarter of
# the irrelevant ones it takes: narrowing it then costs less than it saves.
FAR_FEWER = 4
NO_LANGUAGE = "unknown"


@dataclass(frozen=True)
class Label:
    """One mark of the reader (``Store.labelled``): a hit marked relevant or irrelevant,
    or a flagged near miss (``origin = 'flagged'``, relevant by definition)."""

    hit_id: int
    label: int  # 1 relevant or flagged, 0 irrelevant
    title: str
    summary: str
    language: str | None = None
    origin: str = "match"


def labels_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Label]:
    return [
        Label(
            int(row["hit_id"]),
            int(row["label"]),
            str(row.get("title") or ""),
            str(row.get("summary") or ""),
            row.get("language"),
            str(row.get("origin") or "match"),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Judged:
    """A label with what the watch makes of it now, and its folded fields."""

    label: Label
    verdict: Verdict
    fields: tuple[str, str]  # fold_text of the title and of the summary

    @property
    def matched(self) -> bool:
        return self.verdict.match is not None


def judge(spec: WatchSpec, matcher: Matcher, labels: Sequence[Label]) -> list[Judged]:
    watch = _compiled(spec, matcher)
    judged = []
    for label in labels:
        fields = (fold_text(label.title), fold_text(label.summary))
        judged.append(Judged(label, watch.verdict(*fields), fields))
    return judged


@dataclass(frozen=True)
class GroupCount:
    group: str
    relevant: int  # labelled relevant entries it has a term in
    irrelevant: int


@dataclass(frozen=True)
class TermCount:
    group: str
    term: str
    relevant: tuple[int, ...]  # hit ids of the relevant entries it fires in
    irrelevant: tuple[int, ...]


@dataclass(frozen=True)
class Mistake:
    hit_id: int
    kind: str  # "false positive" (marked irrelevant, matches) or "false negative"
    title: str
    language: str
    origin: str
    why: str  # evaluate.explain: the reason and the groups found


@dataclass
class MarksReport:
    """The watch as it is now, measured on the reader's marks."""

    watch: str
    overall: Scores = field(default_factory=Scores)
    by_lang: dict[str, Scores] = field(default_factory=dict)
    groups: list[GroupCount] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)  # groups found in no labelled entry
    terms: list[TermCount] = field(default_factory=list)  # those firing in irrelevant ones
    mistakes: list[Mistake] = field(default_factory=list)
    labels: int = 0
    relevant: int = 0
    flagged: int = 0

    def as_dict(self) -> dict[str, Any]:
        o = self.overall
        return {
            "watch": self.watch,
            **o.as_dict(),
            **{k: getattr(o, k) for k in ("tp", "fp", "fn", "tn")},
            "labels": self.labels,
            "relevant": self.relevant,
            "irrelevant": self.labels - self.relevant,
            "flagged": self.flagged,
            "by_lang": {lang: s.as_dict() for lang, s in sorted(self.by_lang.items())},
            "groups": [g.__dict__ for g in self.groups],
            "silent_groups": self.silent,
            "terms": [
                {
                    "group": t.group,
                    "term": t.term,
                    "relevant": len(t.relevant),
                    "irrelevant": len(t.irrelevant),
                    "relevant_hits": list(t.relevant),
                    "irrelevant_hits": list(t.irrelevant),
                }
                for t in self.terms
            ],
            "false_positives": [m.hit_id for m in self.mistakes if m.kind == "false positive"],
            "false_negatives": [m.hit_id for m in self.mistakes if m.kind == "false negative"],
            "mistakes": [m.__dict__ for m in self.mistakes],
        }


def marks_report(spec: WatchSpec, matcher: Matcher, labels: Sequence[Label]) -> MarksReport:
    """Precision, recall and F1 on the marks (a flagged miss the watch still misses is a
    false negative), per language; where each group and term fires; every mistake."""
    report = MarksReport(spec.name)
    in_groups: dict[str, Counter[int]] = {g.name: Counter() for g in spec.groups}
    in_terms: dict[tuple[str, str], tuple[list[int], list[int]]] = {}  # relevant, irrelevant
    for one in judge(spec, matcher, labels):
        label, verdict = one.label, one.verdict
        lang = label.language or NO_LANGUAGE
        report.labels += 1
        report.relevant += label.label
        report.flagged += label.origin == "flagged"
        report.overall.add(label.label, one.matched)
        report.by_lang.setdefault(lang, Scores()).add(label.label, one.matched)
        for group, hits in verdict.found.items():
            if group == EXCLUDE:
                continue
            in_groups[group][label.label] += 1
            for term in sorted({t.term for t in hits}):
                in_terms.setdefault((group, term), ([], []))[1 - label.label].append(label.hit_id)
        if one.matched != bool(label.label):
            kind = "false positive" if one.matched else "false negative"
            why = explain(verdict)
            report.mistakes.append(
                Mistake(label.hit_id, kind, label.title, lang, label.origin, why)
            )
    report.mistakes.sort(key=lambda m: m.hit_id)
    report.groups = [GroupCount(g, c[1], c[0]) for g, c in in_groups.items()]
    report.silent = [g.group for g in report.groups if not g.relevant + g.irrelevant]
    report.terms = sorted(
        (
            TermCount(g, t, tuple(sorted(r)), tuple(sorted(i)))
            for (g, t), (r, i) in in_terms.items()
            if i
        ),
        key=lambda t: (-len(t.irrelevant), t.term, t.group),
    )
    return report


@dataclass(frozen=True)
class Suggestion:
    """One proposal, with the marked entries behind it (``support`` of them)."""

    kind: str  # "add" a word to a group, "narrow" a term, "exclude" a word
    text: str  # the word or phrase as a term; for "narrow", the watch's term
    group: str | None  # add: the group it would join; narrow: the term's group
    support: int
    hit_ids: tuple[int, ...]
    titles: tuple[str, ...]
    missing: tuple[tuple[str, int], ...] = ()  # add: required groups lacking, in how many
    against: tuple[int, ...] = ()  # narrow: relevant entries the term fires in too


@dataclass(frozen=True)
class Suggestions:
    watch: str
    labels: int
    add: tuple[Suggestion, ...] = ()
    narrow: tuple[Suggestion, ...] = ()
    exclude: tuple[Suggestion, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        def one(s: Suggestion) -> dict[str, Any]:
            shown: dict[str, Any] = {"text": s.text, "group": s.group, "support": s.support}
            shown |= {"hit_ids": list(s.hit_ids), "titles": list(s.titles)}
            if s.kind == "add":
                shown["missing"] = dict(s.missing)
            if s.kind == "narrow":
                shown["relevant_hits"] = list(s.against)
            return shown

        lists = {k: [one(s) for s in getattr(self, k)] for k in ("add", "narrow", "exclude")}
        return {"watch": self.watch, "labels": self.labels, **lists}


def suggest(
    spec: WatchSpec, matcher: Matcher, labels: Sequence[Label], min_support: int = 2
) -> Suggestions:
    """What the marks propose, each backed by at least ``min_support`` entries:

    - add: words and phrases of relevant entries the watch misses (flagged misses,
      relevant hits that no longer match) that no term finds and no irrelevant entry
      holds, with the required group missing from most of those entries;
    - narrow: terms of the watch firing in irrelevant entries it takes, and in no or
      far fewer relevant ones;
    - exclude: words of irrelevant entries the watch takes that no relevant one holds.

    Only irrelevant entries the watch still takes count for narrow and exclude, so a
    proposal accepted and rescanned is not proposed again. Ranked by support, then text.
    """
    judged = judge(spec, matcher, labels)
    watch = _compiled(spec, matcher)
    words = Lexicon([("term", [t for g in spec.groups for t in g.terms] + list(spec.exclude))])
    missed = [j for j in judged if j.label.label and not j.matched]
    taken_wrongly = [j for j in judged if not j.label.label and j.matched]
    relevant = [j for j in judged if j.label.label]
    irrelevant = [j for j in judged if not j.label.label]
    required = [g.name for g in spec.groups if g.required]

    add = []
    for text, behind in _candidates(missed, irrelevant, words, watch, min_support):
        lacking = Counter(g for j in behind for g in required if g not in j.verdict.found)
        missing = tuple(sorted(lacking.items(), key=lambda kv: (-kv[1], required.index(kv[0]))))
        group = missing[0][0] if missing else None
        add.append(_suggestion("add", text, group, behind, missing=missing))

    narrow = []
    fired: dict[tuple[str, str], tuple[list[Judged], list[int]]] = {}
    for j in taken_wrongly:
        for group, term in _terms_found(j.verdict):
            fired.setdefault((group, term), ([], []))[0].append(j)
    for j in relevant:
        for key in _terms_found(j.verdict):
            if key in fired:
                fired[key][1].append(j.label.hit_id)
    for (group, term), (behind, against) in fired.items():
        if len(behind) >= min_support and len(against) * FAR_FEWER <= len(behind):
            narrow.append(_suggestion("narrow", term, group, behind, against=tuple(against)))

    exclude = [
        _suggestion("exclude", text, None, behind)
        for text, behind in _candidates(taken_wrongly, relevant, words, watch, min_support)
    ]
    return Suggestions(spec.name, len(judged), *(_ranked(s) for s in (add, narrow, exclude)))


def _candidates(
    source: Sequence[Judged],
    others: Sequence[Judged],
    words: Lexicon,
    watch: CompiledWatch,
    min_support: int,
) -> list[tuple[str, list[Judged]]]:
    """The words and phrases of ``source`` entries (each with the entries it stands in)
    in at least ``min_support`` of them and in none of ``others``; a phrase only when
    neither of its words would do alone."""
    behind: dict[str, list[Judged]] = defaultdict(list)
    for j in source:
        texts: set[str] = set()
        for folded in j.fields:
            texts |= _field_candidates(folded, words)
        for text in sorted(texts):
            behind[text].append(j)
    found_alone: dict[str, bool] = {}

    def usable(text: str) -> bool:
        if text not in found_alone:
            found_alone[text] = bool(watch.verdict(text, "").found)
        return not found_alone[text] and fold(text) == text and term_problem(text) is None

    chosen = {t: js for t, js in behind.items() if len(js) >= min_support and usable(t)}
    if chosen:
        seen = _held(others, list(chosen))
        chosen = {t: js for t, js in chosen.items() if t not in seen}
    return sorted(
        (t, js) for t, js in chosen.items() if " " not in t or not set(t.split()) & set(chosen)
    )


def _field_candidates(folded: str, words: Lexicon) -> set[str]:
    """The words of a field that no term of the watch (``words``) stands on, and pairs."""
    tokens = folded.split()
    covered = {i for first, last, _ in words.find(folded) for i in range(first, last)}
    good = [i not in covered and _is_word(w) for i, w in enumerate(tokens)]
    found = {w for w, ok in zip(tokens, good, strict=True) if ok}
    found |= {
        f"{tokens[i]} {tokens[i + 1]}" for i in range(len(tokens) - 1) if good[i] and good[i + 1]
    }
    return found


def _is_word(token: str) -> bool:
    """Worth proposing: no sentence mark, no digit, long enough, no function word."""
    if token == SENTENCE_MARK or any(c.isdigit() for c in token):
        return False
    if len(token) < (2 if _DENSE.search(token) else 3):
        return False
    return bool(title_words(token))  # empty for the function words it drops ("the", "und")


def _held(entries: Sequence[Judged], texts: Sequence[str]) -> set[str]:
    """The texts that stand in any of ``entries``: as words or adjacent words of a field,
    or found there by the term the text would become (a Hangul word with a particle)."""
    lexicon = Lexicon([(t, (t,)) for t in texts])
    held: set[str] = set()
    wanted = set(texts)
    for j in entries:
        for folded in j.fields:
            tokens = folded.split()
            held |= wanted & set(tokens)
            held |= wanted & {f"{a} {b}" for a, b in pairwise(tokens)}
            held |= {label for _first, _last, label in lexicon.find(folded)}
    return held


def _terms_found(verdict: Verdict) -> list[tuple[str, str]]:
    return sorted({(g, t.term) for g, hits in verdict.found.items() if g != EXCLUDE for t in hits})


def _suggestion(
    kind: str,
    text: str,
    group: str | None,
    behind: Sequence[Judged],
    *,
    missing: tuple[tuple[str, int], ...] = (),
    against: tuple[int, ...] = (),
) -> Suggestion:
    ordered = sorted({j.label.hit_id: j.label.title for j in behind}.items())
    return Suggestion(
        kind,
        text,
        group,
        len(ordered),
        tuple(i for i, _ in ordered),
        tuple(t for _, t in ordered),
        missing,
        tuple(sorted(against)),
    )


def _ranked(found: list[Suggestion]) -> tuple[Suggestion, ...]:
    return tuple(sorted(found, key=lambda s: (-s.support, s.text, s.group or "")))


def _compiled(spec: WatchSpec, matcher: Matcher) -> CompiledWatch:
    """The matcher's compiled form of ``spec``, or a new one if it has none."""
    for watch in matcher.watches:
        if watch.spec == spec:
            return watch
    return CompiledWatch(spec)
