"""A hit's text -> its figures and the ``Article`` that story decisions read. Pure.

One ``Describer`` per watch, built from its ``[figures]`` and ``[stories]`` tables and
kept for the life of a process: the lexicons compile once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from monitor.match import Lexicon
from monitor.records import Figure
from monitor.stories.cluster import Article
from monitor.stories.figures import UNCOUNTED, FigureReader
from monitor.stories.numbers import counts
from monitor.stories.spec import FigureSpec, StorySpec
from monitor.terms import fold

_SHORT = 3  # Latin words shorter than this (of, the, и, la) say nothing about an event


@dataclass(frozen=True)
class Described:
    figures: tuple[Figure, ...]
    article: Article

    @property
    def reported(self) -> dict[tuple[str, str], frozenset[int]]:
        """(kind, source) -> every value this hit gives (the NIS's 1,500 shipped and its
        12,000 to come), kept by the story to spot a later contradiction."""
        values: dict[tuple[str, str], set[int]] = {}
        for f in self.figures:
            if f.source:
                values.setdefault((f.kind, f.source), set()).add(f.value)
        return {key: frozenset(found) for key, found in values.items()}

    @property
    def cited(self) -> dict[tuple[str, str], int]:
        """``reported``, of the figures whose source is named in their own sentence: only
        those can contradict a story ("101 killed" in a headline is not the NIS's because
        the summary names the NIS), and only where the hit gives one value."""
        values: dict[tuple[str, str], set[int]] = {}
        for f in self.figures:
            if f.source and f.cited:
                values.setdefault((f.kind, f.source), set()).add(f.value)
        # Two values of one kind from one source ("5 sites", "12,000 soldiers") contradict
        # nothing: one of them is likely not what it seems.
        return {key: next(iter(found)) for key, found in values.items() if len(found) == 1}


class Describer:
    """Figures and story features of a watch's hits."""

    def __init__(self, stories: StorySpec | None, figures: FigureSpec | None) -> None:
        self.figures = FigureReader(figures) if figures else None
        # Subjects are entities too; only a headline's subjects count on their own.
        self.entities = Lexicon((stories.entities + stories.subjects) if stories else ())
        self.subjects = Lexicon(stories.subjects if stories else ())

    def describe(
        self, title: str, summary: str, content: str, language: str | None, when: datetime
    ) -> Described:
        every = self.figures.read_all(title, summary, content, language) if self.figures else []
        found = tuple(f for f in every if f.kind != UNCOUNTED)
        text = fold(f"{title} {summary}")
        sources = set(self.figures.sources(f"{title} {summary}")) if self.figures else set()
        article = Article(
            language=language or "",
            when=when,
            words=_words(text),
            title_words=_words(fold(title)),
            # the counts the watch does not count are evidence of one event all the same
            figures=frozenset((f.kind, f.value) for f in every),
            headline_values=frozenset(f.value for f in every if f.field == "title"),
            attributed=frozenset((f.kind, f.source) for f in found if f.source),
            sources=frozenset(sources),
            entities=frozenset(label for _a, _b, label in self.entities.find(text)),
            title_subjects=frozenset(label for _a, _b, label in self.subjects.find(fold(title))),
            headline_numbers=frozenset(n.value for n in counts(title, language)),
            lead=self.figures.lead(title) if self.figures else None,
            names=self._names(title, summary),
        )
        return Described(found, article)

    def _names(self, title: str, summary: str) -> frozenset[str]:
        """``_names`` of the headline (unless it is in title case, where every word is
        capitalised) and the summary, less what the watch's entities and sources name:
        those already count as such."""
        names = _names(summary) | (frozenset() if _title_case(title) else _names(title))
        return frozenset(
            n
            for n in names
            if not self.entities.find(n) and not (self.figures and self.figures.sources(n))
        )


def _words(folded: str) -> frozenset[str]:
    return frozenset(w for w in folded.split() if len(w) >= _SHORT or not w.isascii())


_CAPITALISED = re.compile(r"(?<![\w.])([A-Z][a-z]{2,}|[A-Z]{3,6})\b")


def _title_case(title: str) -> bool:
    """A headline Capitalising Most Of Its Words ("Kim Mourns Nine Dead")."""
    words = [w for w in re.findall(r"[^\W\d_]{3,}", title) if w.isascii()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _names(text: str) -> frozenset[str]:
    """Capitalised words that do not start a sentence (Putin, Duda, BRICS, Kazan): names
    the watch does not list, which Latin-script languages mostly write alike."""
    found = set()
    for match in _CAPITALISED.finditer(text):
        # the last character before the word, spaces skipped, within a window (not the
        # whole prefix: a hostile summary of many capitalised words stays linear); a word
        # after more than 64 spaces is taken as a start, like one after a full stop
        start = match.start()
        before = text[max(0, start - 64) : start].rstrip()
        if not before or before[-1] in ".!?:\"'«„“(—–-":
            continue  # the first word of a sentence or a quote is capitalised anyway
        found.add(match.group(1).lower())
    return frozenset(found - _COMMON)


# Capitalised in the middle of a sentence for other reasons: German nouns of the story,
# weekdays, months, the watch's own countries.
_COMMON = frozenset(
    {
        *("north", "south", "korea", "korean", "koreans", "russia", "russian", "ukraine"),
        *("ukrainian", "seoul", "pyongyang", "moscow", "kyiv", "nordkorea", "nordkoreas"),
        *("nordkoreanische", "russland", "soldaten", "truppen", "monday", "tuesday"),
        *("wednesday", "thursday", "friday", "saturday", "sunday", "january", "february"),
        *("march", "april", "june", "july", "august", "september", "october", "november"),
        "december",
    }
)
