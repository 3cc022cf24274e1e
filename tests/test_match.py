"""match as truth tables: how terms are written, what they find, what a watch decides."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from monitor.match import Matcher
from monitor.records import Entry
from monitor.terms import fold, highlight_spans, sentences
from monitor.watch import GroupSpec, WatchSpec


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Pjöngjang", "pjoengjang"),
        ("Truppenstärke", "truppenstaerke"),
        ("STRASSE Straße", "strasse strasse"),
        ("Nord\u00adkorea", "nordkorea"),
        ("Ｋｉｍ　Ｊｏｎｇ－ｕｎ", "kim jong un"),  # full-width
        ("北·러 밀착", "北 러 밀착"),
        ("N. Korea's troops", "n korea s troops"),
        ("snake_case __ x", "snake case x"),
        # vowel signs and points are part of their word
        ("उत्तर कोरिया के सैनिक", "उत्तर कोरिया के सैनिक"),
        ("ทหารเกาหลีเหนือ", "ทหารเกาหลีเหนือ"),
        ("Ναυτικοί, ναυτικοί", "ναυτικοί ναυτικοί"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def one_term(term: str) -> Matcher:
    return Matcher([WatchSpec("w", (GroupSpec("g", (term,)),))])


def finds(term: str, text: str) -> bool:
    return bool(one_term(term).matches(Entry("k", None, text, "", None, None)))


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        # whole words
        ("kursk", "Kämpfe bei Kursk", True),
        ("kursk", "Kursker Gebiet", False),
        ("nk", "NK News reports", True),
        ("nk", "bank", False),
        # prefixes, including German inflection
        ("nordkorea*", "nordkoreanische Soldaten", True),
        ("nordkorea*", "Nordkoreas Armee", True),
        ("nordkorea*", "Südnordkorea", False),
        # infix and suffix for German compounds
        ("*truppen*", "Truppenentsendung", True),
        ("*truppen*", "Kampftruppen", True),
        ("*truppen", "Kampftruppen", True),
        ("*truppen", "Truppenentsendung", False),
        # umlauts and ß spelled either way
        ("pjöngjang", "Pjoengjang bestätigt", True),
        ("pjoengjang", "Pjöngjang bestätigt", True),
        # phrases across punctuation
        ("kim jong un", "Kim Jong-un visits", True),
        ("kim jong un", "Kim Jong visits", False),
        # Hangul: prefix by default, so particles are found
        ("북한군", "북한군이 투입됐다", True),
        ("러시아", "러시아에 파병", True),
        ("*파병*", "추가파병 결정", True),
        ("파병", "재파병", False),
        ("北", "北, 러시아에 병력", True),
        ("북 러", "북·러 군사협력", True),
        # regular expressions run on the folded text
        (r"re:\b\d+ ?000\b", "rund 3000 Soldaten", True),
        (r"re:\b\d+ ?000\b", "rund 300 Soldaten", False),
    ],
)
def test_term_forms(term: str, text: str, found: bool) -> None:
    assert finds(term, text) is found


NK = GroupSpec("nk", ("nordkorea*", "north korea*", "북한*"))
RU = GroupSpec("ru", ("russland*", "russia*", "러시아*"))
TROOPS = GroupSpec("troops", ("*soldaten*", "troop*", "파병*"))
CONTEXT = GroupSpec("context", ("kursk*",), required=False, weight=1.0)
WATCH = WatchSpec("nk", (NK, RU, TROOPS, CONTEXT), exclude=("satellit*",), min_score=0)


@pytest.mark.parametrize(
    ("title", "summary", "score"),
    [
        ("Nordkorea schickt Soldaten nach Russland", "", 6.0),
        ("Nordkorea schickt Soldaten", "nach Russland", 5.0),  # one group only in the summary
        ("Nordkorea schickt Soldaten", "", None),  # a required group missing
        ("North Korea sends troops to Russia", "near Kursk", 7.0),  # the optional group adds
        ("북한, 러시아에 파병", "", 6.0),
        ("Nordkorea startet Satelliten", "Russland half den Soldaten", None),  # excluded
    ],
    ids=["all-in-title", "split", "missing-group", "optional-group", "korean", "excluded"],
)
def test_watch_decision(title: str, summary: str, score: float | None) -> None:
    found = Matcher([WATCH]).matches(Entry("k", None, title, summary, None, None))
    assert (found[0].score if found else None) == score


def test_min_score_needs_the_title() -> None:
    watch = WatchSpec("w", (NK, RU, TROOPS), min_score=5.0)
    matcher = Matcher([watch])
    in_title = Entry("k", None, "Nordkorea Soldaten Russland", "", None, None)
    in_summary = Entry("k", None, "Neues", "Nordkorea Soldaten Russland", None, None)
    assert matcher.matches(in_title) and not matcher.matches(in_summary)


def test_a_hit_records_each_term_with_group_and_field() -> None:
    entry = Entry("k", None, "Nordkorea schickt Soldaten", "nach Russland", None, None)
    (match,) = Matcher([WATCH]).matches(entry)
    assert [(t.group, t.term, t.field) for t in match.terms] == [
        ("nk", "nordkorea*", "title"),
        ("ru", "russland*", "summary"),
        ("troops", "*soldaten*", "title"),
    ]
    assert match.matched == ["nordkorea*", "russland*", "*soldaten*"]


def test_highlight_spans_cover_the_words_a_reader_sees() -> None:
    text = "Nordkoreas Kampftruppen, Kim Jong-un und 북한군이"
    spans = highlight_spans(text, ["nordkorea*", "*truppen", "kim jong un", "북한군"])
    assert [text[a:b] for a, b in spans] == [
        "Nordkoreas",
        "Kampftruppen",
        "Kim Jong-un",
        "북한군이",
    ]


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("러시아", "러시아에서 싸운다", True),  # a particle
        ("러시아", "러시아군이 진격", False),  # another word: 러시아군
        ("러시아*", "러시아군이 진격", True),
        ("북", "北·러 밀착 속 북은 침묵", True),
        ("북", "우크라 북부 전선", False),  # 북부 (northern) is not 북 (North Korea)
        ("북한군", "친북한군 세력", False),
    ],
)
def test_hangul_words_carry_particles_but_not_other_syllables(
    term: str, text: str, found: bool
) -> None:
    assert finds(term, text) is found


GROUPS = (NK, RU, TROOPS)


def rule_says(rule: str, title: str, summary: str = "") -> bool:
    watch = WatchSpec("w", GROUPS, rule=rule)
    return bool(Matcher([watch]).matches(Entry("k", None, title, summary, None, None)))


@pytest.mark.parametrize(
    ("rule", "title", "summary", "hit"),
    [
        ("nk and troops", "Nordkorea schickt Soldaten", "", True),
        ("nk and troops", "Nordkorea", "", False),
        ("nk and (ru or troops)", "Nordkorea in Russland", "", True),
        ("nk and not ru", "Nordkorea in Russland", "", False),
        ("title(nk) and troops", "Soldaten", "Nordkorea", False),
        ("title(nk) and troops", "Nordkorea", "Soldaten", True),
        ("near(nk, troops, 2)", "Nordkorea schickt Soldaten", "", True),
        (
            "near(nk, troops, 2)",
            "Nordkorea feiert, später kamen in Russland Soldaten an",
            "",
            False,
        ),
        ("near(nk, troops, 3)", "Nordkorea", "Soldaten", False),  # different fields
        ("sentence(nk, troops)", "", "Nordkorea schickt Soldaten. Russland schweigt.", True),
        ("sentence(nk, troops)", "", "Nordkorea schweigt. Russland schickt Soldaten.", False),
        # "U.S." ends no sentence
        ("sentence(nk, troops)", "", "Nordkorea: U.S. officials count troops.", True),
        # about(): where a story is told, the headline with the lead, or one sentence
        ("about(nk, troops)", "Nordkorea", "Soldaten kämpfen. Später mehr.", True),
        ("about(nk, troops, ru)", "", "Russland: Nordkorea schickt Soldaten. Ende.", True),
        (
            "about(nk, troops)",
            "Raketentest",
            "Nordkorea testet eine Rakete. In Russland fehlen Soldaten.",
            False,
        ),
        ("about(nk, troops) or title(ru)", "Russland", "Nordkorea. Mehr. Soldaten.", True),
        # lead(): in the headline or the summary's first sentence
        ("nk and lead(troops)", "Nordkorea", "Soldaten kämpfen. Später mehr.", True),
        ("nk and lead(troops)", "Soldaten", "Nordkorea. Mehr.", True),
        ("nk and lead(troops)", "Nordkorea", "Erst dies. Dann Soldaten.", False),
    ],
)
def test_rules(rule: str, title: str, summary: str, hit: bool) -> None:
    assert rule_says(rule, title, summary) is hit


def test_a_bullet_between_a_digests_items_ends_a_sentence() -> None:
    groups = (GroupSpec("nk", ("noord korea*",)), GroupSpec("dead", ("doden",)))
    watch = WatchSpec("w", groups, rule="sentence(nk, dead)")
    together = "Noord-Korea telt 26 doden"
    apart = "Brug Rusland-Noord-Korea vordert • India telt 26 doden"
    assert Matcher([watch]).matches(Entry("k", None, together, "", None, None))
    assert not Matcher([watch]).matches(Entry("k", None, apart, "", None, None))


def test_japanese_and_chinese_sentences_end_at_a_full_stop_with_no_space_after_it() -> None:
    groups = (GroupSpec("nk", ("*北朝鮮*", "*朝鲜*")), GroupSpec("troops", ("*兵士*", "*士兵*")))
    watch = WatchSpec("w", groups, rule="sentence(nk, troops)")
    for one, apart in [
        ("北朝鮮の兵士が到着。", "北朝鮮が発表した。兵士は前線にいる。"),
        ("朝鲜士兵抵达！", "朝鲜发表声明。士兵在前线？"),
    ]:
        assert Matcher([watch]).matches(Entry("k", None, "", one, None, None))
        assert not Matcher([watch]).matches(Entry("k", None, "", apart, None, None))


def test_an_ordinal_number_does_not_end_a_sentence_but_a_count_at_the_end_does() -> None:
    watch = WatchSpec("w", GROUPS, rule="sentence(nk, troops)")
    together = "Am 3. Januar und beim 16. Paket: Nordkorea schickt Soldaten."
    apart = "Nordkorea meldet 600. Soldaten starben."
    assert sentences(together) == [together]
    assert sentences(apart) == ["Nordkorea meldet 600.", "Soldaten starben."]
    assert Matcher([watch]).matches(Entry("k", None, "", together, None, None))
    assert not Matcher([watch]).matches(Entry("k", None, "", apart, None, None))


def test_a_refusal_names_the_part_of_the_rule_that_failed() -> None:
    watch = WatchSpec("w", GROUPS, rule="nk and (ru or lead(troops)) and not near(nk, ru, 1)")
    verdict = Matcher([watch]).verdicts(
        Entry("k", None, "Nordkorea", "Eins. Soldaten.", None, None)
    )
    assert verdict["w"].reason == "rule not met: ru or lead(troops)"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("nk and", "not a valid expression"),
        ("nk and korea", "'korea' is not a group of this watch"),
        ("nk + troops", "use group names, and, or, not, near, sentence, title, lead, about"),
        ("about(nk)", "expected near(a, b, words)"),
        ("near(nk, troops)", "expected near(a, b, words)"),
        ("near(nk, troops, 'x')", "the distance must be a whole number"),
        ("__import__('os')", "expected near(a, b, words)"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(rule: str, problem: str) -> None:
    from monitor.watch import watch_from_dict

    data = {"rule": rule, "groups": [{"name": g.name, "terms": list(g.terms)} for g in GROUPS]}
    spec, problems = watch_from_dict("w", data, where="w.toml")
    assert spec is None and len(problems) == 1 and problem in problems[0], problems


def test_verdict_explains_a_miss() -> None:
    matcher = Matcher([WATCH])
    miss = matcher.verdicts(Entry("k", None, "Nordkorea schickt Soldaten", "", None, None))["nk"]
    assert miss.match is None and miss.reason == "no term of required group ru"
    assert sorted(miss.found) == ["nk", "troops"]
    vetoed = matcher.verdicts(
        Entry("k", None, "Nordkorea: Satellit, Soldaten, Russland", "", None, None)
    )["nk"]
    assert vetoed.reason == "excluded by satellit*"


def test_a_regex_python_warns_about_is_matched_without_a_warning() -> None:
    # "[[" may mean a nested set in a future Python, and re says so with a FutureWarning
    # (an error under this suite's filterwarnings); the term means what it means today.
    assert finds("re:[[k]ursk", "Kämpfe bei Kursk")
    assert highlight_spans("bei [ursk", ["re:[[k]ursk"]) == [(4, 9)]


def test_meeting_says_where_the_groups_met() -> None:
    from monitor.rule import Place, meeting

    found = {
        "nk": [Place("summary", 3, 1)],
        "troops": [Place("summary", 5, 1), Place("title", 0, 0)],
    }
    assert meeting(found, ["nk", "troops"]) == "sentence 2 of the summary"
    found["nk"].append(Place("title", 2, 0))
    assert meeting(found, ["nk", "troops"]) == "the headline and the lead"
    assert meeting({"nk": [Place("summary", 0, 2)]}, ["nk", "troops"]) is None


def test_a_hit_says_where_its_about_groups_met() -> None:
    watch = WatchSpec("w", GROUPS, rule="about(nk, troops) or title(ru)")
    matcher = Matcher([watch])
    lead = matcher.matches(Entry("k", None, "Nordkorea", "Soldaten kämpfen. Mehr.", None, None))
    assert lead[0].met == "nk, troops met in the headline and the lead"
    later = Entry("k", None, "Lage", "Ruhig. Nordkorea schickt Soldaten. Ende.", None, None)
    assert matcher.matches(later)[0].met == "nk, troops met in sentence 2 of the summary"
    other = Entry("k", None, "Russland", "Nordkorea. Mehr. Soldaten.", None, None)
    assert matcher.matches(other)[0].met is None  # the title() alternative made it a hit


def _fold_by_the_book(text: str) -> str:
    """``terms.fold`` as its docstring defines it, every step on every text."""
    import unicodedata

    from monitor.terms import _NON_WORD, _SPELL_OUT, INVISIBLE

    text = unicodedata.normalize("NFKC", text.translate(INVISIBLE)).casefold()
    return _NON_WORD.sub(" ", text.translate(_SPELL_OUT).replace("_", " ")).strip()


@given(
    st.text(
        alphabet=st.sampled_from("aäÄöÖüÜßẞ\u00ad\u200b\u2060\ufeffﬁＡ한 .-_ि्") | st.characters()
    )
)
@example("Pjöngjang\u00adTruppen ẞ STRASSE Ä")
def test_fold_skips_only_the_steps_that_change_nothing(text: str) -> None:
    assert fold(text) == _fold_by_the_book(text)
