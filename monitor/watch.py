"""Watch files: one story to follow, as concept groups of terms in several languages.

A watch is a TOML file in ``watches_dir``; its name is the file name without ``.toml``.
This module reads and validates them into ``WatchSpec`` records; ``match`` compiles
and applies them. The term language is documented in the README ("Watches").
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.rule import RuleError, compile_rule, ident
from monitor.settings import is_address, shown
from monitor.stories.spec import FigureSpec, StorySpec, figures_from, stories_from
from monitor.terms import checked_terms

WATCH_KEYS = {
    "description",
    "min_score",
    "title_weight",
    "summary_weight",
    "exclude",
    "groups",
    "rule",
    "alert_to",
    "alert_mode",
    "notify",
    "stories",
    "figures",
}
ALERT_MODES = ("immediate", "digest", "both", "none")
GROUP_KEYS = {"name", "terms", "required", "weight"}
EXCLUDE = "exclude"  # match's pseudo-group of the exclude terms: no group may be called so
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")  # fullmatch: "$" would let a trailing "\n" in


@dataclass(frozen=True)
class GroupSpec:
    name: str
    terms: tuple[str, ...]
    required: bool = True
    weight: float = 1.0


@dataclass(frozen=True)
class WatchSpec:
    """A validated watch file; plain data, so it pickles into parser processes."""

    name: str
    groups: tuple[GroupSpec, ...]
    exclude: tuple[str, ...] = ()
    rule: str | None = None
    description: str = ""
    alert_to: tuple[str, ...] | None = None  # None: the config's email.to
    alert_mode: str | None = None  # None: the config's email.mode
    notify: tuple[str, ...] | None = None  # notification URLs; None: the config's notify.urls
    min_score: float = 0.0
    title_weight: float = 2.0
    summary_weight: float = 1.0
    stories: StorySpec | None = None  # None: every hit is a story of its own
    figures: FigureSpec | None = None  # None: no figures are read


def read_toml(
    path: Path, what: str, *, missing: str = "file not found"
) -> tuple[dict[str, Any] | None, str]:
    """A TOML file's data, or None and the one problem (``file: what``) that stopped it.

    Both the config and the watch files are read here, so a folder where a file should
    be, a file nested too deeply for the parser or a number of 5,000 digits is a problem
    to report, not a traceback."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{path}: {missing}"
    except IsADirectoryError:
        return None, f"{path}: expected a {what}, found a folder"
    except UnicodeDecodeError as exc:
        return None, f"{path}: cannot read: not UTF-8 text ({exc})"
    except (OSError, ValueError) as exc:  # no permission, a NUL in the name...
        return None, f"{path}: cannot read: {exc}"
    try:
        return tomllib.loads(text), ""
    except tomllib.TOMLDecodeError as exc:
        return None, f"{path}: not valid TOML: {exc}"
    except (RecursionError, MemoryError):  # tomllib recurses into nested arrays and tables
        return None, f"{path}: not valid TOML: nested too deeply"
    except ValueError as exc:  # an integer longer than Python converts (4,300 digits)
        return None, f"{path}: not valid TOML: {exc}"


def load_watches(folder: Path) -> tuple[list[WatchSpec], list[str]]:
    """Every ``*.toml`` in ``folder``, and the problems found (``file: key: what``)."""
    try:
        paths = sorted(folder.glob("*.toml")) if folder.is_dir() else None
    except OSError:  # a name too long for the file system, say
        paths = None
    if paths is None:
        return [], [f"{folder}: watches_dir: expected a folder of watch files, found none"]
    watches: list[WatchSpec] = []
    problems: list[str] = []
    for path in paths:
        data, problem = read_toml(path, "watch file")
        if data is None:
            problems.append(problem)
            continue
        watch, found = watch_from_dict(path.stem, data, where=str(path))
        problems.extend(found)
        if watch is not None:
            watches.append(watch)
    if not watches and not problems:
        problems.append(f"{folder}: watches_dir: expected at least one *.toml watch file")
    return watches, problems


def watch_from_dict(
    name: str, data: dict[str, Any], *, where: str
) -> tuple[WatchSpec | None, list[str]]:
    """Validate one watch's data; ``where`` prefixes every problem."""
    problems: list[str] = []
    if not _NAME.fullmatch(name):
        problems.append(f"{where}: file name: expected lowercase letters, digits, '-', '_', '.'")
    for key in sorted(set(data) - WATCH_KEYS):
        problems.append(
            f"{where}: {key}: unknown key (expected one of {', '.join(sorted(WATCH_KEYS))})"
        )

    def number(key: str, default: float) -> float:
        value = data.get(key, default)
        if not _is_weight(value):
            problems.append(f"{where}: {key}: expected a number >= 0, got {shown(value)}")
            return default
        return float(value)

    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}: description: expected a string")
        description = ""
    exclude = _terms(data.get("exclude", []), f"{where}: exclude", problems, allow_empty=True)
    groups: list[GroupSpec] = []
    seen: set[str] = set()  # as the rule writes them: north-korea and north_korea are one
    raw_groups = data.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        problems.append(f"{where}: groups: expected at least one [[groups]] table")
        raw_groups = []
    for index, raw in enumerate(raw_groups):
        at = f"{where}: groups[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{at}: expected a table")
            continue
        for key in sorted(set(raw) - GROUP_KEYS):
            problems.append(
                f"{at}.{key}: unknown key (expected one of {', '.join(sorted(GROUP_KEYS))})"
            )
        group_name = raw.get("name", f"group{index + 1}")
        if not isinstance(group_name, str) or not group_name:
            problems.append(f"{at}.name: expected a non-empty string")
            group_name = f"group{index + 1}"
        elif group_name == EXCLUDE:
            problems.append(f"{at}.name: {group_name!r} is reserved for the exclude terms")
        elif ident(group_name) in seen:
            problems.append(
                f"{at}.name: {shown(group_name)} is used by another group; names must be unique"
            )
        seen.add(ident(group_name))
        required = raw.get("required", True)
        if not isinstance(required, bool):
            problems.append(f"{at}.required: expected true or false")
            required = True
        weight = raw.get("weight", 1.0)
        if not _is_weight(weight):
            problems.append(f"{at}.weight: expected a number >= 0, got {shown(weight)}")
            weight = 1.0
        terms = _terms(raw.get("terms"), f"{at}.terms", problems, allow_empty=False)
        groups.append(GroupSpec(group_name, terms, required, float(weight)))
    rule = data.get("rule")
    if rule is not None:
        if not isinstance(rule, str) or not rule.strip():
            problems.append(f'{where}: rule: expected an expression such as "a and (b or c)"')
            rule = None
        else:
            try:
                compile_rule(rule, [g.name for g in groups])
            except RuleError as exc:
                problems.append(f"{where}: rule: {exc}")
    # An empty alert_to is kept: only with SMTP is it a problem, which config checks.
    alert_to = data.get("alert_to")
    if alert_to is not None and (
        not isinstance(alert_to, list)
        or not all(isinstance(a, str) and is_address(a) for a in alert_to)
    ):
        problems.append(f"{where}: alert_to: expected a list of email addresses")
        alert_to = None
    alert_mode = data.get("alert_mode")
    if alert_mode is not None and alert_mode not in ALERT_MODES:
        problems.append(f"{where}: alert_mode: expected one of {', '.join(ALERT_MODES)}")
        alert_mode = None
    notify = _notify_urls(data.get("notify"), f"{where}: notify", problems)
    spec = WatchSpec(
        alert_to=tuple(alert_to) if alert_to is not None else None,
        alert_mode=alert_mode,
        notify=notify,
        name=name,
        groups=tuple(groups),
        exclude=exclude,
        rule=rule,
        description=description,
        min_score=number("min_score", 0.0),
        title_weight=number("title_weight", 2.0),
        summary_weight=number("summary_weight", 1.0),
        stories=stories_from(data.get("stories"), where, problems),
        figures=figures_from(data.get("figures"), where, problems),
    )
    return (None if problems else spec), problems


def _notify_urls(value: object, at: str, problems: list[str]) -> tuple[str, ...] | None:
    """A watch's own notification URLs (``[]``: none for it), checked for their form."""
    if value is None:
        return None
    from monitor.notify import url_problem  # imports apprise: only for a watch that says so

    if not isinstance(value, list):
        problems.append(f"{at}: expected a list of Apprise URLs")
        return None
    found = [(url, url_problem(url)) for url in value]
    # By position, not quoted: a URL may hold a token written into the file.
    problems.extend(f"{at}[{i}]: {problem}" for i, (_, problem) in enumerate(found) if problem)
    return tuple(url for url, problem in found if not problem)


def _is_weight(value: object) -> bool:
    """A number >= 0 that arithmetic can use: TOML's nan and inf are neither."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return False
    return math.isfinite(number) and number >= 0


def _terms(value: object, at: str, problems: list[str], *, allow_empty: bool) -> tuple[str, ...]:
    return checked_terms(value, at, problems, allow_empty=allow_empty)
