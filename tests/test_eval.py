"""monitor eval: scores on labeled items, every mistake explained, bad lines reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import ROOT

CONFIG = str(ROOT / "config" / "monitor.toml")
DATA = ROOT / "tests" / "data"

# What the shipped watch reaches on each labeled set; a change to the watch or the
# matcher that scores lower fails here. Raise these when the watch gets better.
FLOORS = {
    "nk_dev.jsonl": {"precision": 0.99, "recall": 0.99},
    "nk_validation.jsonl": {"precision": 0.99, "recall": 0.96},
    "nk_test.jsonl": {"precision": 0.99, "recall": 0.92},
    "nk_holdout2.jsonl": {"precision": 0.99, "recall": 0.92},
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
    assert isinstance(by_lang, dict) and {"de", "en", "ko"} <= set(by_lang)
    assert set(by_lang["ko"]) == {"precision", "recall", "f1"}


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
        {"id": "fn", "lang": "en", "title": "Pyongyang's men in Kursk", "summary": "", "label": 1},
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
