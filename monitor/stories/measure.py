"""Measure stories and figures on labeled entries: ``monitor eval --stories FILE``.

Each JSON line is an entry with ``id``, ``lang``, ``published`` (ISO 8601), ``title``,
``summary``, ``story`` (the story id, or null when it is not about the topic) and
``figures`` (``kind``, ``value``, ``source`` ...). The entries go through normalize,
match, figures and story decisions in order of publication, as a poll would send them:

    grouping  pairwise precision and recall over the topic entries that became hits
              (a pair is right when both are in one story in the labels and here)
    figures   precision and recall of (kind, value) per entry, and the share of the
              figures found with the right source
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.match import Matcher
from monitor.normalize import EmptyEntry, normalize_entry
from monitor.parse import RawEntry
from monitor.stories.article import Describer
from monitor.stories.cluster import Story, decide
from monitor.watch import WatchSpec


@dataclass(frozen=True)
class Labeled:
    id: str
    lang: str
    published: datetime
    title: str
    summary: str
    story: str | None
    figures: frozenset[tuple[str, int]]
    sources: dict[tuple[str, int], str | None]


@dataclass
class StoryReport:
    entries: int = 0
    hits: int = 0
    stories: int = 0
    labeled_stories: int = 0
    pairs: dict[str, int] = field(default_factory=lambda: {"tp": 0, "fp": 0, "fn": 0})
    figures: dict[str, int] = field(default_factory=lambda: {"tp": 0, "fp": 0, "fn": 0})
    sourced: int = 0
    merged: list[tuple[str, str]] = field(default_factory=list)  # wrongly joined (ids)
    bad_lines: list[str] = field(default_factory=list)

    @staticmethod
    def _pr(counts: dict[str, int]) -> tuple[float, float]:
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)

    def as_dict(self) -> dict[str, Any]:
        (gp, gr), (fp_, fr) = self._pr(self.pairs), self._pr(self.figures)
        return {
            "entries": self.entries,
            "hits": self.hits,
            "stories": self.stories,
            "labeled_stories": self.labeled_stories,
            "grouping": {"precision": round(gp, 3), "recall": round(gr, 3), **self.pairs},
            "figures": {"precision": round(fp_, 3), "recall": round(fr, 3), **self.figures},
            "source_accuracy": round(self.sourced / self.figures["tp"], 3)
            if self.figures["tp"]
            else None,
        }


def read_labeled(lines: Iterable[str], problems: list[str]) -> list[Labeled]:
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            figures = data.get("figures") or []
            items.append(
                Labeled(
                    id=str(data["id"]),
                    lang=str(data["lang"]),
                    published=datetime.fromisoformat(data["published"]),
                    title=str(data["title"]),
                    summary=str(data["summary"]),
                    story=data.get("story"),
                    figures=frozenset((f["kind"], int(f["value"])) for f in figures),
                    sources={(f["kind"], int(f["value"])): f.get("source") for f in figures},
                )
            )
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            problems.append(f"line {number}: {type(exc).__name__}: {str(exc)[:80]}")
    return items


def measure(items: list[Labeled], watch: WatchSpec, problems: list[str]) -> StoryReport:
    report = StoryReport(entries=len(items), bad_lines=problems)
    matcher = Matcher([watch])
    describer = Describer(watch.stories, watch.figures)
    window = watch.stories.window if watch.stories else None
    stories: list[Story] = []
    placed: dict[str, int] = {}
    for item in sorted(items, key=lambda i: i.published):
        raw = RawEntry(None, None, item.title, True, item.summary, True, None, item.lang)
        try:
            entry = normalize_entry(raw)
        except EmptyEntry:
            continue
        if not matcher.matches(entry):
            continue
        report.hits += 1
        described = describer.describe(entry.title, entry.summary, "", item.lang, item.published)
        if item.story is not None:
            found = {(f.kind, f.value): f.source for f in described.figures}
            right = item.figures & set(found)
            report.figures["tp"] += len(right)
            report.figures["fp"] += len(set(found) - item.figures)
            report.figures["fn"] += len(item.figures - set(found))
            report.sourced += sum(found[k] == item.sources.get(k) for k in right)
        if window is None:
            continue
        decision = decide(described.article, stories, window, described.cited)
        if decision.story is None:
            stories.append(Story(len(stories), item.published, item.published))
            story = stories[-1]
        else:
            story = stories[decision.story]
        story.add(described.article, described.reported)
        placed[item.id] = story.id
    report.stories = len(stories)
    topic = [i for i in items if i.story is not None and i.id in placed]
    report.labeled_stories = len({i.story for i in topic})
    for a, b in itertools.combinations(topic, 2):
        same, together = a.story == b.story, placed[a.id] == placed[b.id]
        if same and together:
            report.pairs["tp"] += 1
        elif together:
            report.pairs["fp"] += 1
            report.merged.append((a.id, b.id))
        elif same:
            report.pairs["fn"] += 1
    return report


def text_report(report: StoryReport, watch: str) -> str:
    d = report.as_dict()
    g, f = d["grouping"], d["figures"]
    lines = [
        f"watch {watch}: {d['entries']} entries, {d['hits']} hits, {d['stories']} stories"
        f" ({d['labeled_stories']} in the labels among the topic hits)",
        f"grouping (pairs): precision {g['precision']:.3f}  recall {g['recall']:.3f}"
        f"  (right {g['tp']}, wrongly joined {g['fp']}, wrongly apart {g['fn']})",
        f"figures (kind, value): precision {f['precision']:.3f}  recall {f['recall']:.3f}"
        f"  (right {f['tp']}, wrong {f['fp']}, missed {f['fn']})",
    ]
    if d["source_accuracy"] is not None:
        lines.append(f"figures with the right source: {d['source_accuracy']:.3f}")
    if report.merged:
        lines.append("wrongly joined: " + ", ".join(f"{a}+{b}" for a, b in report.merged[:20]))
    return "\n".join(lines)
