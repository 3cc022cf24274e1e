"""Which story a new hit belongs to. Pure: an ``Article`` and the open stories in, a
``Decision`` out; ``store`` finds the candidates and keeps the stories.

    hit -> Article (words, figures, sources, entities, time)
        -> candidates: the watch's stories whose last article is within the window
        -> score each: same wording, shared figures, shared places and actors,
           contradicting figures
        -> the best at or above JOIN joins; otherwise a new story

Cross-language evidence is what survives translation: figures (3,000 = 3.000 = 3천),
the watch's entities and sources (Kursk = 쿠르스크, JCS = 합참), and time. Within a
language, wire copy repeated by several outlets shares most of its words. A value or an
entity that many open stories share (the 11,000 of the first deployment, Kursk) says
little, so each counts divided by the number of candidates that have it. Merging two
events hides one, so the bar is high: a story is joined on evidence, never by default.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

JOIN = 1.5  # the score a story needs for an article to join it (tuned on the dev set)
SAME_WORDING = 0.5  # word overlap (Jaccard) of two texts in one language: wire copy
SIMILAR_TITLE = 0.4
MAX_TEXTS = 12  # texts a story keeps for wording comparisons (its latest)
CLOSE = timedelta(hours=12)
NAMES_CAP = 0.5  # what shared capitalised names can add at most
SOFT_ONLY = JOIN - 0.5  # a join on places and actors alone, where they do not suffice
SMALL = 10  # a shared count under this says half as much (see _background)
BACKGROUND = 0.5  # a shared figure that is not in the article's headline counts this much
ESTABLISHED = 3  # articles a story needs before what none of them names counts against


@dataclass(frozen=True)
class Article:
    """What the story decision knows of one hit."""

    language: str
    when: datetime
    words: frozenset[str]  # folded words of title and summary, short ones left out
    title_words: frozenset[str]
    figures: frozenset[tuple[str, int]]  # (kind, value)
    attributed: frozenset[tuple[str, str]]  # (kind, source) of figures with a source
    sources: frozenset[str]
    entities: frozenset[str]
    lead: str | None = None  # the source its headline names ("...: NIS")
    names: frozenset[str] = frozenset()  # capitalised words, folded: Putin, Duda, BRICS
    headline_values: frozenset[int] | None = None  # values in its headline; None: unknown
    title_subjects: frozenset[str] = frozenset()  # the subjects its headline names
    headline_numbers: frozenset[int] = frozenset()  # every count its headline gives


@dataclass
class Story:
    """An open story as decisions see it; ``add`` folds an article in."""

    id: int
    first_seen: datetime
    last_seen: datetime
    figures: set[tuple[str, int]] = field(default_factory=set)
    reported: dict[tuple[str, str], set[int]] = field(default_factory=dict)  # (kind, source)
    sources: set[str] = field(default_factory=set)
    entities: set[str] = field(default_factory=set)
    texts: list[tuple[str, frozenset[str], frozenset[str]]] = field(default_factory=list)
    lead: str | None = None  # the headline source of its first article that names one
    names: set[str] = field(default_factory=set)

    @property
    def values(self) -> set[int]:
        return {value for _kind, value in self.figures}

    def add(
        self, article: Article, values: Mapping[tuple[str, str], Iterable[int]] | None = None
    ) -> None:
        self.first_seen = min(self.first_seen, article.when)
        self.last_seen = max(self.last_seen, article.when)
        self.figures |= article.figures
        for key, given in (values or {}).items():
            self.reported.setdefault(key, set()).update(given)
        self.sources |= article.sources
        self.entities |= article.entities
        self.lead = self.lead or article.lead
        self.names |= article.names
        self.texts = [*self.texts, (article.language, article.words, article.title_words)][
            -MAX_TEXTS:
        ]


@dataclass(frozen=True)
class Decision:
    """Join ``story`` (None: start a new one), and why, for the story's explanation."""

    story: int | None
    score: float
    reasons: tuple[str, ...]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def decide(
    article: Article,
    stories: list[Story],
    window: timedelta,
    reported: dict[tuple[str, str], int] | None = None,
) -> Decision:
    """The story ``article`` belongs to among ``stories``; ``reported`` maps (kind,
    source) to the value this article gives, to spot contradictions."""
    open_ = [s for s in stories if article.when - window <= s.last_seen <= article.when + window]
    if not open_:
        return Decision(None, 0.0, ("no open story",))
    seen = _Spread(
        values=Counter(v for s in open_ for v in s.values),
        entities=Counter(e for s in open_ for e in s.entities),
        names=Counter(n for s in open_ for n in s.names),
    )
    best: Decision | None = None
    for story in open_:
        score, reasons = _score(article, story, seen, reported or {})
        if best is None or score > best.score:
            best = Decision(story.id, round(score, 2), tuple(reasons))
    assert best is not None
    if best.score >= JOIN:
        return best
    # A new story says how near the nearest open one came, and what held it apart.
    return Decision(
        None, best.score, (f"best open story scored {best.score:g} < {JOIN:g}", *best.reasons)
    )


@dataclass(frozen=True)
class _Spread:
    """How many open stories have each value, entity and name: what many of them share
    says little about which one an article belongs to."""

    values: Counter[int]
    entities: Counter[str]
    names: Counter[str]


def _score(
    article: Article, story: Story, seen: _Spread, reported: dict[tuple[str, str], int]
) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    same_language = [t for t in story.texts if t[0] == article.language]
    wording = max((jaccard(article.words, t[1]) for t in same_language), default=0.0)
    titles = max((jaccard(article.title_words, t[2]) for t in same_language), default=0.0)
    if wording >= SAME_WORDING:
        score += 3
        reasons.append(f"same wording as one of its articles ({wording:.0%} of words)")
    elif titles >= SIMILAR_TITLE:
        score += 1
        reasons.append(f"similar headline ({titles:.0%} of words)")
    shared = article.figures & story.figures
    for kind, value in sorted(shared):
        # The same figure from the same source is one report; from another source
        # it may be another briefing on the same day ("3,000", says Seoul; says the US).
        sources = {
            src for (k, src), values in story.reported.items() if k == kind and value in values
        }
        same_source = any((kind, src) in article.attributed for src in sources)
        unsourced = not sources or not any(k == kind for k, _s in article.attributed)
        weight = (2 if same_source else 1 if unsourced else 0.5) / seen.values[value]
        score += weight * _background(article, value)
        reasons.append(f"the same figure: {kind} {value:,}")
    loose = {v for _k, v in article.figures} & story.values - {v for _k, v in shared}
    for value in sorted(loose):
        score += _background(article, value) / seen.values[value]
        reasons.append(f"the same number: {value:,}")
    for entity in sorted(article.entities & story.entities):
        score += 1 / seen.entities[entity]
        reasons.append(f"both name {entity}")
    for source in sorted(article.sources & story.sources):
        score += 0.5
        reasons.append(f"both quote {source}")
    if article.lead and story.lead and article.lead != story.lead:
        score -= 1
        reasons.append(f"its headline quotes {article.lead}, the story's {story.lead}")
    elif article.lead and article.lead == story.lead:
        score += 0.5
        reasons.append(f"both headlines quote {article.lead}")
    # Time counts while a story is young: coverage of one event comes within hours, and a
    # story whose last article is recent but whose first is days old is the story the
    # next related event (the prisoners' video after their capture) would be drawn into.
    close = abs(article.when - story.last_seen) <= CLOSE and (
        abs(article.when - story.first_seen) <= 2 * CLOSE
    )
    if close:
        score += 0.5
        reasons.append("within hours of its last article")
    for (kind, source), value in sorted(reported.items()):
        earlier = story.reported.get((kind, source), set())
        if earlier and value not in earlier:
            score -= 2
            reasons.append(f"{source} gives another {kind} figure ({value:,})")
    # A subject a headline names (drones, prisoners, a memorial) that none of a story's
    # articles names is another event beside it: the State Department's count in Kursk
    # and, the next day, Kyiv on drone training for the same soldiers.
    unnamed = sorted(article.title_subjects - story.entities)
    if unnamed and len(story.texts) >= ESTABLISHED:
        score -= 1
        reasons.append(
            f"its headline names {', '.join(unnamed)}, which none of its"
            f" {len(story.texts)} articles does"
        )
    names = sorted(article.names & story.names)
    if names:  # people and places the watch does not list, in Latin script
        score += min(NAMES_CAP, sum(0.5 / seen.names[n] for n in names))
        reasons.append("both name " + ", ".join(n.title() for n in names[:4]))
    # Places, actors and sources are what one topic's stories share. Without a figure
    # or wording in common they make one event only within hours of the story's last
    # article, and only when the headlines do not quote different people: a briefing
    # a day later, or the Kursk governor's tally beside Kim's welcome of the same
    # sappers, is another story.
    specific = wording >= SAME_WORDING or titles >= SIMILAR_TITLE or bool(shared or loose)
    # News is a figure the story lacks that its source is named for, or that the
    # headline states: HUR's 12,000 two days after HUR's first sighting is a new
    # briefing; a summary's background count beside a headline without one is not.
    news = any((k, v) not in story.figures for (k, _src), v in reported.items()) or any(
        v in article.headline_numbers for _k, v in article.figures - story.figures
    )
    if not specific and score >= JOIN:
        if not close and news:
            score = SOFT_ONLY
            reasons.append("only places and actors in common, a new figure, and not within hours")
        elif article.lead and story.lead and article.lead != story.lead:
            score = SOFT_ONLY
            reasons.append("only places and actors in common, and other people quoted")
    return score, reasons


def _background(article: Article, value: int) -> float:
    """How much a shared value says: a figure the headline gives is the article's news;
    one only its summary gives, with a headline about something else, is often the
    background every story of the week repeats (the 11,000 of the first deployment).
    A small count (the two prisoners) recurs in every story about the same people."""
    weight = 1.0 if value >= SMALL else BACKGROUND
    if article.headline_values is None or value in article.headline_values:
        return weight
    return weight * BACKGROUND
