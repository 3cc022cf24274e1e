"""monitor eval: scores on labeled items, every mistake explained, bad lines reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.errors import MonitorError
from monitor.evaluate import decode_lines, read_items
from tests.conftest import ROOT

CONFIG = str(ROOT / "config" / "monitor.toml")
DATA = ROOT / "tests" / "data"

# JSON lines shaped like items, with any values: what a hand-edited file may hold.
JSON_ITEMS = st.fixed_dictionaries(
    {},
    optional={
        k: st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
        for k in ("id", "lang", "title", "summary", "label")
    },
).map(json.dumps)

# What the shipped watch reaches on each labeled set; a change to the watch or the
# matcher that scores lower fails here. Raise these when the watch gets better.
FLOORS = {
    "nk_dev.jsonl": {"precision": 0.99, "recall": 0.99},
    "nk_validation.jsonl": {"precision": 0.99, "recall": 0.99},
    "nk_test.jsonl": {"precision": 0.99, "recall": 0.97},
    "nk_holdout2.jsonl": {"precision": 0.99, "recall": 0.98},
    "match_dev.jsonl": {"precision": 0.99, "recall": 0.97},
    "match_dev3.jsonl": {"precision": 0.95, "recall": 0.79},
    "match_dev5.jsonl": {"precision": 0.97, "recall": 0.77},
    "match_holdout.jsonl": {"precision": 0.98, "recall": 0.97},
    # measured twice (first and last, README), development data since
    "match_holdout3.jsonl": {"precision": 0.98, "recall": 0.94},
    # measured on arrival, then read and tuned on
    "match_holdout6.jsonl": {"precision": 0.98, "recall": 0.92},
    "match_holdout8.jsonl": {"precision": 0.99, "recall": 0.95},
    "match_holdout9.jsonl": {"precision": 0.98, "recall": 0.98},
    "match_holdout10.jsonl": {"precision": 0.97, "recall": 0.95},
    "match_holdout11.jsonl": {"precision": 0.89, "recall": 0.91},
    "match_holdout12.jsonl": {"precision": 0.90, "recall": 0.94},
    "match_holdout13.jsonl": {"precision": 0.94, "recall": 0.93},
    # measured once on arrival, the last set written blind (README)
    "match_holdout14.jsonl": {"precision": 0.93, "recall": 0.93},
}


def run_eval(*args: str) -> tuple[str, dict[str, object]]:
    result = CliRunner().invoke(cli, ["--config", CONFIG, "eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(result.output.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_shipped_watch_keeps_its_scores(name: str) -> None:
    _, scores = run_eval(str(DATA / name), "--watch", "nk-troops-russia")
    assert scores["precision"] >= FLOORS[name]["precision"], scores
    assert scores["recall"] >= FLOORS[name]["recall"], scores
    assert set(scores) >= {"precision", "recall", "f1", "by_lang", "false_positives"}
    by_lang = scores["by_lang"]
    languages = {json.loads(line)["lang"] for line in (DATA / name).read_text().splitlines()}
    assert isinstance(by_lang, dict) and set(by_lang) == languages
    assert all(set(by_lang[lang]) == {"precision", "recall", "f1"} for lang in languages)


def test_the_dev_set_is_big_and_balanced_enough() -> None:
    items = [json.loads(line) for line in (DATA / "nk_dev.jsonl").read_text().splitlines()]
    assert len(items) >= 200
    assert 0.4 <= sum(i["label"] for i in items) / len(items) <= 0.6
    langs = {i["lang"] for i in items}
    assert {"de", "en", "ko"} <= langs and len(langs) >= 6


def test_mistakes_are_listed_with_their_explanation(tmp_path: Path) -> None:
    data = tmp_path / "items.jsonl"
    items = [
        {
            "id": "hit",
            "lang": "de",
            "title": "Nordkorea schickt Soldaten nach Russland",
            "summary": "",
            "label": 1,
        },
        {
            "id": "fn",
            "lang": "en",
            "title": "Boys far from home",
            "summary": "In Kursk.",
            "label": 1,
        },
        {
            "id": "fp",
            "lang": "en",
            "title": "North Korean troops fight for Russia",
            "summary": "<p>A drill, not real.</p>",
            "label": 0,
            "source": "ignored key",
        },
    ]
    lines = [json.dumps(i) for i in items]
    lines.insert(1, "{not json")
    lines.append(json.dumps({"id": "x", "lang": "en", "title": "t", "summary": "", "label": 2}))
    lines.append(json.dumps({"id": "y", "title": "t"}))
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output, scores = run_eval(str(data))
    assert scores["false_positives"] == ["fp"] and scores["false_negatives"] == ["fn"]
    assert scores["precision"] == 0.5 and scores["recall"] == 0.5 and scores["items"] == 3
    assert "line 2: not JSON" in output
    assert "line 5: label must be 0 or 1, got 2" in output
    assert "line 6: missing lang, summary, label" in output
    assert "rule not met" in output and "war: kursk*" in output  # why "fn" was missed


def test_unknown_watch_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--config", CONFIG, "eval", str(DATA / "nk_dev.jsonl"), "--watch", "nope"]
    )
    assert result.exit_code == 1
    assert "no watch named 'nope'; the watches are: nk-troops-russia" in result.output


def invoke_eval(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", CONFIG, "eval", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


GOOD = {"id": "ok", "lang": "de", "title": "Nordkorea schickt Soldaten", "summary": "", "label": 1}


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("[" * 100_000, "line 2: not JSON: nested too deeply"),
        ('{"id": ' + "1" * 5000 + "}", "line 2: not JSON: Exceeds the limit"),
        (
            '{"id": "\\ud800", "lang": "en", "title": "t", "summary": "", "label": 0}',
            "line 2: not text: a lone surrogate",
        ),
        (
            '{"id": "x", "lang": "en", "title": "t", "summary": "", "label": 1.5}',
            "line 2: label must be 0 or 1, got 1.5",
        ),
    ],
    ids=["deep-nesting", "huge-number", "lone-surrogate", "fractional-label"],
)
def test_a_hostile_line_is_reported_and_skipped(tmp_path: Path, bad: str, expected: str) -> None:
    data = tmp_path / "items.jsonl"
    data.write_text(json.dumps(GOOD) + "\n" + bad + "\n" + json.dumps(GOOD) + "\n")
    code, output = invoke_eval(data)
    assert code == 0, output
    assert output.startswith("2 items:") and expected in output


def test_an_undecodable_file_is_one_error_line(tmp_path: Path) -> None:
    data = tmp_path / "items.jsonl"
    data.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"id": "\xff\xfe"}\n')
    code, output = invoke_eval(data)
    assert code == 1
    assert output == f"Error: {data}: line 2 is not UTF-8 text\nHint: save it as UTF-8\n"


def test_a_byte_order_mark_is_no_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "items.jsonl"
    data.write_text(json.dumps(GOOD) + "\n", encoding="utf-8-sig")
    code, output = invoke_eval(data)
    assert code == 0 and output.startswith("1 items:") and "Skipped" not in output


@pytest.mark.parametrize(
    "content", ["", "\n\n", "{not json\n[1]\n"], ids=["empty", "blank", "only-bad-lines"]
)
def test_nothing_to_measure_is_an_error_not_a_perfect_score(tmp_path: Path, content: str) -> None:
    data = tmp_path / "items.jsonl"
    data.write_text(content, encoding="utf-8")
    code, output = invoke_eval(data)
    assert code == 1
    assert "precision" not in output
    assert f"Error: nothing to measure: {data} has no valid item" in output
    if content.startswith("{"):
        assert "line 1: not JSON" in output and "line 2: expected a JSON object" in output


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.text(), st.just("[" * 3000), JSON_ITEMS), max_size=5))
def test_the_reader_turns_any_line_into_an_item_or_a_problem(lines: list[str]) -> None:
    problems: list[str] = []
    items = read_items(lines, problems)
    counted = sum(1 for line in lines if line.strip())
    assert len(items) + len(problems) == counted
    assert all(p.startswith("line ") for p in problems)
    for item in items:
        assert item.label in (0, 1) and type(item.label) is int
        item.title.encode("utf-8")  # everything kept can be printed


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_fail_with_the_line(data: bytes) -> None:
    try:
        lines = decode_lines(data, "f.jsonl")
    except MonitorError as exc:
        assert str(exc).startswith("f.jsonl: line ") and "is not UTF-8 text" in str(exc)
    else:
        assert "\n".join(lines).encode("utf-8") == data.removeprefix(b"\xef\xbb\xbf").replace(
            b"\r\n", b"\n"
        )
