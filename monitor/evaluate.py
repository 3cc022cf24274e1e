"""Measure a watch on labeled items: precision, recall and F1, overall and per language.

Input is JSON Lines, one object a line with ``id``, ``lang``, ``title``, ``summary``
(HTML allowed, as feeds send it) and ``label`` (1 relevant, 0 not); other keys are
ignored. Each item goes through ``normalize`` and ``match`` exactly as a feed entry
would. Bad lines are reported with their number and skipped, whatever they hold (JSON
nested too deeply for the parser, numbers too long, lone surrogates that could not be
printed). A file that is not UTF-8 is refused as a whole, naming its first bad line:
guessing another encoding would measure garbled text.

    bytes -> decode_lines -> read_items -> evaluate -> text_report / Report.as_dict
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.errors import MonitorError
from monitor.match import Matcher, Verdict
from monitor.normalize import EmptyEntry, normalize_entry
from monitor.parse import RawEntry


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    title: str
    summary: str
    label: int


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: int, predicted: bool) -> None:
        if predicted:
            self.tp, self.fp = self.tp + (label == 1), self.fp + (label == 0)
        else:
            self.fn, self.tn = self.fn + (label == 1), self.tn + (label == 0)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(getattr(self, k), 4) for k in ("precision", "recall", "f1")}


@dataclass
class Report:
    overall: Scores = field(default_factory=Scores)
    by_lang: dict[str, Scores] = field(default_factory=dict)
    false_positives: list[tuple[Item, Verdict]] = field(default_factory=list)
    false_negatives: list[tuple[Item, Verdict]] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)
    items: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.overall.as_dict(),
            "items": self.items,
            "by_lang": {lang: s.as_dict() for lang, s in sorted(self.by_lang.items())},
            "false_positives": [i.id for i, _ in self.false_positives],
            "false_negatives": [i.id for i, _ in self.false_negatives],
            "bad_lines": self.bad_lines,
        }


TEXT_KEYS = ("id", "lang", "title", "summary")


def decode_lines(data: bytes, name: str) -> list[str]:
    """The lines of a UTF-8 file (a byte order mark allowed), split at ``\n`` only.

    ``str.splitlines`` would also split at U+2028 and other separators that JSON
    strings may hold raw, and so would break good lines and shift the line numbers.
    """
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise MonitorError(
            f"{name}: line {line} is not UTF-8 text", hint="save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").split("\n")


def read_items(lines: Iterable[str], problems: list[str]) -> list[Item]:
    """Parse JSONL; every bad line becomes ``line N: what is wrong`` in ``problems``."""
    items: list[Item] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = parse_item(line)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        items.append(item)
    return items


def parse_item(line: str) -> Item:
    """One line as an ``Item``; ``ValueError`` says what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    except RecursionError:  # "[[[[..." deeper than the parser's recursion limit
        raise ValueError("not JSON: nested too deeply") from None
    except ValueError as exc:  # a number of more than 4300 digits, among others
        raise ValueError(f"not JSON: {str(exc).split(':')[0]}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    missing = [k for k in (*TEXT_KEYS, "label") if k not in data]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    label = data["label"]
    if isinstance(label, bool) or label not in (0, 1):
        raise ValueError(f"label must be 0 or 1, got {label!r}")
    if not all(isinstance(data[k], str) for k in TEXT_KEYS):
        raise ValueError("id, lang, title and summary must be strings")
    for key in TEXT_KEYS:
        try:
            data[key].encode("utf-8")
        except UnicodeEncodeError:  # "\ud800" is valid JSON but no character
            raise ValueError(f"not text: a lone surrogate in {key}") from None
    return Item(data["id"], data["lang"], data["title"], data["summary"], int(label))


def evaluate(items: list[Item], matcher: Matcher, watch: str, problems: list[str]) -> Report:
    report = Report(bad_lines=problems)
    for item in items:
        raw = RawEntry(None, None, item.title, True, item.summary, True, None, item.lang)
        try:
            entry = normalize_entry(raw)
        except EmptyEntry:
            problems.append(f"item {item.id}: neither title nor summary")
            continue
        verdict = matcher.verdicts(entry)[watch]
        predicted = verdict.match is not None
        report.items += 1
        report.overall.add(item.label, predicted)
        report.by_lang.setdefault(item.lang, Scores()).add(item.label, predicted)
        if predicted and not item.label:
            report.false_positives.append((item, verdict))
        elif item.label and not predicted:
            report.false_negatives.append((item, verdict))
    return report


def explain(verdict: Verdict) -> str:
    """One line: the groups found with their terms, and the reason for a miss."""
    groups = "; ".join(
        f"{g}: {', '.join(sorted({t.term for t in hits}))}" for g, hits in verdict.found.items()
    )
    if verdict.match is not None:
        reason = f"hit, score {verdict.match.score:g}"
    else:
        reason = verdict.reason or "no hit"
    return f"{reason} [{groups or 'no terms found'}]"


def text_report(report: Report) -> str:
    o = report.overall
    lines = [
        f"{report.items} items: precision {o.precision:.3f}, recall {o.recall:.3f}, f1 {o.f1:.3f}"
        f" (tp {o.tp}, fp {o.fp}, fn {o.fn}, tn {o.tn})",
        "",
        "lang  items  precision  recall  f1",
    ]
    for lang, s in sorted(report.by_lang.items()):
        count = s.tp + s.fp + s.fn + s.tn
        lines.append(f"{lang:<5} {count:>5}  {s.precision:>9.3f}  {s.recall:>6.3f}  {s.f1:.3f}")
    for title, cases in (
        ("False positives", report.false_positives),
        ("False negatives", report.false_negatives),
    ):
        lines += ["", f"{title} ({len(cases)}):"]
        for item, verdict in cases:
            lines.append(f"  {item.id} [{item.lang}] {item.title}")
            lines.append(f"      {explain(verdict)}")
    if report.bad_lines:
        lines += ["", *skipped(report.bad_lines)]
    return "\n".join(lines)


def skipped(problems: list[str]) -> list[str]:
    """The report's list of bad lines and items, also shown when nothing was measured."""
    return [f"Skipped ({len(problems)}):", *[f"  {p}" for p in problems]]
