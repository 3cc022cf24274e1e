"""Place a new hit in its story, inside the transaction that stores the hit.

    hit -> Describer (figures, Article) -> open stories of the watch (one indexed query)
        -> cluster.decide -> stories row (new or updated), hits.story_id, figures rows
        -> Placement: the story, and whether the hit brought news (a new story or a new
           figure), which decides the alert

``store`` calls ``StoryKeeper.place`` with its connection, in its write transaction, so
a hit, its story, its figures and its alert are written together or not at all. The
story's decision state (figures, sources, entities, recent wording) is kept as JSON on
its row, so a placement reads only the stories still open, never all there are.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.records import Entry, Figure
from monitor.stories.article import Describer
from monitor.stories.cluster import Story, decide
from monitor.watch import WatchSpec


@dataclass(frozen=True)
class Placement:
    """Where a hit went, and what it told that was new."""

    story_id: int
    new_story: bool
    new_figures: tuple[Figure, ...]
    reasons: tuple[str, ...]

    @property
    def news(self) -> bool:
        """Worth an email of its own: a new story, or a figure the story did not have."""
        return self.new_story or bool(self.new_figures)

    @property
    def reason(self) -> str:
        """Why it is mailed: the alert's ``reason``."""
        if self.new_story:
            return "new story"
        return "new figure" if self.new_figures else "article"


FOLLOW_BACK = timedelta(days=120)  # how far back a new story looks for the one it follows


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


class StoryKeeper:
    """The story stage for every watch with a ``[stories]`` table."""

    def __init__(self, watches: Sequence[WatchSpec]) -> None:
        self.specs = {w.name: w for w in watches if w.stories is not None}
        self.describers = {name: Describer(w.stories, w.figures) for name, w in self.specs.items()}

    def handles(self, watch: str) -> bool:
        return watch in self.specs

    def place(
        self,
        conn: sqlite3.Connection,
        hit_id: int,
        watch: str,
        entry: Entry,
        outlet: str,
        now: datetime,
    ) -> Placement:
        spec = self.specs[watch].stories
        assert spec is not None
        # A hit counts from its publication time (a feed's own clock), but never from the
        # future, and an entry dated long ago that we just found is placed where it was.
        when = min(entry.published or now, now)
        described = self.describers[watch].describe(
            entry.title, entry.summary, entry.content, entry.language, when
        )
        article = described.article
        stories = self._open(conn, watch, when, spec.window)
        decision = decide(article, stories, spec.window, described.cited)
        if decision.story is None:
            story = Story(0, when, when)
            before: set[tuple[str, str | None, int]] = set()
        else:
            story = next(s for s in stories if s.id == decision.story)
            before = {(k, src, v) for (k, src), values in story.reported.items() for v in values}
            before |= {(k, None, v) for k, v in story.figures}
        earliest = decision.story is None or when < story.first_seen
        kinds_before = {k for k, _v in story.figures}
        new_figures = tuple(
            f
            for f in described.figures
            if f.kind not in kinds_before
            or ((f.kind, f.source, f.value) not in before and f.source is not None)
        )
        story.add(article, described.reported)
        story_id = self._save(conn, story, watch, entry, outlet, decision.story is None, now)
        if decision.story is None and described.reported:
            earlier = self._predecessor(conn, watch, when, spec.window, described.reported)
            if earlier is not None:
                conn.execute("UPDATE stories SET follows = ? WHERE id = ?", [earlier, story_id])
        if earliest and decision.story is not None:  # the headline of its first report
            conn.execute(
                "UPDATE stories SET title = ? WHERE id = ?",
                [entry.title or entry.summary[:200], story_id],
            )
        reasons = decision.reasons if decision.story is not None else ("a new story",)
        conn.execute(
            "UPDATE hits SET story_id = ?, story_reasons = ? WHERE id = ?",
            [story_id, json.dumps(list(reasons), ensure_ascii=False), hit_id],
        )
        conn.executemany(
            "INSERT INTO figures (hit_id, story_id, kind, value, low, high, qualifier, source,"
            " sentence, field, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (hit_id, story_id, f.kind, f.value, f.low, f.high, f.qualifier, f.source, *rest)
                for f in described.figures
                for rest in [(f.sentence[:1000], f.field, _iso(when))]
            ],
        )
        return Placement(story_id, decision.story is None, new_figures, reasons)

    def _predecessor(
        self,
        conn: sqlite3.Connection,
        watch: str,
        when: datetime,
        window: timedelta,
        reported: Mapping[tuple[str, str], frozenset[int]],
    ) -> int | None:
        """The latest earlier story, closed within ``FOLLOW_BACK``, in which a source gave
        a figure of a kind this new story gives again (a new briefing with new figures):
        the development it follows."""
        rows = conn.execute(
            "SELECT id, state FROM stories WHERE watch = ? AND last_seen >= ? AND last_seen < ?"
            " ORDER BY last_seen DESC",
            [watch, _iso(when - FOLLOW_BACK), _iso(when - window)],
        ).fetchall()
        for story_id, raw in rows:
            earlier = {(k, src) for k, src, _values in json.loads(raw or "{}").get("reported", [])}
            if earlier & set(reported):
                return int(story_id)
        return None

    def _open(
        self, conn: sqlite3.Connection, watch: str, when: datetime, window: timedelta
    ) -> list[Story]:
        rows = conn.execute(
            "SELECT id, first_seen, last_seen, state FROM stories"
            " WHERE watch = ? AND last_seen >= ? AND first_seen <= ?",
            [watch, _iso(when - window), _iso(when + window)],
        ).fetchall()
        return [_story(row) for row in rows]

    def _save(
        self,
        conn: sqlite3.Connection,
        story: Story,
        watch: str,
        entry: Entry,
        outlet: str,
        new: bool,
        now: datetime,
    ) -> int:
        state = json.dumps(_state(story), ensure_ascii=False)
        if new:
            cursor = conn.execute(
                "INSERT INTO stories (watch, title, first_seen, last_seen, hits, languages,"
                " outlets, state, created_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                [
                    watch,
                    entry.title or entry.summary[:200],
                    _iso(story.first_seen),
                    _iso(story.last_seen),
                    json.dumps([entry.language or ""]),
                    json.dumps([outlet], ensure_ascii=False),
                    state,
                    _iso(now),
                ],
            )
            return int(cursor.lastrowid or 0)
        languages, outlets = conn.execute(
            "SELECT languages, outlets FROM stories WHERE id = ?", [story.id]
        ).fetchone()
        conn.execute(
            "UPDATE stories SET first_seen = ?, last_seen = ?, hits = hits + 1, languages = ?,"
            " outlets = ?, state = ? WHERE id = ?",
            [
                _iso(story.first_seen),
                _iso(story.last_seen),
                _appended(languages, entry.language or ""),
                _appended(outlets, outlet),
                state,
                story.id,
            ],
        )
        return story.id


def _appended(listing: str, value: str) -> str:
    values = json.loads(listing or "[]")
    return json.dumps(values if value in values else [*values, value], ensure_ascii=False)


def _state(story: Story) -> dict[str, object]:
    return {
        "figures": sorted([k, v] for k, v in story.figures),
        "reported": [[k, src, sorted(vs)] for (k, src), vs in sorted(story.reported.items())],
        "sources": sorted(story.sources),
        "entities": sorted(story.entities),
        "texts": [[lang, sorted(words), sorted(title)] for lang, words, title in story.texts],
        "lead": story.lead,
        "names": sorted(story.names),
    }


def _story(row: tuple[int, str, str, str]) -> Story:
    story_id, first, last, raw = row
    state = json.loads(raw or "{}")
    return Story(
        id=story_id,
        first_seen=datetime.fromisoformat(first),
        last_seen=datetime.fromisoformat(last),
        figures={(k, v) for k, v in state.get("figures", [])},
        reported={(k, src): set(vs) for k, src, vs in state.get("reported", [])},
        sources=set(state.get("sources", [])),
        entities=set(state.get("entities", [])),
        texts=[(lang, frozenset(w), frozenset(t)) for lang, w, t in state.get("texts", [])],
        lead=state.get("lead"),
        names=set(state.get("names", [])),
    )
