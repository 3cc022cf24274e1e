"""learn: the watch measured on the reader's marks, and what the marks propose to change.

Unit tests on hand-written labels with a small watch and exact numbers; a property test
of what suggest() may never propose; the CLI (``eval --marks``, ``suggest``) over a real
SQLite file, with hits stored by a poll, marked with ``monitor mark`` and flagged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cli import cli, open_store
from monitor.config import load
from monitor.learn import Label, labels_from_rows, marks_report, suggest
from monitor.match import CompiledWatch, Matcher
from monitor.records import Entry, FetchResult
from monitor.store import Store
from monitor.terms import fold_text
from monitor.watch import GroupSpec, WatchSpec
from monitor.worker import process_body
from tests.conftest import rss_of, write_config

NK = GroupSpec("nk", ("north korea*", "pyongyang", "북한*"))
TROOPS = GroupSpec("troops", ("troop*", "soldier*"))
CONTEXT = GroupSpec("context", ("kursk",), required=False)
JCS = GroupSpec("jcs", ("jcs",), required=False)
SPEC = WatchSpec("w", (NK, TROOPS, CONTEXT, JCS), exclude=("satellite",))
MATCHER = Matcher([SPEC])

LABELS = [
    Label(1, 1, "North Korean troops in Kursk", "", "en"),  # true positive
    Label(2, 1, "Pyongyang sends more troops to Russia", "", "de"),  # true positive
    Label(3, 0, "Pyongyang soldiers parade for tourists", "", "en"),  # false positive
    Label(4, 0, "Pyongyang soldiers parade again", "", "en"),  # false positive
    Label(5, 1, "North Korea conscripts reach the front", "", "en", "flagged"),  # missed
    Label(6, 1, "Conscripts from North Korea seen near Kursk", "", "de", "flagged"),  # missed
    Label(7, 0, "North Korea troops satellite launch", "", "en"),  # excluded: true negative
    Label(8, 1, "Conscripts of Pyongyang fight", "", None),  # a hit that no longer matches
]


def test_the_report_scores_the_watch_as_it_is_now_on_the_marks() -> None:
    report = marks_report(SPEC, MATCHER, LABELS).as_dict()
    assert {k: report[k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 2, "fp": 2, "fn": 3, "tn": 1}
    assert (report["precision"], report["recall"], report["f1"]) == (0.5, 0.4, 0.4444)
    assert (report["labels"], report["relevant"], report["irrelevant"], report["flagged"]) == (
        8,
        5,
        3,
        2,
    )
    assert report["by_lang"] == {
        "de": {"precision": 1.0, "recall": 0.5, "f1": 0.6667},
        "en": {"precision": 0.3333, "recall": 0.5, "f1": 0.4},
        "unknown": {"precision": 1.0, "recall": 0.0, "f1": 0.0},
    }
    assert report["false_positives"] == [3, 4]
    assert report["false_negatives"] == [5, 6, 8]  # the flagged misses among them


def test_the_report_says_where_each_group_and_term_fires() -> None:
    report = marks_report(SPEC, MATCHER, LABELS)
    counts = [(g.group, g.relevant, g.irrelevant) for g in report.groups]
    assert counts == [("nk", 5, 3), ("troops", 2, 3), ("context", 2, 0), ("jcs", 0, 0)]
    assert report.silent == ["jcs"]
    terms = [(t.term, t.group, t.relevant, t.irrelevant) for t in report.terms]
    assert terms == [
        ("pyongyang", "nk", (2, 8), (3, 4)),
        ("soldier*", "troops", (), (3, 4)),  # in irrelevant entries only
        ("north korea*", "nk", (1, 5, 6), (7,)),
        ("troop*", "troops", (1, 2), (7,)),
    ]  # most often in irrelevant ones first, ties by the term; no exclude term


def test_every_mistake_says_why() -> None:
    mistakes = {m.hit_id: m for m in marks_report(SPEC, MATCHER, LABELS).mistakes}
    assert mistakes[3].kind == "false positive"
    assert mistakes[3].why == "hit, score 4 [nk: pyongyang; troops: soldier*]"
    assert (mistakes[5].kind, mistakes[5].origin) == ("false negative", "flagged")
    assert mistakes[5].why == "no term of required group troops [nk: north korea*]"
    assert mistakes[8].language == "unknown" and 7 not in mistakes


def test_suggest_proposes_a_word_to_add_a_term_to_narrow_and_a_word_to_exclude() -> None:
    found = suggest(SPEC, MATCHER, LABELS)
    (add,) = found.add
    assert (add.kind, add.text, add.group, add.support, add.hit_ids) == (
        "add",
        "conscripts",
        "troops",  # the required group missing in the entries it stands in
        3,
        (5, 6, 8),
    )
    assert add.missing == (("troops", 3),)
    assert add.titles[0] == "North Korea conscripts reach the front"
    (narrow,) = found.narrow  # pyongyang fires in two relevant hits too: not proposed
    assert (narrow.text, narrow.group, narrow.hit_ids, narrow.against) == (
        "soldier*",
        "troops",
        (3, 4),
        (),
    )
    (exclude,) = found.exclude
    assert (exclude.text, exclude.group, exclude.support, exclude.hit_ids) == (
        "parade",
        None,
        2,
        (3, 4),
    )
    assert found.as_dict()["add"][0]["missing"] == {"troops": 3}


def test_min_support_asks_for_more_entries_behind_each_proposal() -> None:
    found = suggest(SPEC, MATCHER, LABELS, min_support=3)
    assert [s.text for s in found.add] == ["conscripts"]
    assert found.narrow == () and found.exclude == ()
    once = suggest(SPEC, MATCHER, LABELS, min_support=1)
    assert [s.text for s in once.add][:1] == ["conscripts"]
    assert {"reach", "fight", "seen", "near"} <= {s.text for s in once.add}
    assert "seen near" not in {s.text for s in once.add}  # its words do alone
    assert "front" in {s.text for s in once.add} and "the" not in {s.text for s in once.add}
    assert [s.support for s in once.add] == sorted((s.support for s in once.add), reverse=True)


def test_a_phrase_is_proposed_when_neither_of_its_words_would_do() -> None:
    labels = [
        Label(1, 1, "North Korea storm corps in Kursk", "", "en", "flagged"),
        Label(2, 1, "Storm corps of North Korea advance", "", "en", "flagged"),
        Label(3, 0, "Winter storm hits North Korea troops", "", "en"),
        Label(4, 0, "Engineer corps of North Korea troops build roads", "", "en"),
    ]
    found = suggest(SPEC, MATCHER, labels)
    assert [(s.text, s.group, s.hit_ids) for s in found.add] == [("storm corps", "troops", (1, 2))]


def test_a_korean_word_found_with_a_particle_in_an_irrelevant_entry_is_not_proposed() -> None:
    labels = [
        Label(1, 1, "북한 신병 도착", "", "ko", "flagged"),
        Label(2, 1, "북한 신병 훈련", "", "ko", "flagged"),
        Label(3, 1, "북한 공병 도착", "", "ko", "flagged"),
        Label(4, 0, "신병이 입대", "", "ko"),  # the term 신병 would find 신병이
    ]
    found = suggest(SPEC, MATCHER, labels)
    assert [(s.text, s.hit_ids) for s in found.add] == [("도착", (1, 3))]


def test_labels_are_read_from_the_rows_of_the_store() -> None:
    row = {"hit_id": 4, "label": 1, "title": "t", "summary": None, "language": "de"}
    assert labels_from_rows([{**row, "origin": "flagged", "status": "relevant"}]) == [
        Label(4, 1, "t", "", "de", "flagged")
    ]


WORDS = [
    "north korea",
    "pyongyang",
    "troops",
    "soldiers",
    "conscripts",
    "parade",
    "film",
    "the",
    "kursk",
    "jcs",
    "satellite",
    "북한군",
    "신병",
    "신병이",
    "3000",
    "x",
    ".",
]
TEXTS = st.one_of(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), st.text(max_size=30))
LABELLED = st.lists(st.tuples(TEXTS, TEXTS, st.booleans(), st.booleans()), max_size=12)


@settings(max_examples=150, deadline=None)
@given(LABELLED, st.integers(min_value=1, max_value=3))
def test_suggest_never_proposes_what_the_watch_finds_or_an_irrelevant_entry_holds(
    rows: list[tuple[str, str, bool, bool]], min_support: int
) -> None:
    labels = [
        Label(i, int(relevant), title, summary, "en", "flagged" if relevant and flag else "match")
        for i, (title, summary, relevant, flag) in enumerate(rows, start=1)
    ]
    found = suggest(SPEC, MATCHER, labels, min_support)
    watch = CompiledWatch(SPEC)
    held = set()
    for label in labels:
        if not label.label:
            for folded in (fold_text(label.title), fold_text(label.summary)):
                tokens = folded.split()
                held |= set(tokens) | {f"{a} {b}" for a, b in pairwise(tokens)}
    for proposal in (*found.add, *found.exclude):
        assert not watch.verdict(proposal.text, "").found, proposal
    for proposal in found.add:
        assert proposal.text not in held, proposal
    for proposals in (found.add, found.narrow, found.exclude):
        assert [(-s.support, s.text) for s in proposals] == sorted(
            (-s.support, s.text) for s in proposals
        )
        for s in proposals:
            assert s.support == len(s.hit_ids) == len(set(s.hit_ids)) == len(s.titles)
            assert s.support >= min_support


# --- the commands, over a real database -------------------------------------------------

NOW = datetime(2025, 4, 28, 9, 0, tzinfo=UTC)
WATCH_FILE = """\
description = "North Korean troops in Russia's war (a test watch)"

[[groups]]
name = "north-korea"
terms = ["north korea*", "pyongyang*", "dprk"]

[[groups]]
name = "personnel"
terms = ["troop*", "soldier*"]

[[groups]]
name = "war"
terms = ["russia*", "kursk*", "moscow"]
"""
TROOPS_HIT = Entry("a", None, "North Korean troops fight in Kursk", "", NOW, "en")
FILM_1 = Entry("b", None, "DPRK film shows soldiers in Moscow", "", NOW, "en")
FILM_2 = Entry("c", None, "DPRK film festival: soldiers march on Russia", "", NOW, "en")
MISS_1 = Entry("d", None, "Pyongyang conscripts reach Kursk", "", NOW, "en")
MISS_2 = Entry("e", None, "More conscripts from Pyongyang arrive in Russia", "", NOW, "en")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    watches = tmp_path / "watches"
    watches.mkdir()
    (watches / "nk.toml").write_text(WATCH_FILE, encoding="utf-8")
    return write_config(tmp_path, {"yna": "http://127.0.0.1:9/rss"}, watches=watches)


def poll(config: Path, *entries: Entry) -> Store:
    loaded = load(config)
    store = open_store(loaded)
    store.sync_feeds(list(loaded.feeds))
    parsed = process_body(rss_of(*entries), {}, "en", Matcher(loaded.watches))
    store.record_poll(
        loaded.feeds[0], FetchResult("ok"), parsed, error=None, next_attempt_at=NOW, now=NOW
    )
    return store


def run(config: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def marked(config: Path) -> dict[str, int]:
    """One relevant hit, two irrelevant ones, two flagged near misses; hit ids by entry."""
    store = poll(config, TROOPS_HIT, FILM_1, FILM_2, MISS_1, MISS_2)
    try:
        for miss in store.near_misses(watch="nk"):
            store.flag_miss(miss["id"], NOW)
        rows = store.conn.execute(
            "SELECT hits.id, entries.key FROM hits JOIN entries ON entries.id = hits.entry_id"
        )
        ids = {key.removeprefix("guid:"): int(hit_id) for hit_id, key in rows}
    finally:
        store.close()
    assert set(ids) == {"a", "b", "c", "d", "e"}
    run(config, "mark", str(ids["a"]), "relevant")
    run(config, "mark", str(ids["b"]), "irrelevant")
    run(config, "mark", str(ids["c"]), "irrelevant")
    return ids


def test_eval_marks_counts_a_flagged_miss_as_a_false_negative(
    config: Path, marked: dict[str, int]
) -> None:
    report = json.loads(run(config, "eval", "--marks", "--json"))
    assert {k: report[k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 1, "fp": 2, "fn": 2, "tn": 0}
    assert (report["precision"], report["recall"], report["flagged"]) == (0.3333, 0.3333, 2)
    assert report["false_negatives"] == sorted([marked["d"], marked["e"]])
    assert report["false_positives"] == sorted([marked["b"], marked["c"]])
    dprk = next(t for t in report["terms"] if t["term"] == "dprk")
    assert (dprk["irrelevant"], dprk["relevant"]) == (2, 0)
    text = run(config, "eval", "--marks")
    assert text.startswith("nk on 5 labels (3 relevant, 2 of them flagged; 2 irrelevant):")
    assert "False negatives (2):" in text and "(flagged)" in text
    assert "no term of required group personnel" in text


def test_suggest_proposes_the_word_of_two_flagged_misses_and_the_term_of_irrelevant_hits(
    config: Path, marked: dict[str, int]
) -> None:
    found = json.loads(run(config, "suggest", "--json"))
    films = sorted([marked["b"], marked["c"]])
    misses = sorted([(marked["d"], MISS_1.title), (marked["e"], MISS_2.title)])
    assert found["add"] == [
        {
            "text": "conscripts",
            "group": "personnel",
            "support": 2,
            "hit_ids": [hit_id for hit_id, _ in misses],
            "titles": [title for _, title in misses],  # in the order of the hit ids
            "missing": {"personnel": 2},
        }
    ]
    narrow = {(s["text"], s["group"]): s for s in found["narrow"]}
    assert narrow[("dprk", "north-korea")]["hit_ids"] == films
    assert narrow[("dprk", "north-korea")]["relevant_hits"] == []
    assert [(s["text"], s["hit_ids"]) for s in found["exclude"]] == [("film", films)]
    text = run(config, "suggest", "--watch", "nk")
    assert '"conscripts" to personnel: in 2 missed relevant entries' in text
    assert "then: monitor rescan --watch nk" in text
    assert run(config, "suggest", "--min-support", "3", "--json").count('"text"') == 0


def test_without_labels_both_commands_say_how_to_make_some(config: Path) -> None:
    poll(config, TROOPS_HIT).close()
    how = "`monitor mark ID relevant|irrelevant` or flag near misses with `monitor flag ID`"
    output = run(config, "eval", "--marks", code=1)
    assert output == f"Error: nothing to measure: no labels for nk yet: mark hits with {how}\n"
    assert run(config, "suggest") == f"no labels for nk yet: mark hits with {how}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: give FILE, or --marks to measure on the reader's marks"),
        (["items.jsonl", "--marks"], "Error: give FILE or --marks, not both"),
        (["--marks", "--stories"], "Error: --stories measures a FILE of labeled entries"),
    ],
    ids=["neither", "both", "stories"],
)
def test_eval_takes_a_file_or_the_marks(
    config: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "items.jsonl").write_text("", encoding="utf-8")
    args = [str(tmp_path / a) if a.endswith(".jsonl") else a for a in args]
    output = run(config, "eval", *args, code=2)
    assert message in output and output.count("Error:") == 1
