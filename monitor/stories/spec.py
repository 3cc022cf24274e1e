"""The ``[stories]`` and ``[figures]`` tables of a watch file, validated into records.

    [stories]
    window = "3d"                       # a story takes articles this long after its last
    [stories.entities]                  # places and actors, by one name per language
    kursk = ["kursk*", "쿠르스크*", "курск*"]
    [stories.subjects]                  # what an event is about: counts as an entity, and
    drones = ["drone*", "드론*"]          # a headline naming one that no article of a story
                                        # names speaks against that story

    [figures]
    default_kind = "deployed"           # a count of people with no kind word near it
    units = ["troop*", "soldier*", "명"] # words that make a number a count of people
    needs_unit = ["deployed"]           # kinds that count only beside such a word
    outranks = ["captured"]             # kinds whose word in the clause beats a nearer one
    unnamed = ["estimates put"]         # a sentence of nobody's figures: no headline source
    support = ["engineer*", "공병*"]      # people sent to work, not to fight ...
    fighters_only = ["additional"]      # ... so beside them these kinds are default_kind
    modifiers = ["additional"]          # kinds that yield to another kind's word beside
                                        # the count: "4,100 more wounded" are wounded
    others = ["russian", "ukrainian"]   # after a count: another side's people, no figure
    uncounted = ["deserted", "fled"]    # what befell people the watch does not count: a
                                        # count whose nearest kind word is one is no figure
    [figures.kinds]                     # tried in this order: the nearest word wins,
    casualties = ["casualt*", "사상자*"]  # a tie goes to the kind written first
    [figures.sources]                   # who a figure is attributed to
    JCS = ["jcs", "joint chiefs*", "합참*"]

Every term is written in the watch term language (``terms``), so folding, prefixes and
Korean particles work as they do in groups. Problems are collected, as ``watch`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from monitor.settings import parse_duration, shown
from monitor.terms import checked_terms

STORIES_KEYS = {"window", "entities", "subjects"}
FIGURES_KEYS = {
    *("default_kind", "units", "kinds", "sources", "needs_unit", "outranks", "unnamed"),
    *("support", "fighters_only", "modifiers", "others", "uncounted"),
}
DEFAULT_WINDOW = timedelta(days=3)
MAX_WINDOW = timedelta(days=30)
_LABEL = re.compile(r"[A-Za-z0-9][\w .'-]{0,59}")  # "UK MoD", "Kim Jong Un", "lawmakers"

Lexicon = tuple[tuple[str, tuple[str, ...]], ...]  # (label, terms) in the file's order


@dataclass(frozen=True)
class StorySpec:
    """How a watch groups its hits into stories."""

    window: timedelta = DEFAULT_WINDOW
    entities: Lexicon = ()
    subjects: Lexicon = ()  # entities that say what an event is about (drones, prisoners)


@dataclass(frozen=True)
class FigureSpec:
    """Which figures a watch reads from its hits, and who they are attributed to."""

    kinds: Lexicon = ()
    sources: Lexicon = ()
    units: tuple[str, ...] = ()
    default_kind: str | None = None
    needs_unit: frozenset[str] = frozenset()  # kinds counted only with a word for people
    # kinds whose word in a count's clause takes it before a nearer word of another kind:
    # "two wounded soldiers taken prisoner" are two captured, not two wounded
    outranks: frozenset[str] = frozenset()
    unnamed: tuple[str, ...] = ()  # "estimates put": the sentence names no one on purpose
    # "6,000 more builders" are sent, not reinforcements: a kind in ``fighters_only`` is
    # ``default_kind`` for a count with a ``support`` word beside it
    support: tuple[str, ...] = ()
    fighters_only: frozenset[str] = frozenset()
    # "600 killed and 4,100 more wounded": a kind in ``modifiers`` says only that there
    # are more of something; beside a word of another kind (not ``default_kind``) in the
    # count's clause it yields to that word
    modifiers: frozenset[str] = frozenset()
    # "60,000 Russian soldiers": words right after a count that make it another side's
    others: tuple[str, ...] = ()
    # "18 soldiers deserted": words that bind to a count as kind words do, for what the
    # watch does not count; such a count is no figure
    uncounted: tuple[str, ...] = ()


def stories_from(raw: Any, where: str, problems: list[str]) -> StorySpec | None:
    """The ``[stories]`` table, or None when the watch has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: stories: expected a [stories] table")
        return None
    _unknown(raw, STORIES_KEYS, f"{where}: stories", problems)
    window = DEFAULT_WINDOW
    if "window" in raw:
        given: timedelta | None = None
        try:
            given = parse_duration(raw["window"]) if isinstance(raw["window"], str) else None
        except ValueError:
            given = None
        if given is not None and timedelta(hours=1) <= given <= MAX_WINDOW:
            window = given
        else:
            problems.append(
                f"{where}: stories.window: expected a duration from 1h to 30d,"
                f" got {shown(raw['window'])}"
            )
    entities = _lexicon(raw.get("entities", {}), f"{where}: stories.entities", problems)
    subjects = _lexicon(raw.get("subjects", {}), f"{where}: stories.subjects", problems)
    for label in sorted(set(dict(entities)) & set(dict(subjects))):
        problems.append(
            f"{where}: stories.subjects.{label}: already an entity; name it in one table only"
        )
    return StorySpec(window, entities, subjects)


def figures_from(raw: Any, where: str, problems: list[str]) -> FigureSpec | None:
    """The ``[figures]`` table, or None when the watch has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: figures: expected a [figures] table")
        return None
    at = f"{where}: figures"
    _unknown(raw, FIGURES_KEYS, at, problems)
    kinds = _lexicon(raw.get("kinds", {}), f"{at}.kinds", problems)
    if not kinds:
        problems.append(f"{at}.kinds: expected at least one kind with its words")
    sources = _lexicon(raw.get("sources", {}), f"{at}.sources", problems)
    units = _terms(raw.get("units", []), f"{at}.units", problems)
    default_kind = raw.get("default_kind")
    if default_kind is not None and default_kind not in dict(kinds):
        problems.append(
            f"{at}.default_kind: expected one of the kinds ({', '.join(k for k, _ in kinds)}),"
            f" got {shown(default_kind)}"
        )
        default_kind = None
    if default_kind is not None and not units:
        problems.append(f"{at}.units: a default_kind needs the words that make a count of people")
    needs_unit = _kind_list(raw, "needs_unit", kinds, at, problems)
    outranks = _kind_list(raw, "outranks", kinds, at, problems)
    unnamed = _terms(raw.get("unnamed", []), f"{at}.unnamed", problems)
    support = _terms(raw.get("support", []), f"{at}.support", problems)
    fighters_only = _kind_list(raw, "fighters_only", kinds, at, problems)
    if fighters_only and (default_kind is None or not support):
        problems.append(f"{at}.fighters_only: needs a default_kind and the support words")
        fighters_only = frozenset()
    modifiers = _kind_list(raw, "modifiers", kinds, at, problems)
    others = _terms(raw.get("others", []), f"{at}.others", problems)
    uncounted = _terms(raw.get("uncounted", []), f"{at}.uncounted", problems)
    if default_kind in modifiers:
        problems.append(f"{at}.modifiers: the default_kind {default_kind} cannot be one")
        modifiers = frozenset()
    return FigureSpec(
        kinds,
        sources,
        units,
        default_kind,
        needs_unit,
        outranks,
        unnamed,
        support,
        fighters_only,
        modifiers,
        others,
        uncounted,
    )


def _kind_list(
    raw: dict[str, Any], key: str, kinds: Lexicon, at: str, problems: list[str]
) -> frozenset[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not set(value) <= set(dict(kinds)):
        problems.append(f"{at}.{key}: expected a list of the kinds, got {shown(value)}")
        return frozenset()
    return frozenset(value)


def _unknown(raw: dict[str, Any], known: set[str], at: str, problems: list[str]) -> None:
    for key in sorted(set(raw) - known):
        problems.append(f"{at}.{key}: unknown key (expected one of {', '.join(sorted(known))})")


def _lexicon(raw: Any, at: str, problems: list[str]) -> Lexicon:
    if not isinstance(raw, dict):
        problems.append(f"{at}: expected a table of names, each with a list of terms")
        return ()
    entries = []
    for label, terms in raw.items():
        if not _LABEL.fullmatch(label):
            problems.append(f"{at}: {shown(label)}: expected a short name of letters and digits")
            continue
        found = _terms(terms, f"{at}.{label}", problems)
        if found:
            entries.append((label, found))
    return tuple(entries)


def _terms(value: Any, at: str, problems: list[str]) -> tuple[str, ...]:
    return checked_terms(value, at, problems)
