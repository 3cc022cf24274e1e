"""Hostile watch files: rules, terms and whole files that are wrong in every way.

Whatever a watch file holds, reading it gives a ``WatchSpec`` or a list of problems,
never another exception; and a watch that reads as valid compiles and matches.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.match import Matcher
from monitor.records import Entry
from monitor.rule import Place, RuleError, compile_rule
from monitor.terms import term_problem
from monitor.watch import GROUP_KEYS, WATCH_KEYS, load_watches, watch_from_dict

FEW = settings(max_examples=150, deadline=None)
GROUPS = ["nk", "troops", "north-korea"]
TEXT = Entry(
    "k", None, "Nordkorea schickt Truppen: 3000 Soldaten", "north korea troops", None, None
)


def rule_is_safe(text: str) -> None:
    """``compile_rule`` answers with a rule or a ``RuleError``; a rule it gives runs."""
    try:
        rule = compile_rule(text, GROUPS)
    except RuleError as exc:
        assert str(exc)
        return
    place = Place("title", 1, 0)
    for found in ({}, {"nk": [place]}, {g: [place] for g in GROUPS}):
        assert rule(found) in (True, False)


# --- rules ---------------------------------------------------------------------------------

RULE_WORDS = st.sampled_from(
    ["nk", "troops", "north_korea", "x", "not", "and", "or", "(", ")", "near(", "sentence(",
     "lead(", "title(", ",", "8", "-1", "0", "True", "lambda:", "**", "+", "-", "[", "]", ".", "if",
     "else", "'s'", "1e999", "\n", "\x00", "=", ":=", "is", "*", "f'{x}'"]
)  # fmt: skip


@FEW
@given(st.text(max_size=80))
def test_any_text_as_a_rule(text: str) -> None:
    rule_is_safe(text)


@FEW
@given(st.lists(RULE_WORDS, max_size=30).map(" ".join))
def test_any_sequence_of_rule_words(text: str) -> None:
    rule_is_safe(text)


def nested(leaf: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            inner.map(lambda a: f"not {a}"),
            inner.map(lambda a: f"({a})"),
            inner.map(lambda a: f"title({a})"),
            inner.map(lambda a: f"lead({a})"),
            st.tuples(inner, inner).map(lambda ab: f"({ab[0]} and {ab[1]})"),
            st.tuples(inner, inner).map(lambda ab: f"{ab[0]} or {ab[1]}"),
            st.tuples(inner, inner).map(lambda ab: f"near({ab[0]}, {ab[1]}, 3)"),
            st.tuples(inner, inner).map(lambda ab: f"{ab[0]} + {ab[1]}"),
        ),
        max_leaves=40,
    )


@FEW
@given(nested(st.sampled_from(["nk", "troops", "north_korea", "nope", "1"])))
def test_nested_rules(text: str) -> None:
    rule_is_safe(text)


CHAINS = ["not {}", "({})", "title({})", "- {}", "{} + nk", "nk ** {}", "near({}, nk, 3)", "{}.x"]


@FEW
@given(st.integers(min_value=0, max_value=4000), st.lists(st.sampled_from(CHAINS), min_size=1))
def test_rules_nested_to_any_depth(depth: int, wrappers: list[str]) -> None:
    text = "nk"
    for level in range(depth):
        text = wrappers[level % len(wrappers)].format(text)
    rule_is_safe(text)


@pytest.mark.parametrize(
    "text",
    [
        "not " * 3000 + "nk",
        "not " * 100_000 + "nk",
        "(" * 250 + "nk" + ")" * 250,
        "(" * 5000 + "nk" + ")" * 5000,
        "title(" * 300 + "nk" + ")" * 300,
        "-" * 100_000 + "nk",
        "nk + " * 50_000 + "nk",
        "nk ** " * 5000 + "nk",
        "nk." * 50_000 + "x",
        "nk if troops else " * 3000 + "nk",
        "(not " * 190 + "nk" + ")" * 190,
    ],
    ids=lambda t: t[:12] + f"…{len(t)}",
)
def test_deeply_nested_rules_are_refused_not_crashed(text: str) -> None:
    with pytest.raises(RuleError):
        compile_rule(text, GROUPS)


def test_a_long_flat_rule_is_still_a_rule() -> None:
    rule = compile_rule(" or ".join(["troops"] * 20_000 + ["nk"]), GROUPS)
    assert rule({"nk": [Place("title", 1, 0)]}) is True
    assert rule({}) is False


def test_a_refused_rule_does_not_quote_a_whole_novel() -> None:
    with pytest.raises(RuleError, match="expected near") as info:
        compile_rule("near(" + ", ".join(["nk"] * 500) + ")", GROUPS)
    assert len(str(info.value)) < 200


# --- terms ---------------------------------------------------------------------------------


def term_is_safe(term: str) -> None:
    """``term_problem`` answers with a reason or None; a term it accepts compiles and runs."""
    problem = term_problem(term)
    if problem is not None:
        assert isinstance(problem, str) and problem
        return
    spec, problems = watch_from_dict("w", {"groups": [{"terms": [term]}]}, where="w.toml")
    assert spec is not None, problems
    matcher = Matcher([spec])
    matcher.matches(TEXT)
    matcher.verdicts(TEXT)


REGEX_PARTS = st.sampled_from(
    [
        *"()[]{}*+?|\\^$.,:-=!<>#0123456789aPbdwsS",
        "(?",
        "(?P<",
        "(?i)",
        "(?L)",
        "\\1",
        "{999999999}",
    ]
)


@FEW
@given(st.text(max_size=40))
@example("re:a{4294967296}")
@example("re:" + "(" * 1200 + ")" * 1200)
@example("re:" + "(" * 1200 + "a" + ")" * 1200)
@example("re:(?L)a")
@example("re:")
@example("*")
@example("re:\x00")
def test_any_text_as_a_term(term: str) -> None:
    term_is_safe(term)


@FEW
@given(st.text(max_size=30))
def test_any_regular_expression_as_a_term(pattern: str) -> None:
    term_is_safe("re:" + pattern)


@FEW
@given(st.lists(REGEX_PARTS, max_size=20).map("".join))
def test_any_sequence_of_regex_parts_as_a_term(pattern: str) -> None:
    term_is_safe("re:" + pattern)


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        ("re:a{4294967296}", "invalid regular expression"),
        ("re:" + "(" * 1200 + "a" + ")" * 1200, "invalid regular expression"),
        ("re:(?L)a", "invalid regular expression"),
        # A pattern that finds empty text would be found in every entry.
        ("re:", "matches empty text"),
        ("re:\\d*", "matches empty text"),
        ("re:(troops)?", "matches empty text"),
    ],
)
def test_bad_regular_expressions_are_named(term: str, problem: str) -> None:
    found = term_problem(term)
    assert found is not None and problem in found, found


# --- whole watch files ---------------------------------------------------------------------

SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.floats(),  # nan and inf included: TOML has both
    st.booleans(),
    st.datetimes(max_value=dt.datetime(9999, 1, 1)),
    st.dates(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
TERMS = st.lists(
    st.one_of(st.text(max_size=10), st.sampled_from(["re:\\d+", "nordkorea*", "troops", "re:a?"])),
    min_size=1,
    max_size=3,
)
ANY_KEY = st.one_of(st.sampled_from(sorted(WATCH_KEYS | GROUP_KEYS)), st.text(max_size=6))


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value that is usually of the right shape (edge cases included), sometimes any."""
    return st.one_of(good, good, good, VALUES)


GROUP = st.fixed_dictionaries(
    {"terms": mostly(TERMS)},
    optional={
        "name": mostly(
            st.sampled_from(["nk", "troops", "north-korea", "north_korea", "exclude", ""])
        ),
        "required": mostly(st.booleans()),
        "weight": mostly(st.floats() | st.integers()),
    },
)
WATCH = st.fixed_dictionaries(
    {"groups": mostly(st.lists(mostly(GROUP), min_size=1, max_size=3))},
    optional={
        "description": mostly(st.text(max_size=10)),
        "min_score": mostly(st.floats() | st.integers()),
        "title_weight": mostly(st.floats() | st.integers()),
        "summary_weight": mostly(st.floats() | st.integers()),
        "exclude": mostly(TERMS),
        "rule": mostly(nested(st.sampled_from(["nk", "troops", "north_korea", "group1", "zz"]))),
        "alert_to": mostly(st.lists(st.sampled_from(["a@example.org", "x", "@", "a@b\nBcc: c@d"]))),
        "alert_mode": mostly(st.sampled_from(["immediate", "digest", "both", "none", "x"])),
    },
)


@settings(max_examples=200, deadline=None)
@given(WATCH, st.dictionaries(ANY_KEY, VALUES, max_size=2))
@example({"groups": [{"terms": ["a"], "name": "nk"}, {"terms": ["b"], "name": "nk"}]}, {})
@example({"groups": [{"terms": ["a"], "weight": math.nan}], "min_score": math.inf}, {})
@example({"groups": [{"terms": ["a"], "name": "exclude"}], "rule": "not " * 3000 + "exclude"}, {})
def test_any_watch_data_gives_a_watch_or_problems(
    data: dict[str, Any], more: dict[str, Any]
) -> None:
    data = {**more, **data} if len(more) == 1 else data  # now and then an unknown key
    spec, problems = watch_from_dict("w", data, where="w.toml")
    assert all(isinstance(p, str) and p.startswith("w.toml: ") for p in problems)
    if spec is None:
        assert problems
        return
    assert not problems
    for number in (spec.min_score, spec.title_weight, spec.summary_weight):
        assert math.isfinite(number) and number >= 0
    names = [g.name for g in spec.groups]
    assert len(set(names)) == len(names) and "exclude" not in names
    Matcher([spec]).verdicts(TEXT)


@FEW
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
@example(b"a = " + b"[" * 3000 + b"]" * 3000)
@example(b"a = " + b"{b=" * 2000 + b"1" + b"}" * 2000)
@example(b"a = " + b"9" * 5000)
@example(b"\xff\xfe")
def test_any_bytes_as_a_watch_file(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "w.toml").write_bytes(body)
        watches, problems = load_watches(Path(folder))
    assert bool(watches) != bool(problems)
    assert all(isinstance(p, str) for p in problems)


def test_a_folder_named_like_a_watch_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "x.toml").mkdir()
    (tmp_path / "ok.toml").write_text('[[groups]]\nterms = ["nk"]\n', encoding="utf-8")
    watches, problems = load_watches(tmp_path)
    assert [w.name for w in watches] == ["ok"]
    assert problems == [f"{tmp_path / 'x.toml'}: expected a watch file, found a folder"]


@pytest.mark.parametrize(
    ("groups", "problem"),
    [
        (
            [{"name": "nk", "terms": ["a"]}, {"name": "nk", "terms": ["b"]}],
            "groups[1].name: 'nk' is used by another group; names must be unique",
        ),
        (
            [{"name": "north-korea", "terms": ["a"]}, {"name": "north_korea", "terms": ["b"]}],
            "groups[1].name: 'north_korea' is used by another group",
        ),
        (
            [{"name": "exclude", "terms": ["a"]}],
            "groups[0].name: 'exclude' is reserved for the exclude terms",
        ),
        ([{"terms": ["a"], "weight": math.nan}], "groups[0].weight: expected a number >= 0"),
        ([{"terms": ["a"], "weight": math.inf}], "groups[0].weight: expected a number >= 0"),
    ],
)
def test_group_names_and_weights(groups: list[dict[str, Any]], problem: str) -> None:
    spec, problems = watch_from_dict("w", {"groups": groups}, where="w.toml")
    assert spec is None and len(problems) == 1 and problem in problems[0], problems


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"min_score": math.nan}, "min_score: expected a number >= 0, got nan"),
        ({"title_weight": math.inf}, "title_weight: expected a number >= 0, got inf"),
        ({"alert_to": ["a@b.org\nBcc: c@d.org"]}, "alert_to: expected a list of email addresses"),
        ({"alert_to": ["@"]}, "alert_to: expected a list of email addresses"),
    ],
)
def test_watch_numbers_and_addresses(data: dict[str, Any], problem: str) -> None:
    spec, problems = watch_from_dict("w", {"groups": [{"terms": ["a"]}], **data}, where="w.toml")
    assert spec is None and len(problems) == 1 and problem in problems[0], problems


def test_a_watch_file_name_with_a_line_break_is_refused() -> None:
    spec, problems = watch_from_dict("w\n", {"groups": [{"terms": ["a"]}]}, where="w.toml")
    assert spec is None and "file name" in problems[0]
