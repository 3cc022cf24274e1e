"""Near misses: what a watch almost took is kept; a flagged one becomes a hit and a label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config import load
from monitor.housekeeping import prune
from monitor.match import Matcher
from monitor.records import Entry, FeedConfig, FetchResult
from monitor.store import AlertPlan, Store
from monitor.stories.keep import StoryKeeper
from monitor.worker import process_body
from tests.conftest import rss_of

ROOT = Path(__file__).resolve().parent.parent
WATCH = load(ROOT / "config" / "monitor.toml").watches[0]
MATCHER = Matcher([WATCH])
NOW = datetime(2025, 4, 28, 9, 0, tzinfo=UTC)
FEED = FeedConfig("yna", "https://en.yna.co.kr/rss", timedelta(minutes=15), "yna")

SUMMIT = Entry("a", None, "Kim Jong Un meets Putin in Moscow", "Talks on trade.", NOW, "en")
TROOPS = Entry("b", None, "North Korean troops fight in Kursk", "", NOW, "en")
SPORT = Entry("c", None, "Bundesliga: Bayern win again", "", NOW, "de")
# Two stories in one summary: Russian troops in one sentence, a North Korean test in
# another, so North Korea and the soldiers never meet where the story is told.
APART = Entry(
    "d",
    None,
    "World news in brief",
    "Russian troops advanced near Pokrovsk on Monday. Elsewhere, Pyongyang tested a"
    " cruise missile, state media said. Soldiers were also seen at the border.",
    NOW,
    "en",
)


def near(entry: Entry) -> list[tuple[str, tuple[str, ...]]]:
    _matches, found = MATCHER.judge(entry)
    return [(m.why, m.missing) for m in found]


def test_an_entry_lacking_one_required_group_is_a_near_miss_that_names_it() -> None:
    assert near(SUMMIT) == [("no term of personnel", ("personnel",))]


def test_a_hit_and_an_entry_with_nothing_in_common_are_not_near_misses() -> None:
    assert MATCHER.judge(TROOPS)[0] and near(TROOPS) == []
    assert near(SPORT) == []


def test_concepts_in_two_stories_of_one_summary_are_a_near_miss_that_says_so() -> None:
    ((why, missing),) = near(APART)
    assert missing == ()
    assert why == "north-korea, personnel do not meet in the headline, the lead or a sentence"


@given(st.text(max_size=200), st.text(max_size=400))
def test_judge_agrees_with_matches_and_a_near_miss_lacks_at_most_one_group(
    title: str, summary: str
) -> None:
    entry = Entry("k", None, title, summary, NOW, None)
    matches, found = MATCHER.judge(entry)
    assert matches == MATCHER.matches(entry)
    required = {g.name for g in WATCH.groups if g.required}
    for miss in found:
        assert not matches and set(miss.missing) <= required and len(miss.missing) <= 1
        assert miss.why


@pytest.fixture
def store(tmp_path: Path) -> Store:
    plan = AlertPlan(("immediate",), ("reader@example.org",))
    s = Store(tmp_path / "m.db", alerts={WATCH.name: plan}, stories=StoryKeeper([WATCH]))
    s.sync_feeds([FEED])
    return s


def poll(store: Store, *entries: Entry, now: datetime = NOW) -> None:
    parsed = process_body(rss_of(*entries), {}, "en", MATCHER)
    store.record_poll(FEED, FetchResult("ok"), parsed, error=None, next_attempt_at=now, now=now)


def test_a_poll_keeps_near_misses_newest_first_and_never_for_a_hit(store: Store) -> None:
    poll(store, SUMMIT, TROOPS, SPORT)
    poll(store, APART, now=NOW + timedelta(hours=1))
    listed = store.near_misses(watch=WATCH.name)
    assert [r["title"] for r in listed] == [APART.title, SUMMIT.title]
    assert listed[1]["missing"] == ["personnel"] and "putin*" in listed[1]["matched"]
    assert store.count_near_misses(watch=WATCH.name) == 2
    assert store.count_near_misses(watch="other") == 0
    assert store.near_misses(since=NOW + timedelta(minutes=30)) == listed[:1]
    poll(store, SUMMIT, now=NOW + timedelta(hours=2))  # seen again: still one row
    assert store.count_near_misses() == 2


def alerts_of(store: Store, hit_id: int) -> list[str]:
    rows = store.conn.execute("SELECT kind FROM alerts WHERE hit_id = ?", [hit_id])
    return [r[0] for r in rows]


def test_a_flagged_near_miss_becomes_a_relevant_hit_with_an_alert_and_a_story(
    store: Store,
) -> None:
    poll(store, SUMMIT)
    (miss,) = store.near_misses()
    hit_id = store.flag_miss(miss["id"], NOW + timedelta(hours=1), note="the summit sealed it")
    assert hit_id is not None
    hit = store.hit(hit_id)
    assert hit is not None
    assert (hit["origin"], hit["status"], hit["note"]) == (
        "flagged",
        "relevant",
        "the summit sealed it",
    )
    assert hit["story"] is not None
    assert alerts_of(store, hit_id) == ["immediate"]
    assert store.near_misses() == []
    assert [r["hit_id"] for r in store.near_misses(flagged=True)] == [hit_id]
    assert store.flag_miss(miss["id"], NOW + timedelta(hours=2)) == hit_id  # once only
    assert alerts_of(store, hit_id) == ["immediate"]
    assert store.flag_miss(999, NOW) is None


def test_a_rescan_keeps_a_flagged_hit_and_judges_near_misses_again(store: Store) -> None:
    poll(store, SUMMIT, APART)
    summit = next(r for r in store.near_misses() if r["title"] == SUMMIT.title)
    hit_id = store.flag_miss(summit["id"], NOW)
    assert hit_id is not None
    entry_ids = [r[0] for r in store.conn.execute("SELECT id FROM entries ORDER BY id")]
    counts = store.apply_rescan([WATCH.name], [(i, ()) for i in entry_ids], NOW)
    assert counts["unmatched"] == 0
    hit = store.hit(hit_id)
    assert hit is not None and hit["still_matches"]
    # A watch that no longer finds anything of APART: its near miss goes, the flag stays.
    assert store.replace_near([WATCH.name], [(i, ()) for i in entry_ids], NOW) == 0
    assert store.near_misses() == [] and len(store.near_misses(flagged=True)) == 1


def test_labelled_reads_marks_and_flags_with_their_labels(store: Store) -> None:
    poll(store, SUMMIT, TROOPS)
    (miss,) = store.near_misses()
    flagged = store.flag_miss(miss["id"], NOW)
    (troops,) = [r[0] for r in store.conn.execute("SELECT id FROM hits WHERE origin = 'match'")]
    assert [r["hit_id"] for r in store.labelled(WATCH.name)] == [flagged]  # unmarked: no label
    store.conn.execute("UPDATE hits SET status = 'irrelevant' WHERE id = ?", [troops])
    labels = {r["hit_id"]: (r["label"], r["origin"]) for r in store.labelled(WATCH.name)}
    assert labels == {troops: (0, "match"), flagged: (1, "flagged")}


def test_prune_takes_the_near_misses_of_the_entries_it_deletes(store: Store) -> None:
    poll(store, SUMMIT, APART)
    (apart,) = [r for r in store.near_misses() if r["title"] == APART.title]
    store.flag_miss(apart["id"], NOW)
    entries, _log = prune(store, NOW + timedelta(days=100), timedelta(days=90))
    assert entries == 1  # the summit; the flagged entry is a hit now
    assert store.near_misses() == [] and len(store.near_misses(flagged=True)) == 1
