"""Stories and figures: the number-to-figure truth table of the shipped watch, the story
decision, and the whole path through a real poll (issue 10)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.config import load
from monitor.stories.article import Describer
from monitor.stories.cluster import Article, Story, decide
from monitor.stories.figures import FigureReader
from monitor.stories.spec import StorySpec
from tests.conftest import ROOT, FeedServer, write_config

WATCH = load(ROOT / "config" / "monitor.toml").watches[0]
READER = FigureReader(WATCH.figures) if WATCH.figures else None

FIGURES = [
    # (language, title, summary, expected {(kind, value, source)})
    (
        "en",
        "N. Korea sent 3,000 more troops to Russia: JCS",
        "About 4,000 of the 11,000 soldiers sent last year were killed or wounded.",
        {("additional", 3000, "JCS"), ("casualties", 4000, "JCS"), ("deployed", 11000, "JCS")},
    ),
    (
        "en",
        "(LEAD) About 300 N. Korean soldiers killed, 2,700 wounded in Russia war: NIS",
        "",
        {("killed", 300, "NIS"), ("wounded", 2700, "NIS")},
    ),
    (
        "de",
        "Nordkorea schickt weitere 3.000 Soldaten nach Russland",
        "Das meldet der südkoreanische Generalstab.",
        {("additional", 3000, "JCS")},
    ),
    (
        "de",
        "Selenskyj: Mehr als 3.000 Nordkoreaner getötet oder verwundet",
        "",
        {("casualties", 3000, "Zelensky")},
    ),
    ("ko", '합참 "북한, 1∼2월 러시아에 3천여명 추가 파병"', "", {("additional", 3000, "JCS")}),
    # Builders sent on top of the troops are deployed, not additional (figures.support);
    # more soldiers stay additional.
    (
        "en",
        "N. Korea to send 6,000 more military builders to Kursk: NIS",
        "It has sent 3,000 more troops this year.",
        {("deployed", 6000, "NIS"), ("additional", 3000, "NIS")},
    ),
    ("ko", '국정원 "北, 공병·건설 인력 6천 명 추가 파견"', "", {("deployed", 6000, "NIS")}),
    # A rate is no figure; a count over a period is.
    (
        "en",
        "ISW: Kursk force could be used up by April",
        "Its 12,000 troops are losing roughly 92 soldiers a day.",
        {("deployed", 12000, "ISW")},
    ),
    ("ko", 'ISW "하루 평균 92명꼴로 사상자"', "", set()),
    (
        "en",
        "White House: over 1,000 North Korean casualties in a week",
        "",
        {("casualties", 1000, "US")},
    ),
    # Kyiv's intelligence service, not Seoul's: the longer name wins over "Geheimdienst".
    (
        "de",
        "Kiews Geheimdienst: Weitere 3500 Nordkoreaner im Fernen Osten Russlands",
        "",
        {("additional", 3500, "HUR")},
    ),
    (
        "uk",
        "Держдеп: на Курщині вже близько 10 тисяч військових КНДР",
        "",
        {("deployed", 10000, "US")},
    ),
    (
        "ko",
        '국정원 "파병 북한군 최소 100명 사망·1천명 부상"',
        "",
        {("killed", 100, "NIS"), ("wounded", 1000, "NIS")},
    ),
    # The two soldiers of the summary are the two prisoners of the headline.
    (
        "uk",
        "Двоє полонених із КНДР у листі попросили відправити їх до Південної Кореї",
        "Двоє північнокорейських військових, взятих у полон на Курщині в січні, написали листа.",
        {("captured", 2, None)},
    ),
    # Sappers are a word for people in every language that reports them.
    (
        "es",
        "Corea del Norte enviará 1.000 zapadores y 5.000 obreros militares a Kursk, según Shoigu",
        "",
        {("deployed", 1000, "Shoigu"), ("deployed", 5000, "Shoigu")},
    ),
    ("en", "Russia fires 170 mm guns at Kursk on Feb. 27, 2025", "", set()),
    ("en", "A 24-year-old North Korean soldier was captured", "", set()),
    # The wounded who were taken prisoner are counted as captured (figures.outranks).
    (
        "en",
        "Two wounded North Korean soldiers taken prisoner, Zelensky says",
        "",
        {("captured", 2, "Zelensky")},
    ),
    # A comma between: "sent" belongs to the 15,000, the 4,700 are the killed or wounded.
    (
        "de",
        "Geheimdienst: 600 Nordkoreaner gefallen",
        "Pjöngjang habe 15.000 Soldaten geschickt, rund 4700 seien getötet oder verwundet.",
        {("killed", 600, "NIS"), ("deployed", 15000, "NIS"), ("casualties", 4700, "NIS")},
    ),
    # A sentence that names nobody on purpose takes no source from the headline.
    (
        "en",
        "Pyongyang admits its troops fought in Kursk, KCNA says",
        "Intelligence estimates put the deployment at 10,000 to 12,000 soldiers.",
        {("deployed", 10000, None)},
    ),
    # "told lawmakers": the lawmakers heard it, the spy agency said it.
    (
        "en",
        "Kim opens new homes for families of the fallen",
        "South Korea's spy agency told lawmakers about 6,000 North Korean troops were killed"
        " or wounded.",
        {("casualties", 6000, "NIS")},
    ),
    # an abbreviation outside ASCII ends no sentence: "Korei Płn." (North Korea)
    ("pl", "Wywiad: 600 żołnierzy z Korei Płn. zginęło w walkach", "", {("killed", 600, None)}),
    (
        "fr",
        "Séoul évalue à 4 700 le nombre de morts et de blessés",
        "",
        {("casualties", 4700, None)},
    ),
    # a list of what befell them is casualties; "11 to 12,000" says its thousands once
    (
        "en",
        "Western officials: North Korea's losses mount",
        "About 4,000 have been killed, wounded, missing or captured, the officials said;"
        " the total sent could be around 11 to 12,000.",
        {("casualties", 4000, "Western officials"), ("deployed", 11000, "Western officials")},
    ),
    # "more" beside a word of another kind only says there are more of those
    # (figures.modifiers); "more" beside "sent" or nothing stays additional.
    (
        "en",
        "Spy agency: 600 North Korean troops killed and 4,100 more wounded",
        "",
        {("killed", 600, "NIS"), ("wounded", 4100, "NIS")},
    ),
    (
        "uk",
        "ГУР: загинули близько 300 військових КНДР",
        "Ще 2700 дістали поранень.",
        {("killed", 300, "HUR"), ("wounded", 2700, "HUR")},
    ),
    (
        "en",
        "JCS: North Korea reinforced Russia with over 3,000 troops",
        "",
        {("additional", 3000, "JCS")},
    ),
    # a name that only says whose the next one is, is not the source
    (
        "de",
        "Nordkorea schickt Minenräumer nach Kursk",
        "Tausend Minenräumer sollen die Grenzregion räumen, sagt Putins Sicherheitsratschef"
        " Schoigu.",
        {("deployed", 1000, "Shoigu")},
    ),
    (
        "en",
        "Pyongyang to send builders to Kursk",
        "The contingent will include 5,000 construction troops, Putin's security council chief"
        " said.",
        {("deployed", 5000, "Shoigu")},
    ),
    # estimates of the West, and the South Korean defence minister by name
    (
        "fr",
        "Zelensky annonce la capture de soldats nord-coréens",
        "Selon des estimations occidentales, quelque 11 000 soldats nord-coréens sont déployés.",
        {("deployed", 11000, "Western officials")},
    ),
    (
        "ja",
        "北朝鮮、特殊部隊を派遣へ",
        "キム・ヨンヒョン国防相は、北朝鮮がおよそ1万2000人を派遣するとの見方を示しました。",
        {("deployed", 12000, "South Korean military")},
    ),
    # a headline's speaker after its last colon or dash says every figure of the headline
    (
        "en",
        "Kim Jong Un to send 6,000 military workers to rebuild Russia's Kursk: Shoigu",
        "",
        {("deployed", 6000, "Shoigu")},
    ),
    (
        "en",
        "About 2,000 more North Korean troops in Russia's Kursk – Pentagon",
        "",
        {("additional", 2000, "Pentagon")},
    ),
    # "captura", "capturó": the capture in Spanish, Portuguese and Italian too
    (
        "es",
        "Zelenski: Ucrania captura a dos soldados norcoreanos",
        "",
        {("captured", 2, "Zelensky")},
    ),
    # a count of another side's people is no figure of the North's (figures.others)
    (
        "en",
        "Zelensky: North Korean troops fight beside Russians in Kursk",
        "He said 50,000 Russian soldiers and about 11,000 North Koreans are massed there.",
        {("deployed", 11000, "Zelensky")},
    ),
    # captivity as a noun: "взяли в полон", "wzięli do niewoli"
    ("uk", "Десантники взяли в полон трьох військових КНДР", "", {("captured", 3, None)}),
    (
        "pl",
        "Ukraińcy wzięli do niewoli trzech żołnierzy z Korei Północnej",
        "",
        {("captured", 3, None)},
    ),
    # the sanctions monitoring team of eleven states; Ukraine's special operations forces
    (
        "en",
        "MSMT report: North Korea sent more than 11,000 troops to Russia in 2024",
        "",
        {("deployed", 11000, "MSMT")},
    ),
    (
        "uk",
        "ССО: на Курщині загинули щонайменше 17 військових КНДР",
        "",
        {("killed", 17, "Ukrainian military")},
    ),
    # the verbs of the special forces' claims; their regiment as the source; the Pentagon
    # in simplified Chinese
    (
        "en",
        "Ukrainian special forces kill 21 North Korean soldiers, wound 40",
        "",
        {("killed", 21, "Ukrainian military"), ("wounded", 40, "Ukrainian military")},
    ),
    (
        "ko",
        "우크라 특수부대, 쿠르스크서 北군 13명 사살",
        "",
        {("killed", 13, "Ukrainian military")},
    ),
    ("zh", "五角大楼：约1.1万朝鲜士兵已进入库尔斯克", "", {("deployed", 11000, "Pentagon")}),
    # a counter for people with a particle after it is a word for people; a few people so
    # counted are not troops sent
    ("ko", "부다노우 국장 인터뷰", "첫 2천600명은 쿠르스크로 향한다.", {("deployed", 2600, "HUR")}),
    ("ja", "ウクライナ情報総局", "北朝鮮兵3000人が配置された。", {("deployed", 3000, "HUR")}),
    ("ko", "정부, 독자 제재", "러시아에 간 장성 3명이 명단에 올랐다.", set()),
    # the name that speaks, not a nearer one that acts, is the source
    (
        "en",
        "Two North Korean soldiers captured",
        "Ukrainian forces have captured two North Korean soldiers, President Zelensky said.",
        {("captured", 2, "Zelensky")},
    ),
    (
        "ru",
        "Пленные в Курской области",
        "Украинские военные взяли в плен двух солдат КНДР, заявил Зеленский.",
        {("captured", 2, "Zelensky")},
    ),
    # a verb before a name makes it speak only at its sentence's end: "said Putin had
    # moved" is Putin acting
    (
        "en",
        "Zelensky at the European Parliament",
        "The Ukrainian president said Putin had already moved 11,000 North Korean soldiers.",
        {("deployed", 11000, "Zelensky")},
    ),
    (
        "en",
        "U.S. tells Security Council 8,000 North Korean troops are in Kursk",
        "",
        {("deployed", 8000, "US")},
    ),
    # the size of each of several groups is no figure
    (
        "en",
        "No sign of 30,000 more troops, Kyiv says",
        "It expects two or three transfers, each of 1,500 to 3,000 personnel.",
        {("additional", 30000, "Ukrainian officials")},
    ),
    ("ja", "ウクライナ情報総局", "1500～3000人ずつ2、3回に分けて移送する計画だ。", set()),
    ("ko", '정보총국 "1천500∼3천명씩 이동"', "", set()),
    # a modifier's word right before the default kind's says what that one is, as one
    # word: "the additional deployment at more than 1,000"; 추가 파병 serves one count
    (
        "en",
        "Seoul: more troops sent",
        "Officials estimate the additional deployment at more than 1,000.",
        {("additional", 1000, None)},
    ),
    (
        "ko",
        '국정원 "北, 1천500명 추가 파병…러시아 내 북한군 3천명 넘어"',
        "",
        {("additional", 1500, "NIS"), ("deployed", 3000, "NIS")},
    ),
    # soldiers who deserted are counted by no kind of the watch (figures.uncounted)
    ("en", "18 North Korean soldiers fled their positions near Kursk", "", set()),
    ("ko", "탈영한 북한군 18명 러 당국에 구금", "", set()),
    # the North's own special forces are no source: Seoul's minister speaks of them
    (
        "ko",
        "김용현 국방장관 국감 답변",
        "김 장관은 북한이 특수부대와 공병 등 1만2천여 명을 보낼 것으로 본다고 말했다.",
        {("deployed", 12000, "South Korean military")},
    ),
    # 천 with no digit before it (sappers: deployed, not additional); a count glued to the
    # word before it (Japanese).
    ("ko", '국정원 "공병 천여 명 추가 파병"', "", {("deployed", 1000, "NIS")}),
    (
        "ja",
        "韓国軍、北朝鮮兵の死傷者を推計",
        "去年派遣された約1万1000人のうち、およそ4000人が死傷した。",
        {
            ("deployed", 11000, "South Korean military"),
            ("casualties", 4000, "South Korean military"),
        },
    ),
]


@pytest.mark.parametrize(("language", "title", "summary", "expected"), FIGURES)
def test_the_shipped_watch_reads_figures_and_sources(
    language: str, title: str, summary: str, expected: set[tuple[str, int, str]]
) -> None:
    assert READER is not None
    found = {(f.kind, f.value, f.source) for f in READER.read(title, summary, "", language)}
    assert found == expected


NOW = datetime(2025, 3, 27, 9, 0, tzinfo=UTC)


def article(
    language: str = "en",
    hours: float = 0,
    figures: frozenset[tuple[str, int]] = frozenset(),
    attributed: frozenset[tuple[str, str]] = frozenset(),
    words: str = "",
    entities: frozenset[str] = frozenset(),
    lead: str | None = None,
) -> Article:
    text = frozenset(words.split())
    return Article(
        language,
        NOW + timedelta(hours=hours),
        text,
        text,
        figures,
        attributed,
        frozenset(s for _k, s in attributed),
        entities,
        lead,
    )


def story_of(
    first: Article, reported: Mapping[tuple[str, str], Iterable[int]] | None = None
) -> Story:
    story = Story(1, first.when, first.when)
    story.add(first, reported)
    return story


WINDOW = timedelta(days=3)
JCS_3000 = article(
    figures=frozenset({("additional", 3000)}),
    attributed=frozenset({("additional", "JCS")}),
    lead="JCS",
)


def test_the_same_figure_from_the_same_source_in_another_language_joins() -> None:
    story = story_of(JCS_3000, {("additional", "JCS"): {3000}})
    korean = article("ko", 3, JCS_3000.figures, JCS_3000.attributed, lead="JCS")
    decision = decide(korean, [story], WINDOW, {("additional", "JCS"): 3000})
    assert decision.story == 1
    assert any("the same figure: additional 3,000" in r for r in decision.reasons)


def test_another_figure_from_the_same_source_is_another_story() -> None:
    story = story_of(JCS_3000, {("additional", "JCS"): {3000}})
    later = article("en", 5, frozenset({("additional", 5000)}), JCS_3000.attributed, lead="JCS")
    assert decide(later, [story], WINDOW, {("additional", "JCS"): 5000}).story is None


def test_nothing_joins_a_story_outside_its_window() -> None:
    story = story_of(JCS_3000, {("additional", "JCS"): {3000}})
    weeks_later = article("ko", 24 * 10, JCS_3000.figures, JCS_3000.attributed, lead="JCS")
    decision = decide(weeks_later, [story], WINDOW, {("additional", "JCS"): 3000})
    assert decision.story is None and decision.reasons == ("no open story",)


def test_wire_copy_in_one_language_joins_on_its_wording() -> None:
    words = "north korean troops pulled from kursk front after heavy losses report says"
    story = story_of(article("en", 0, words=words))
    copy = article("en", 2, words=words + " officials")
    decision = decide(copy, [story], WINDOW)
    assert decision.story == 1 and "same wording" in decision.reasons[0]


def test_a_figure_only_in_the_summary_counts_for_less_than_one_in_the_headline() -> None:
    # An article on another event that repeats last week's 3,000 in its summary
    # (background) does not join on that figure alone; one whose headline gives it does.
    from dataclasses import replace

    story = story_of(JCS_3000, {("additional", "JCS"): {3000}})
    unsourced = article("de", 2, JCS_3000.figures)
    in_headline = replace(unsourced, headline_values=frozenset({3000}))
    in_summary = replace(unsourced, headline_values=frozenset())
    assert decide(in_headline, [story], WINDOW).story == 1
    assert decide(in_summary, [story], WINDOW).story is None
    assert decide(in_summary, [story], WINDOW).score < decide(in_headline, [story], WINDOW).score


def test_headlines_quoting_different_sources_stay_apart() -> None:
    kremlin = article("en", 0, entities=frozenset({"kursk", "confirmation"}), lead="Kremlin")
    kcna = article("en", 30, entities=frozenset({"kursk", "confirmation"}), lead="KCNA")
    assert decide(kcna, [story_of(kremlin)], WINDOW).story is None


def test_within_hours_places_and_actors_alone_join_only_when_the_same_people_speak() -> None:
    # The sappers' return: Kim welcomes them; two hours later the Kursk governor tallies
    # their work. Same place and unit, no figure or wording in common: two events.
    from monitor.stories.cluster import SOFT_ONLY

    welcome = article("en", 0, entities=frozenset({"kursk", "sappers"}), lead="Kim Jong Un")
    tally = article("en", 2, entities=frozenset({"kursk", "sappers"}), lead="Kursk governor")
    decision = decide(tally, [story_of(welcome)], WINDOW)
    assert decision.story is None and decision.score == SOFT_ONLY
    again = article("en", 2, entities=frozenset({"kursk", "sappers"}), lead="Kim Jong Un")
    assert decide(again, [story_of(welcome)], WINDOW).story == 1


def test_a_small_shared_count_says_less_than_a_large_one() -> None:
    # "The two prisoners" recur in every story about them for months; 3,000 more troops
    # in one week do not.
    for value, joins in ((2, False), (3000, True)):
        first = article("en", 0, frozenset({("captured", value)}))
        later = article("de", 2, frozenset({("captured", value)}))
        assert (decide(later, [story_of(first)], WINDOW).story == 1) is joins, value


def test_time_counts_only_while_a_story_is_young() -> None:
    # The capture is reported for a day and a half; the prisoners' video comes two hours
    # after its last article. Both name the prisoners: within hours of a young story that
    # joins, but a story in its second day does not draw the next event in by time.
    capture = article("en", 0, entities=frozenset({"prisoners"}))
    young = story_of(capture)
    assert decide(article("en", 2, entities=frozenset({"prisoners"})), [young], WINDOW).story == 1
    old = story_of(capture)
    old.add(article("en", 34, entities=frozenset({"prisoners"})))
    video = article("en", 36, entities=frozenset({"prisoners"}))
    assert decide(video, [old], WINDOW).story is None


def test_a_figure_of_its_own_a_day_later_on_places_and_actors_alone_is_a_new_story() -> None:
    # Kim meets the returning commanders (no figure); the next morning KCNA shows the
    # portraits of 101 dead at an award ceremony: another event, though both name the
    # ceremony and Kim. Without the new figure, or within hours, the article joins.
    meeting = article("ko", 0, entities=frozenset({"ceremony"}), lead="Kim Jong Un")
    awards = article(
        "ko",
        19,
        frozenset({("killed", 101)}),
        frozenset({("killed", "KCNA"), ("killed", "Kim Jong Un")}),
        entities=frozenset({"ceremony"}),
        lead="Kim Jong Un",
    )
    cited = {("killed", "KCNA"): 101}
    decision = decide(awards, [story_of(meeting)], WINDOW, cited)
    assert decision.story is None
    from dataclasses import replace

    assert decide(replace(awards, figures=frozenset()), [story_of(meeting)], WINDOW).story == 1
    soon = replace(awards, when=NOW + timedelta(hours=5))
    assert decide(soon, [story_of(meeting)], WINDOW, cited).story == 1


def test_a_new_count_in_its_headline_a_day_later_is_news_though_no_source_is_cited() -> None:
    # HUR's first sighting in Kursk; two days later "HUR: ... some 12,000 now on Russian
    # soil", its 12,000 read from a summary sentence that names no one. The headline's
    # count makes it news; the same figure only in the summary, with a headline without
    # a number, is background and the article joins on places and actors.
    from dataclasses import replace

    sighting = article("en", 0, entities=frozenset({"kursk"}), lead="HUR")
    later = article(
        "en",
        40,
        frozenset({("deployed", 12000)}),
        frozenset({("deployed", "HUR")}),
        entities=frozenset({"kursk"}),
        lead="HUR",
    )
    headline = replace(later, headline_numbers=frozenset({12000}))
    decision = decide(headline, [story_of(sighting)], WINDOW)
    assert decision.story is None
    assert any("not within hours" in reason for reason in decision.reasons)
    assert decide(later, [story_of(sighting)], WINDOW).story == 1


def test_a_headline_subject_no_article_of_an_established_story_names_is_another_event() -> None:
    # The State Department's count in Kursk, reported three times; the next morning Kyiv
    # says Russia trains the same soldiers on drones. Kursk and the 11,000 are shared, but
    # the drones the headline is about are in none of the story's articles.
    from dataclasses import replace

    count = article("en", 0, frozenset({("deployed", 11000)}), entities=frozenset({"kursk"}))
    story = story_of(count)
    story.add(replace(count, when=NOW + timedelta(hours=1)))
    drones = article("uk", 10, frozenset({("deployed", 11000)}), entities=frozenset({"kursk"}))
    drones = replace(drones, headline_values=frozenset())  # the 11,000 is in its summary
    assert decide(drones, [story], WINDOW).story == 1  # two articles: not yet established
    story.add(replace(count, when=NOW + timedelta(hours=2)))
    assert decide(drones, [story], WINDOW).story == 1  # no subject in the headline
    about = replace(
        drones, entities=drones.entities | {"drones"}, title_subjects=frozenset({"drones"})
    )
    decision = decide(about, [story], WINDOW)
    assert decision.story is None
    assert "its headline names drones, which none of its 3 articles does" in decision.reasons


def test_the_describer_finds_a_subject_as_an_entity_and_in_the_headline() -> None:
    spec = StorySpec(entities=(("kursk", ("kursk*",)),), subjects=(("drones", ("drone*",)),))
    describer = Describer(spec, None)
    headline = describer.describe("Kyiv: drones for Pyongyang's men", "In Kursk.", "", "en", NOW)
    assert headline.article.entities == {"kursk", "drones"}
    assert headline.article.title_subjects == {"drones"}
    summary = describer.describe("Kyiv accuses Moscow", "Drones in Kursk.", "", "en", NOW)
    assert summary.article.entities == {"kursk", "drones"}
    assert summary.article.title_subjects == frozenset()


def test_an_uncounted_count_is_no_figure_but_still_tells_the_event() -> None:
    from monitor.stories.article import Describer

    assert WATCH.stories is not None
    describer = Describer(WATCH.stories, WATCH.figures)
    described = describer.describe(
        "18 North Korean soldiers fled their positions", "", "", "en", NOW
    )
    assert described.figures == ()
    assert {v for _k, v in described.article.figures} == {18}


def test_a_subject_may_not_also_be_an_entity() -> None:
    from monitor.stories.spec import stories_from

    problems: list[str] = []
    raw = {
        "entities": {"kursk": ["kursk*"]},
        "subjects": {"kursk": ["kursk*"], "drones": ["drone*"]},
    }
    spec = stories_from(raw, "w.toml", problems)
    assert spec is not None and dict(spec.subjects).keys() == {"kursk", "drones"}
    assert problems == [
        "w.toml: stories.subjects.kursk: already an entity; name it in one table only"
    ]


def test_a_story_keeps_every_value_a_source_gives_and_a_later_one_does_not_contradict_it() -> None:
    # The NIS: 1,500 shipped, 12,000 to follow. A later article that cites the 1,500
    # alone is the same briefing, not another figure from the same source.
    describer = Describer(WATCH.stories, WATCH.figures)
    first = describer.describe(
        "NIS: 1,500 North Korean special forces shipped to Russia",
        "North Korea has decided to send 12,000 troops, the NIS said.",
        "",
        "en",
        NOW,
    )
    assert first.reported == {("deployed", "NIS"): frozenset({1500, 12000})}
    story = story_of(first.article, first.reported)
    later = describer.describe(
        "NIS: 1,500 North Korean soldiers shipped to Vladivostok", "", "", "en", NOW
    )
    decision = decide(later.article, [story], WINDOW, later.cited)
    assert decision.story == 1
    assert not any("another deployed figure" in r for r in decision.reasons)


def test_a_headline_lead_is_the_speaker_not_the_audience() -> None:
    assert READER is not None
    assert READER.lead("Seoul spy chief tells lawmakers 1,500 more reached Russia") == "NIS"
    assert READER.lead("Lawmakers: 1,500 more reached Russia, NIS says") == "lawmakers"
    assert READER.lead("North Korea sends 1,500 more") is None
    # the source after the last colon or dash speaks, when it is all the tail names
    assert READER.lead("Kim Jong Un to send 6,000 builders to Kursk: Shoigu") == "Shoigu"
    assert READER.lead("Troops in Kursk rise to 10,000 - Pentagon spokesman") == "Pentagon"
    assert READER.lead("Zelensky: the NIS and the Pentagon agree") == "Zelensky"
    # a genitive "s" makes a name whose the next one is; a name that ends in "s" does not
    assert READER.sources("Putins Sicherheitsratschef Schoigu sagt") == ["Shoigu"]
    assert READER.sources("NIS, JCS: 3,000 more troops sent") == ["NIS", "JCS"]
    # the one asked, or addressed in Korean ("국방부에 제안"), is no lead; "에 따르면" is
    kursk = "Kursk governor asks Russian defense ministry to decorate North Korean soldiers"
    assert READER.lead(kursk) == "Kursk governor"
    assert READER.lead("러 쿠르스크주, 북한군에 메달 추진…국방부에 제안") is None
    assert READER.lead("국방부에 따르면 북한군 1만명 넘어") == "South Korean military"
    # a possessor's spy agency is its own: Kyiv's is HUR, not the NIS
    assert READER.lead("Kyiv's spy agency: no sign of 30,000 more troops") == "HUR"


# -- the whole path ---------------------------------------------------------------------

ITEM = """<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>
<link>https://{host}/{guid}</link><pubDate>{date}</pubDate>
<description>{summary}</description></item>"""


def feed(host: str, language: str, *items: tuple[str, str, str, str]) -> bytes:
    body = "".join(
        ITEM.format(guid=g, title=t, summary=s, date=d, host=host) for g, t, s, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{host}</title><language>{language}</language>{body}</channel></rss>"
    ).encode()


DAY = "Thu, 27 Mar 2025"
COVERAGE = {
    "yna-en.xml": feed(
        "en.yna.co.kr",
        "en",
        (
            "AEN1",
            "N. Korea sent 3,000 more troops to Russia in Jan-Feb: JCS",
            "About 4,000 of the 11,000 North Korean soldiers sent last year were killed or"
            " wounded, the Joint Chiefs of Staff said.",
            f"{DAY} 01:10:00 +0000",
        ),
        (
            "AEN2",
            "Two captured N. Korean soldiers want to go to South Korea: NIS",
            "The spy agency said the prisoners of war held by Ukraine asked to defect.",
            f"{DAY} 05:00:00 +0000",
        ),
    ),
    "yna-ko.xml": feed(
        "yna.co.kr",
        "ko",
        (
            "K1",
            '합참 "북한, 1∼2월 러시아에 3천여명 추가 파병"',
            "합참은 파병된 북한군 1만1천여명 가운데 4천여명이 사상했다고 밝혔다.",
            f"{DAY} 01:30:00 +0000",
        ),
    ),
    "tagesschau.xml": feed(
        "tagesschau.de",
        "de",
        (
            "T1",
            "Nordkorea schickt weitere 3.000 Soldaten nach Russland",
            "Laut dem südkoreanischen Generalstab wurden rund 4000 der 11.000 nordkoreanischen"
            " Soldaten getötet oder verwundet.",
            f"{DAY} 06:00:00 +0000",
        ),
        ("T2", "Wetter: Sonnig und mild", "Bis zu 18 Grad.", f"{DAY} 07:00:00 +0000"),
    ),
}


@pytest.fixture
def coverage(tmp_path: Path, feed_server: FeedServer) -> Path:
    feed_server.files.update(COVERAGE)
    feeds = {name.removesuffix(".xml"): feed_server.url(f"/feeds/{name}") for name in COVERAGE}
    return write_config(tmp_path, feeds)


def invoke(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_poll_groups_the_coverage_into_stories_with_figures_and_alerts(
    coverage: Path,
) -> None:
    invoke(coverage, "poll")
    stories = json.loads(invoke(coverage, "stories", "--json"))
    assert len(stories) == 2, [(s["title"], s["hits"], s["figures"]) for s in stories]
    jcs = next(s for s in stories if "3,000" in s["title"] or "3천" in s["title"])
    assert set(jcs["languages"]) == {"en", "ko", "de"} and len(jcs["hits"]) == 3
    assert {"id", "title", "first_seen", "last_seen", "outlets", "hits", "figures"} <= set(jcs)
    figures = {(f["kind"], f["value"], f["source"]) for f in jcs["figures"]}
    assert ("additional", 3000, "JCS") in figures and ("casualties", 4000, "JCS") in figures
    assert set(jcs["figures"][0]) >= {"kind", "value", "low", "high", "qualifier", "source"}
    assert {"hit_id", "sentence"} <= set(jcs["figures"][0])
    hits = json.loads(invoke(coverage, "hits", "--json"))
    assert {h["story"] for h in hits} == {s["id"] for s in stories}
    # One immediate alert per story, and one for the article that brought a new figure
    # kind (the Korean one adds the 11,000 deployed); the rest wait for the digest.
    with sqlite3.connect(coverage.parent / "monitor.db") as db:
        alerts = db.execute("SELECT kind, reason FROM alerts ORDER BY id").fetchall()
    immediate = [reason for kind, reason in alerts if kind == "immediate"]
    assert immediate.count("new story") == 2
    assert len(immediate) < len(hits)
    assert all(reason in ("new story", "new figure") for reason in immediate)
    detail = invoke(coverage, "story", str(jcs["id"]))
    assert "Figures:" in detail and "[ko]" in detail and "joined:" in detail
    csv_out = invoke(coverage, "figures", "--kind", "casualties", "--csv")
    assert csv_out.splitlines()[0].startswith("kind,value,low,high,qualifier,source")
    assert len(csv_out.splitlines()) >= 3


def partition(coverage: Path) -> set[frozenset[int]]:
    """The stories as sets of hit ids."""
    return {frozenset(s["hits"]) for s in json.loads(invoke(coverage, "stories", "--json"))}


def test_a_pass_makes_the_stories_a_rebuild_makes_whichever_feed_answers_first(
    coverage: Path,
) -> None:
    # Feeds finish in any order; the pass places its hits together, oldest first, so
    # its stories are those of a rebuild in order of publication.
    invoke(coverage, "poll")
    polled = partition(coverage)
    with sqlite3.connect(coverage.parent / "monitor.db") as db:
        assert db.execute("SELECT count(*) FROM hits WHERE pending = 1").fetchone()[0] == 0
    invoke(coverage, "rescan")
    assert partition(coverage) == polled


def test_rescan_rebuilds_the_stories_without_queueing_alerts(coverage: Path) -> None:
    invoke(coverage, "poll")
    before = json.loads(invoke(coverage, "stories", "--json"))
    with sqlite3.connect(coverage.parent / "monitor.db") as db:
        alerts = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    invoke(coverage, "rescan")
    after = json.loads(invoke(coverage, "stories", "--json"))
    assert sorted(len(s["hits"]) for s in after) == sorted(len(s["hits"]) for s in before)
    with sqlite3.connect(coverage.parent / "monitor.db") as db:
        assert db.execute("SELECT count(*) FROM alerts").fetchone()[0] == alerts
        assert db.execute("SELECT count(*) FROM hits WHERE story_id IS NULL").fetchone()[0] == 0


def test_an_unknown_story_is_one_line(coverage: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(coverage), "story", "99"])
    assert result.exit_code == 1 and "no story with id 99" in result.output


def test_the_review_page_opens_on_stories_with_their_figures(coverage: Path) -> None:
    import httpx

    from tests.live_server import LiveServer

    invoke(coverage, "poll")
    stories = json.loads(invoke(coverage, "stories", "--json"))
    jcs = max(stories, key=lambda s: len(s["hits"]))
    with LiveServer(coverage) as live, httpx.Client(base_url=live.url) as client:
        front = client.get("/").text
        assert f'href="/stories/{jcs["id"]}"' in front and "additional 3,000 (JCS)" in front
        page = client.get(f"/stories/{jcs['id']}").text
        assert "<h3>ko</h3>" in page and "<h3>de</h3>" in page and "joined:" in page
        assert '"type":"scatter"' in page and "additional (JCS)" in page  # the timeline
        csv_out = client.get("/figures", params={"story": jcs["id"], "format": "csv"})
        assert csv_out.headers["content-type"].startswith("text/csv")
        assert "additional,3000" in csv_out.text
        assert client.get("/figures", params={"kind": "casualties"}).status_code == 200
        assert client.get("/stories/999").status_code == 404
        assert client.get("/stories/x").status_code == 404
        assert client.get("/figures", params={"format": "pdf"}).status_code == 400
        assert client.get("/hits").status_code == 200
        # Triage a whole story: the story and every one of its hits.
        token = re.search(r'name="csrf" value="([^"]+)"', front)
        assert token is not None
        forged = client.post(f"/stories/{jcs['id']}/mark", data={"status": "relevant"})
        assert forged.status_code == 403
        done = client.post(
            f"/stories/{jcs['id']}/mark",
            data={"status": "relevant", "csrf": token.group(1), "next": "list"},
        )
        assert done.status_code == 303 and done.headers["location"] == f"/#story-{jcs['id']}"
    hits = json.loads(invoke(coverage, "hits", "--json", "--status", "relevant"))
    assert sorted(h["id"] for h in hits) == sorted(jcs["hits"])


@pytest.mark.parametrize(
    ("name", "grouping", "figures"),
    [
        # Floors a little under today's figures (README, "Stories and figures"): a change
        # that merges events or loses figures fails here. Precision matters most: the
        # dev recall floor went from 0.88 to 0.87 when same-day stories that quote
        # different people stopped merging (dev2's precision 0.79 -> 1.00).
        # (0.86: one more hit since North Korea and Kursk where a story is told match,
        # and it starts a story of its own)
        ("stories_dev.jsonl", (0.97, 0.84), (0.89, 0.83)),
        ("stories_day.jsonl", (0.97, 0.90), (0.90, 0.78)),
        ("stories_dev2.jsonl", (0.97, 0.88), (0.87, 0.82)),
        # measured as held out first and last, tuned on since
        ("stories_holdout2.jsonl", (0.97, 0.88), (0.84, 0.80)),
        ("stories_holdout3.jsonl", (0.87, 0.84), (0.92, 0.80)),
        # close stories: the hardest grouping, written for development
        ("stories_dev3.jsonl", (0.70, 0.85), (0.83, 0.74)),
        # written blind, measured once on arrival, then tuned on (STORIES.md, README)
        ("stories_holdout7.jsonl", (0.80, 0.83), (0.89, 0.83)),
        ("stories_holdout8.jsonl", (0.87, 0.87), (0.92, 0.84)),
        ("stories_holdout9.jsonl", (0.93, 0.76), (0.77, 0.78)),
        ("stories_holdout10.jsonl", (0.81, 0.62), (0.75, 0.74)),
        ("stories_holdout11.jsonl", (0.89, 0.75), (0.85, 0.83)),
        # written blind, measured once with the code it guards
        ("stories_holdout12.jsonl", (0.95, 0.51), (0.92, 0.86)),
        ("stories_holdout13.jsonl", (0.79, 0.58), (0.96, 0.83)),
        ("stories_holdout14.jsonl", (0.88, 0.65), (0.77, 0.83)),
    ],
)
def test_grouping_and_figures_keep_their_measured_floors(
    name: str, grouping: tuple[float, float], figures: tuple[float, float]
) -> None:
    from monitor.stories.measure import measure, read_labeled

    problems: list[str] = []
    lines = (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
    report = measure(read_labeled(lines, problems), WATCH, problems).as_dict()
    assert problems == []
    assert report["grouping"]["precision"] >= grouping[0], report
    assert report["grouping"]["recall"] >= grouping[1], report
    assert report["figures"]["precision"] >= figures[0], report
    assert report["figures"]["recall"] >= figures[1], report


def test_the_demo_replays_its_day_into_stories_and_alerts(tmp_path: Path) -> None:
    """`make demo` without the server: the day's feeds polled from 127.0.0.1."""
    from tests import demo

    config = demo.replay(tmp_path / "demo")
    stories = json.loads(
        CliRunner().invoke(cli, ["--config", str(config), "stories", "--json"]).output
    )
    hits = json.loads(
        CliRunner()
        .invoke(cli, ["--config", str(config), "hits", "--json", "--limit", "500"])
        .output
    )
    assert 6 <= len(stories) < len(hits)  # six events and some one-offs, fewer than hits
    assert any(len(s["languages"]) >= 5 for s in stories)
    import mailbox

    mails = mailbox.Maildir(config.parent / "maildir", create=False)
    assert len(stories) <= len(mails) < len(hits)
    # The target on a replay: every event that became hits is mailed at least
    # once, and at most 2.5 emails per event on average.
    expected = json.loads((ROOT / "tests" / "feeds" / "day" / "expected.json").read_text())
    event_of = {
        item: event["id"]
        for group in ("stories", "one_offs")
        for event in expected[group]
        for item in event["items"]
    }
    with sqlite3.connect(config.parent / "monitor.db") as db:
        rows = db.execute(
            "SELECT feeds.name, entries.guid, alerts.kind FROM hits"
            " JOIN entries ON entries.id = hits.entry_id JOIN feeds ON feeds.id = entries.feed_id"
            " LEFT JOIN alerts ON alerts.hit_id = hits.id AND alerts.kind = 'immediate'"
        ).fetchall()
    found = {event_of.get(f"{feed.replace('-', '_')}.xml#{guid}") for feed, guid, _k in rows}
    mailed = {event_of.get(f"{feed.replace('-', '_')}.xml#{guid}") for feed, guid, k in rows if k}
    assert found - {None} == mailed - {None}
    assert sum(1 for *_x, k in rows if k) / len(set(event_of.values())) <= 2.5


def test_a_new_briefing_weeks_later_is_a_new_story_that_follows_the_first(
    tmp_path: Path,
) -> None:
    from monitor.records import Entry, FeedConfig, FetchResult, Match, ParsedFeed, TermHit
    from monitor.store import Store
    from monitor.stories.keep import StoryKeeper
    from monitor.stories.review import get_story

    store = Store(tmp_path / "m.db", stories=StoryKeeper([WATCH]))
    feed = FeedConfig("yna", "https://en.yna.co.kr/rss", timedelta(minutes=15), "yna")
    store.sync_feeds([feed])
    match = Match(WATCH.name, 5.0, (TermHit("north-korea", "n korea*", "title"),))

    def poll(key: str, title: str, when: datetime) -> None:
        entry = Entry(f"guid:{key}", f"https://en.yna.co.kr/{key}", title, "", when, "en", key)
        parsed = ParsedFeed(((entry, (match,)),))
        store.record_poll(
            feed, FetchResult("ok"), parsed, error=None, next_attempt_at=when, now=when
        )

    poll("a", "N. Korea sent 3,000 more troops to Russia: JCS", NOW)
    poll("b", "Unrelated: N. Korean soldiers seen in Kursk", NOW + timedelta(days=20))
    poll("c", "N. Korea sent 5,000 more troops to Russia: JCS", NOW + timedelta(days=35))
    stories = {r[0]: r[1] for r in store.conn.execute("SELECT id, follows FROM stories")}
    assert len(stories) == 3
    first, _other, later = sorted(stories)
    assert stories[later] == first and stories[first] is None
    found = get_story(store, later)
    assert found is not None and found["follows"] == first


def test_a_story_keeps_every_part_of_its_decision_state_in_the_database(
    tmp_path: Path,
) -> None:
    """What the store saves of a story is what decisions read back: a placement from
    the database decides as one in memory would."""
    from dataclasses import fields

    from monitor.stories.keep import _state, _story

    story = story_of(JCS_3000, {("additional", "JCS"): {3000}})
    story.names = {"kursk"}
    again = _story(
        (
            story.id,
            story.first_seen.isoformat(),
            story.last_seen.isoformat(),
            json.dumps(_state(story)),
        )
    )
    for part in fields(Story):
        assert getattr(again, part.name) == getattr(story, part.name), part.name


def test_needs_unit_counts_a_kind_only_beside_a_word_for_people() -> None:
    from monitor.stories.spec import FigureSpec

    spec = FigureSpec(
        kinds=(("deployed", ("sent",)),),
        units=("troop*",),
        default_kind="deployed",
        needs_unit=frozenset({"deployed"}),
    )
    reader = FigureReader(spec)
    text = "North Korea sent 200 artillery systems and sent 3,000 troops"
    assert {(f.kind, f.value) for f in reader.read(text, "", "", "en")} == {("deployed", 3000)}
    loose = FigureReader(FigureSpec(spec.kinds, (), spec.units, spec.default_kind))
    assert {f.value for f in loose.read(text, "", "", "en")} == {200, 3000}


@pytest.mark.parametrize("key", ["needs_unit", "outranks", "modifiers"])
def test_a_kind_list_names_only_declared_kinds(key: str) -> None:
    from monitor.stories.spec import figures_from

    problems: list[str] = []
    raw = {"kinds": {"captured": ["captured"]}, key: ["captured", "arrested"]}
    spec = figures_from(raw, "w.toml", problems)
    assert spec is not None and getattr(spec, key) == frozenset()
    assert problems == [
        f"w.toml: figures.{key}: expected a list of the kinds, got ['captured', 'arrested']"
    ]


def test_fighters_only_needs_a_default_kind_and_support_words() -> None:
    from monitor.stories.spec import figures_from

    problems: list[str] = []
    raw = {"kinds": {"additional": ["more"]}, "fighters_only": ["additional"]}
    spec = figures_from(raw, "w.toml", problems)
    assert spec is not None and spec.fighters_only == frozenset()
    assert problems == ["w.toml: figures.fighters_only: needs a default_kind and the support words"]


def test_uncounted_words_are_checked_as_terms() -> None:
    from monitor.stories.spec import figures_from

    problems: list[str] = []
    raw = {"kinds": {"killed": ["killed"]}, "uncounted": ["fled", "de*sert"]}
    spec = figures_from(raw, "w.toml", problems)
    assert spec is not None and "fled" in spec.uncounted
    assert len(problems) == 1 and "figures.uncounted" in problems[0], problems


def test_the_default_kind_is_no_modifier() -> None:
    from monitor.stories.spec import figures_from

    problems: list[str] = []
    raw = {
        "kinds": {"deployed": ["sent"], "additional": ["more"]},
        "default_kind": "deployed",
        "units": ["troops"],
        "modifiers": ["deployed"],
    }
    spec = figures_from(raw, "w.toml", problems)
    assert spec is not None and spec.modifiers == frozenset()
    assert problems == ["w.toml: figures.modifiers: the default_kind deployed cannot be one"]


def test_a_modifier_yields_only_beside_the_count_in_its_clause() -> None:
    from monitor.stories.spec import figures_from

    raw = {
        "kinds": {"wounded": ["wounded"], "additional": ["more"]},
        "modifiers": ["additional"],
    }
    spec = figures_from(raw, "w.toml", [])
    assert spec is not None
    reader = FigureReader(spec)

    def kinds(text: str) -> set[tuple[str, int]]:
        return {(f.kind, f.value) for f in reader.read(text, "", "", "en")}

    assert kinds("4,100 more wounded") == {("wounded", 4100)}
    # farther than two words, or across a comma: "more" says what the count is
    assert kinds("3,000 more came to the front where they were wounded") == {("additional", 3000)}
    assert kinds("3,000 more, and many wounded") == {("additional", 3000)}
    plain = FigureReader(figures_from({**raw, "modifiers": []}, "w.toml", []) or spec)
    assert {f.kind for f in plain.read("4,100 more wounded", "", "", "en")} == {"additional"}


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("Feb.", True),
        ("Rep.", True),
        ("ca.", True),
        ("Płn.", True),
        ("г.", True),
        ("NIS.", False),
        ("Kursk.", False),
        ("killed.", False),
        ("2025.", False),
    ],
)
def test_an_abbreviation_is_a_short_word_before_a_full_stop(end: str, expected: bool) -> None:
    from monitor.stories.figures import _abbreviation

    assert _abbreviation(f"troops near {end}") is expected


def test_a_sentence_is_read_up_to_its_bound() -> None:
    # A hostile summary without a full stop is read up to MAX_SENTENCE characters: a
    # figure after that is not read (each count is placed among the words before it,
    # so an unbounded sentence would cost time quadratic in its length).
    from monitor.stories.figures import MAX_SENTENCE

    assert READER is not None
    padding = ", and" * (MAX_SENTENCE // 5)
    early = READER.read("", "North Korea sent 3,000 soldiers" + padding, "", "en")
    late = READER.read("", "North Korea" + padding + " sent 3,000 soldiers", "", "en")
    assert [(f.kind, f.value) for f in early] == [("deployed", 3000)]
    assert late == []


@given(
    st.lists(st.tuples(st.integers(0, 8), st.integers(1, 5), st.sampled_from("abc")), max_size=12)
)
def test_outermost_keeps_exactly_the_matches_no_longer_one_contains(
    raw: list[tuple[int, int, str]],
) -> None:
    from monitor.stories.figures import _inside, _outermost

    found = [(a, a + n, label) for a, n, label in raw]
    expected = [
        f
        for f in found
        if not any(
            g != f and _inside((f[0], f[1]), (g[0], g[1]))
            for g in found
            if g[1] - g[0] > f[1] - f[0]
        )
    ]
    assert _outermost(found) == expected


@given(
    st.lists(st.sampled_from(["Feb.", "Rep.", "Lee", "3,000 troops", "went.", " "]), max_size=30)
)
def test_rejoined_joins_a_split_after_an_abbreviation_and_keeps_the_text(
    words: list[str],
) -> None:
    from monitor.stories.figures import _rejoined
    from monitor.terms import sentences

    parts = sentences(" ".join(words))
    joined = _rejoined(parts)
    assert " ".join(joined).split() == " ".join(parts).split()  # no word lost or moved
    # a part is joined to the one before exactly when that one ends in an abbreviation
    assert len(joined) == len(parts) - sum(
        p.rstrip().endswith(("Feb.", "Rep.")) for p in parts[:-1]
    )


HOSTILE_PIECES = st.sampled_from(
    [
        "3,000",
        "3.000",
        "1만1천여 명",
        "천여 명",
        "10,000 to 12,000",
        "약",
        "rund",
        "over",
        "soldiers",
        "troops",
        "killed",
        "wounded",
        "captured",
        "more",
        "NIS",
        "JCS",
        "Zelensky",
        "said",
        "told lawmakers",
        "estimates put",
        "Feb.",
        "Rep.",
        ",",
        ";",
        ":",
        " - ",
        "(",
        ")",
        ".",
        "…",
        "、",
        "人",
        "명",
        "北",
        "Kursk",
        "170 mm",
        "2025",
        "24-year-old",
        "\u200b",
        "\u00a0",
        "\n",
        "ß",
        "İ",
        "の",
        "うち",
        "of the",
        "von den",
    ]
)


@given(
    st.lists(HOSTILE_PIECES | st.text(max_size=6), max_size=40).map(" ".join),
    st.sampled_from(["en", "de", "ko", "ja", "zh", "ru", None]),
)
def test_figures_of_any_text_are_well_formed(text: str, language: str | None) -> None:
    # Whatever a feed writes: no exception, and every figure is one the watch declares,
    # from a sentence of the text, with a value that is a count.
    from monitor.stories.article import Describer
    from monitor.stories.figures import MIN_VALUE

    assert WATCH.figures is not None
    kinds = {kind for kind, _terms in WATCH.figures.kinds}
    sources = {source for source, _terms in WATCH.figures.sources}
    described = Describer(WATCH.stories, WATCH.figures).describe(
        text[:40], text, text, language, datetime(2025, 1, 1, tzinfo=UTC)
    )
    for figure in described.figures:
        assert figure.kind in kinds and (figure.source is None or figure.source in sources)
        assert figure.value >= MIN_VALUE
        if figure.high is not None:
            assert figure.low == figure.value <= figure.high
        assert " ".join(figure.sentence.split()) in " ".join(text.split())
