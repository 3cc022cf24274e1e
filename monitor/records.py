"""Small typed records passed between the pipeline's stages.

    FeedConfig --fetch--> FetchResult --parse+normalize--> Entry --match--> Match
                                                      \\-> ParsedFeed (entries, warnings)
    stored hit --stories--> Figure, story

Every record is frozen and holds plain values, so it pickles into and out of the
parser processes and compares equal in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FeedConfig:
    """One ``[[feeds]]`` block of the config: where from, how often."""

    name: str
    url: str
    interval: timedelta
    outlet: str  # as configured, else the URL's host
    language: str | None = None
    enabled: bool = True
    # False when ``outlet`` is only the host: the feed's entries are then stored under
    # the publisher its title names, chosen at its first successful poll (``store``).
    outlet_from_config: bool = True
    # The feed's own rhythm settings; None: the ``schedule.*`` default (``rhythm.bounds``).
    adaptive: bool | None = None
    min_interval: timedelta | None = None
    max_interval: timedelta | None = None


@dataclass(frozen=True)
class FeedState:
    """What the database remembers about a feed between polls (see ``store.feed_state``)."""

    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class FetchResult:
    """What ``fetch`` brought back for one feed. ``status`` is ok, not_modified or error."""

    status: str
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect: str | None = None
    error: str | None = None
    retry_after: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One feed entry, normalized: plain text, canonical link, UTC time, stable key."""

    key: str
    url: str | None
    title: str
    summary: str
    published: datetime | None
    language: str | None
    guid: str | None = None
    content: str = ""  # the full text, when the feed gives more than the summary
    outlet: str | None = None  # its own publisher (an aggregator's item); None: the feed's


@dataclass(frozen=True)
class TermHit:
    """One term of a watch found in an entry: the group, the term as written, the field."""

    group: str
    term: str
    field: str  # "title" or "summary"


@dataclass(frozen=True)
class Match:
    """An entry that a watch accepted, and why."""

    watch: str
    score: float
    terms: tuple[TermHit, ...]
    met: str | None = None  # where an about() rule found its groups together

    @property
    def matched(self) -> list[str]:
        """The distinct terms that matched, in order of first appearance."""
        return list(dict.fromkeys(t.term for t in self.terms))


@dataclass(frozen=True)
class NearMiss:
    """An entry a watch almost took: some of its required groups were found, at most one
    was not, or all were but the rule still said no. ``why`` says what was lacking."""

    watch: str
    why: str
    missing: tuple[str, ...]  # required groups with no term found
    terms: tuple[TermHit, ...]


@dataclass(frozen=True)
class Figure:
    """One figure a hit reports (``stories.figures``): ``value`` (the low end of a range),
    what it counts, who it is attributed to, and the sentence it came from."""

    kind: str
    value: int
    low: int | None
    high: int | None
    qualifier: str | None
    source: str | None
    sentence: str
    field: str  # title, summary or content
    cited: bool = True  # the source is named in the figure's own sentence, not elsewhere


@dataclass(frozen=True)
class ParsedFeed:
    """Everything one feed body yielded: entries with their matches, and warnings."""

    entries: tuple[tuple[Entry, tuple[Match, ...]], ...]
    warnings: tuple[str, ...] = ()
    title: str | None = None
    outlet: str | None = None  # the publisher the feed's title names (normalize.publisher)
    near: tuple[tuple[NearMiss, ...], ...] = ()  # per entry, in order; empty: none kept
    ttl: str | None = None  # RSS <ttl>, minutes as the feed wrote it (``rhythm`` reads it)


@dataclass(frozen=True)
class FeedOutcome:
    """The result of polling one feed, for the summary line and the fetch log."""

    feed: str
    status: str  # ok, not_modified, error
    new_entries: int = 0
    new_hits: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    http_status: int | None = None
    bytes: int = 0
    elapsed: float = 0.0
