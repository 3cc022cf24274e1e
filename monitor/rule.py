"""A watch's ``rule``: which combination of groups makes a hit. Pure.

A rule is a boolean expression over group names (``-`` in a name is written ``_``),
read with Python's own parser and checked so that only these forms are accepted:

    north_korea and troops                       both groups present (title or summary)
    russia_war or deployment                     either
    not weapons_only                             absent
    near(north_korea, troops, 8)                 within 8 words, in the same field
    sentence(north_korea, troops)                in the same sentence
    title(north_korea)                           present in the title
    lead(troops)                                 in the headline or the lead (the
                                                 summary's first sentence)
    about(north_korea, troops, war)              all meet where a story is told: in the
                                                 headline with the lead (the summary's
                                                 first sentence), or in one sentence

Without a rule, every group with ``required = true`` must be present. A rule nests at
most ``MAX_DEPTH`` levels: the checks below, and the rule they build, recurse once per
level, so a rule of 3,000 nested ``not`` is refused rather than overflowing the stack.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

FUNCTIONS = {"near": 3, "sentence": 2, "title": 1, "lead": 1}
VARIADIC = {"about"}  # takes two or more groups
MAX_DEPTH = 32  # levels of the syntax tree; "a and (b or not near(c, d, 8))" has six
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels); write it flatter"


@dataclass(frozen=True)
class Place:
    """Where a group's term was found: field, word number, sentence number."""

    field: str
    word: int
    sentence: int


Found = Mapping[str, Sequence[Place]]  # group name -> where its terms stand
Rule = Callable[[Found], bool]


class RuleError(ValueError):
    """The rule cannot be used; the message says why."""


def ident(name: str) -> str:
    return name.replace("-", "_")


def compile_rule(text: str, groups: Sequence[str]) -> Rule:
    """Check ``text`` and return a function of the groups found. Raises ``RuleError``."""
    names = {ident(g): g for g in groups}
    try:
        with warnings.catch_warnings():
            # Python warns of some forms ("x is 1"); they are refused below in any case.
            warnings.simplefilter("ignore")
            tree = ast.parse(" ".join(text.split()), mode="eval").body  # may span lines
    except SyntaxError as exc:
        raise RuleError(f"not a valid expression: {exc.msg}") from None
    except ValueError as exc:  # a NUL character, on some Python releases
        raise RuleError(f"not a valid expression: {exc}") from None
    except (RecursionError, MemoryError):  # how the parser says its own stack ran out
        raise RuleError(TOO_DEEP) from None
    if _deeper_than(tree, MAX_DEPTH):
        raise RuleError(TOO_DEEP)
    return _compile(tree, names)


def _deeper_than(tree: ast.AST, limit: int) -> bool:
    """Whether the tree nests more than ``limit`` levels; a loop, as the tree may not fit
    the recursion ``_compile`` would need ("-" * 100_000, "a + " * 50_000 parse fine)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def _shown(node: ast.AST) -> str:
    """Part of a rule as a message quotes it, cut short."""
    text = ast.unparse(node)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _group(node: ast.expr, names: dict[str, str]) -> str:
    if not isinstance(node, ast.Name) or node.id not in names:
        shown = _shown(node)
        raise RuleError(f"{shown} is not a group of this watch ({', '.join(sorted(names))})")
    return names[node.id]


def _compile(node: ast.expr, names: dict[str, str]) -> Rule:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, names) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda found: all(p(found) for p in parts)
        return lambda found: any(p(found) for p in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, names)
        return lambda found: not inner(found)
    if isinstance(node, ast.Name):
        group = _group(node, names)
        return lambda found: group in found  # present: asks no places (match._Places)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _call(node.func.id, node, names)
    raise RuleError(
        f"{_shown(node)}: use group names, and, or, not, near, sentence, title, lead, about"
    )


def _call(name: str, node: ast.Call, names: dict[str, str]) -> Rule:
    usage = "near(a, b, words), sentence(a, b), title(a), lead(a) or about(a, b, ...)"
    if name in VARIADIC and not node.keywords and len(node.args) >= 2:
        groups = [_group(arg, names) for arg in node.args]
        return lambda found: meets(found, groups) is not None
    if name not in FUNCTIONS or node.keywords or len(node.args) != FUNCTIONS[name]:
        raise RuleError(f"{_shown(node)}: expected {usage}")
    if name == "title":
        group = _group(node.args[0], names)
        return lambda found: any(p.field == "title" for p in found.get(group, ()))
    if name == "lead":
        group = _group(node.args[0], names)
        return lambda found: any(_leads(p) for p in found.get(group, ()))
    a, b = _group(node.args[0], names), _group(node.args[1], names)
    if name == "sentence":
        return lambda found: _any_pair(found, a, b, lambda x, y: x.sentence == y.sentence)
    limit = node.args[2]
    number = limit.value if isinstance(limit, ast.Constant) else None
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:  # True is an int
        raise RuleError(f"{_shown(node)}: the distance must be a whole number of words")
    words = number
    return lambda found: _any_pair(found, a, b, lambda x, y: abs(x.word - y.word) <= words)


def _leads(place: Place) -> bool:
    """In the headline, or in the summary's first sentence: where a story is told."""
    return place.field == "title" or place.sentence == 0


def _any_pair(found: Found, a: str, b: str, close: Callable[[Place, Place], bool]) -> bool:
    return any(
        x.field == y.field and close(x, y) for x in found.get(a, ()) for y in found.get(b, ())
    )


def meeting(found: Found, groups: Sequence[str]) -> str | None:
    """Where all ``groups`` meet, as a person would say it, or None: the headline with
    the lead, else the first sentence (of the title, then the summary) holding all."""
    if all(any(_leads(p) for p in found.get(g, ())) for g in groups):
        return "the headline and the lead"
    units = sorted({(p.field != "title", p.sentence) for g in groups for p in found.get(g, ())})
    for later, number in units:
        field = "summary" if later else "title"
        if all(_in(found.get(g, ()), field, number) for g in groups):
            return f"sentence {number + 1} of the {field}"
    return None


def meets(found: Found, groups: Sequence[str]) -> str | None:
    """``meeting``, worked out once per entry when ``found`` keeps a ``meetings`` cache
    (``match._Places`` does): a rule and the hit's explanation ask the same question."""
    cache: dict[tuple[str, ...], str | None] | None = getattr(found, "meetings", None)
    if cache is None:
        return meeting(found, groups)
    key = tuple(groups)
    if key not in cache:
        cache[key] = meeting(found, groups)
    return cache[key]


def _in(places: Sequence[Place], field: str, sentence: int) -> bool:
    return any(p.field == field and p.sentence == sentence for p in places)


def conjuncts(text: str, groups: Sequence[str]) -> list[tuple[str, Rule]]:
    """The parts of a rule that ``compile_rule`` accepted that must all hold (its
    top-level ``and``), each as written and compiled: the first that fails is what an
    explanation names ("rule not met: lead(personnel) or title(prisoners)")."""
    names = {ident(g): g for g in groups}
    flat = " ".join(text.split())
    tree = ast.parse(flat, mode="eval").body
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    shown = [ast.get_source_segment(flat, part) or ast.unparse(part) for part in parts]
    return [(text_of, _compile(part, names)) for text_of, part in zip(shown, parts, strict=True)]


def about_groups(text: str, groups: Sequence[str]) -> list[list[str]]:
    """The group lists of every ``about(...)`` in a rule that ``compile_rule`` accepted,
    in the order written: what a hit's explanation says met where."""
    names = {ident(g): g for g in groups}
    tree = ast.parse(" ".join(text.split()), mode="eval")
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "about"
    ]
    calls.sort(key=lambda node: node.col_offset)  # walk goes level by level; text order
    return [
        [names[arg.id] for arg in node.args if isinstance(arg, ast.Name) and arg.id in names]
        for node in calls
    ]
