"""One bad entry must not cost a feed: repair, then recovery entry by entry.

Every body here is real feed bytes through the real parser, in-process or through a
``worker.ParserPool`` when the input is built to be slow. The last section damages
feedparser's own corpus, one entry per feed, and counts the feeds that lost a good entry;
``.venv/bin/python -m tests.test_parse_recovery`` prints that figure.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sqlite3
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.errors import ParseError
from monitor.match import Matcher
from monitor.normalize import plain_text
from monitor.parse import entry_spans, parse_feed, repair_char_refs, repair_utf8
from monitor.records import ParsedFeed
from monitor.watch import load_watches
from monitor.worker import ParserPool, process_body
from tests.conftest import FEEDS, WATCHES, FeedServer, write_config

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser-tests"


def rss(items: str, *, root: str = '<rss version="2.0">') -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"{root}<channel><title>Recovery</title><link>http://example.com/</link>"
        f"<description>test feed</description><language>en-us</language>{items}"
        "</channel></rss>"
    ).encode()


def item(title: str, guid: str, extra: str = "") -> str:
    return f'<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>{extra}</item>'


ON_TOPIC = item(
    "North Korea sends 3,000 more troops to Russia",
    "good-1",
    "<link>http://example.com/good</link>"
    "<description>Pyongyang reinforced its soldiers at the Kursk front.</description>",
)
SURROGATE = item("Broken &#xD800; title", "bad-1")


def matcher() -> Matcher:
    watches, problems = load_watches(WATCHES)
    assert problems == []
    return Matcher(watches)


# --- 1. repair before parsing: forbidden references, stray bytes ---------------------------


@pytest.mark.parametrize(
    ("body", "repaired", "count"),
    [
        (b"<t>&#xD800;</t>", b"<t>&#xFFFD;</t>", 1),
        (b"<t>&#xdfff;&#55296;</t>", b"<t>&#xFFFD;&#xFFFD;</t>", 2),
        (b"<t>&#0;&#x0;&#x00000;</t>", b"<t>&#xFFFD;&#xFFFD;&#xFFFD;</t>", 3),
        (b"<t>&#1;&#x8;&#11;&#x1F;</t>", b"<t>&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;</t>", 4),
        (b"<t>&#xFFFE;&#65535;</t>", b"<t>&#xFFFD;&#xFFFD;</t>", 2),
        (b"<t>&#x110000;&#1114112;</t>", b"<t>&#xFFFD;&#xFFFD;</t>", 2),
        (b"<t>&#99999999999;&#x" + b"F" * 40 + b";</t>", b"<t>&#xFFFD;&#xFFFD;</t>", 2),
        (b"<t>&#" + b"9" * 5000 + b";</t>", b"<t>&#xFFFD;</t>", 1),  # past int()'s digit limit
        (b"<t>&#9;&#xA;&#13;&#32;&#xD7FF;&#xE000;&#xFFFD;&#x10FFFF;</t>", None, 0),
        (b"<t>&#00065;&#x0041;&#x10000;</t>", None, 0),  # leading zeros are legal
        (b"<t>&amp;#xD800; &#xD800 &#; &#x; &#xG1;</t>", None, 0),  # not references
        (b"<t><![CDATA[&#xD800;]]></t>", b"<t><![CDATA[&#xFFFD;]]></t>", 1),
        (b'<t a="&#0;">x</t>', b'<t a="&#xFFFD;">x</t>', 1),
    ],
    ids=[
        "surrogate-hex",
        "surrogates-lower-and-decimal",
        "nul",
        "c0-controls",
        "non-characters",
        "past-unicode",
        "huge",
        "thousands-of-digits",
        "allowed-unchanged",
        "leading-zeros-unchanged",
        "not-references",
        "in-cdata",
        "in-attribute",
    ],
)
def test_repair_char_refs_truth_table(body: bytes, repaired: bytes | None, count: int) -> None:
    assert repair_char_refs(body) == (body if repaired is None else repaired, count)


def test_a_forbidden_reference_beside_a_good_entry_keeps_the_good_entry() -> None:
    body = rss(SURROGATE + ON_TOPIC)
    with pytest.raises(UnicodeEncodeError):
        feedparser.parse(body)  # the precondition: feedparser loses the whole feed
    feed = parse_feed(body)
    assert [e.title for e in feed.entries] == [
        "Broken \ufffd title",
        "North Korea sends 3,000 more troops to Russia",
    ]
    assert feed.warnings == (
        "malformed feed, repaired: 1 character reference XML forbids replaced by U+FFFD",
    )
    result = process_body(body, {}, None, matcher=matcher())
    hits = [entry.key for entry, matches in result.entries if matches]
    assert hits == ["guid:good-1"]


REFERENCE_PIECES = st.lists(
    st.sampled_from([b"&#", b"&#x", b"&#X", b";", b"0", b"9", b"D8", b"FF", b"FE", b"11", b"&amp;"])
    | st.binary(max_size=3),
    max_size=40,
).map(b"".join)


@given(REFERENCE_PIECES)
@settings(max_examples=300, deadline=None)
def test_repair_leaves_no_forbidden_reference_and_is_idempotent(body: bytes) -> None:
    once, count = repair_char_refs(body)
    assert once.count(b"&#xFFFD;") >= count
    assert repair_char_refs(once) == (once, 0)
    for match in re.finditer(rb"&#([xX][0-9A-Fa-f]+|[0-9]+);", once):
        digits = match.group(1)
        code = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
        assert (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or (0x10000 <= code <= 0x10FFFF)
        )


KOREAN = item(
    "북한군 3천명 러시아 추가 파병",
    "ko-1",
    "<description>합참은 북한이 러시아 쿠르스크 전선에 병력을 보냈다고 밝혔다.</description>",
)


@pytest.mark.parametrize(
    "headers",
    [{}, {"content-type": "application/rss+xml; charset=UTF-8"}],
    ids=["declared-in-xml", "declared-in-header-too"],
)
def test_a_stray_byte_in_a_utf8_feed_costs_one_title_not_every_one(
    headers: dict[str, str],
) -> None:
    body = rss(item("Bad XX byte", "bad-1") + KOREAN).replace(b"XX", b"\xff")
    # The precondition: feedparser decodes the whole body as another charset instead.
    assert feedparser.parse(body, response_headers=headers)["entries"][1]["title"] != (
        "북한군 3천명 러시아 추가 파병"
    )
    feed = parse_feed(body, headers)
    assert [e.title for e in feed.entries] == ["Bad \ufffd byte", "북한군 3천명 러시아 추가 파병"]
    assert feed.warnings == (
        "malformed feed, repaired: 1 invalid UTF-8 sequence replaced by U+FFFD",
    )
    result = process_body(body, headers, None, matcher=matcher())
    assert [e.key for e, matches in result.entries if matches] == ["guid:ko-1"]


@pytest.mark.parametrize(
    ("encoding", "declared", "headers"),
    [
        ("latin-1", "utf-8", {}),  # a common misconfiguration: feedparser's fallback is right
        ("latin-1", "iso-8859-1", {}),
        ("latin-1", None, {"content-type": "text/xml; charset=iso-8859-1"}),
        ("cp1252", "utf-8", {"content-type": "application/xml; charset=windows-1252"}),
    ],
    ids=["latin1-declared-utf8", "latin1-declared", "latin1-in-header", "cp1252-in-header"],
)
def test_a_body_in_another_charset_is_left_to_feedparser(
    encoding: str, declared: str | None, headers: dict[str, str]
) -> None:
    text = rss(item("Nordkorea schickt Soldaten über die Grenze: »Tausende«", "de-1")).decode()
    if declared != "utf-8":
        text = text.replace('encoding="utf-8"', f'encoding="{declared}"' if declared else "")
    body = text.encode(encoding)
    feed = parse_feed(body, headers)
    [entry] = feed.entries
    assert entry.title == "Nordkorea schickt Soldaten über die Grenze: »Tausende«"
    assert not any("UTF-8" in w for w in feed.warnings)


@given(st.lists(st.sampled_from(["북한군", "Pjöngjang", "ASCII ", "<t>"]) | st.binary(max_size=2)))
@settings(max_examples=300, deadline=None)
def test_repair_utf8_keeps_every_valid_character(pieces: list[str | bytes]) -> None:
    body = b'<?xml version="1.0"?><t>' + b"".join(
        p.encode() if isinstance(p, str) else p for p in pieces
    )
    repaired, count = repair_utf8(body, {})
    if count:
        assert repaired.decode("utf-8") == body.decode("utf-8", errors="replace")
    else:
        assert repaired == body


# --- 2. cutting a body into its entries ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "spans"),
    [
        (
            b"<rss><channel><item>a</item><item>b</item></channel></rss>",
            [b"<item>a</item>", b"<item>b</item>"],
        ),
        (
            b"<feed><entry xml:lang='de'>a</entry ><entry/></feed>",
            [b"<entry xml:lang='de'>a</entry >", b"<entry/>"],
        ),
        (
            b"<rdf:RDF><rss:item rdf:about='x'>a</rss:item></rdf:RDF>",
            [b"<rss:item rdf:about='x'>a</rss:item>"],
        ),
        (
            b"<channel><item>a<item>b</item></channel>",
            [b"<item>a", b"<item>b</item>"],
        ),  # unterminated
        (b"<channel><items><item>a</ITEM></items>", [b"<item>a</ITEM>"]),
        (b"<channel></item><item>a</entry>", [b"<item>a</entry>"]),  # end tags close any entry
        (b"<channel><item>a", [b"<item>a"]),
        (b"<channel>&lt;item&gt;<entry-list/><itemize/>", []),
    ],
    ids=[
        "rss",
        "atom-self-closing",
        "prefixed",
        "unterminated",
        "case",
        "stray-end",
        "cut-off",
        "none",
    ],
)
def test_entry_spans_truth_table(body: bytes, spans: list[bytes]) -> None:
    assert [body[start:end] for start, end in entry_spans(body)] == spans


# --- 3. recovery entry by entry --------------------------------------------------------------

CRASHING_ITEMS = [
    pytest.param(
        item("close-width", "bad-1", "</width<"), TypeError, 1, id="close-width-TypeError"
    ),
    pytest.param(
        # Cut at the stray end tag, the item still reads, as an entry with nothing in it.
        "<item><category</entry>>c</category><category>d</category></item>",
        KeyError,
        0,
        id="stray-end-in-category-KeyError",
    ),
    pytest.param(
        "<item><creatommons:license>x</creativeCommons:license><title>y</title></item>",
        KeyError,
        1,
        id="unbound-prefix-KeyError",
    ),
]


@pytest.mark.parametrize(("bad", "raised", "skipped"), CRASHING_ITEMS)
def test_an_item_feedparser_crashes_on_costs_only_itself(
    bad: str, raised: type[Exception], skipped: int
) -> None:
    body = rss(bad + ON_TOPIC, root='<rss version="2.0" xmlns:creativeCommons="urn:cc">')
    with pytest.raises(raised):
        feedparser.parse(body)
    feed = parse_feed(body)
    assert len(feed.entries) == 2 - skipped
    assert feed.entries[-1].guid == "good-1"
    assert feed.entries[-1].title == "North Korea sends 3,000 more troops to Russia"
    assert feed.title == "Recovery" and feed.language == "en"
    [warning] = feed.warnings
    assert warning.startswith(f"malformed feed, read entry by entry ({raised.__name__}: ")
    assert warning.endswith(f"): {skipped} of 2 entries unreadable, skipped")
    result = process_body(body, {}, None, matcher=matcher())
    assert [e.key for e, matches in result.entries if matches] == ["guid:good-1"]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("<item><title>x <![CDATA[ y</title></item>", id="unclosed-cdata"),
        pytest.param("<item><title>x <!-- y</title></item>", id="unclosed-comment"),
        pytest.param("<item><title>unclosed title</item>", id="unclosed-title"),
        pytest.param("<item><title>x</ite>", id="broken-end-tag"),
    ],
)
def test_a_bozo_parse_that_loses_entries_is_redone_entry_by_entry(bad: str) -> None:
    first = item("First good entry", "first")
    body = rss(first + bad + ON_TOPIC)
    loose = feedparser.parse(body)
    assert loose["bozo"]  # the precondition: read anyway, but the neighbour is lost
    assert "North Korea sends 3,000 more troops to Russia" not in [
        e.get("title") for e in loose["entries"]
    ]
    feed = parse_feed(body)
    titles = [e.title for e in feed.entries]
    assert titles[0] == "First good entry"
    assert titles[-1] == "North Korea sends 3,000 more troops to Russia"
    [warning] = feed.warnings
    assert warning.startswith("malformed feed, read entry by entry (SAXParseException: ")


def test_the_envelope_keeps_namespaces_base_and_languages() -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel xml:base="http://example.org/news/"><title>Nachrichten</title>'
        "<language>de-DE</language>"
        + item("Kaputt", "bad-1", "</width<")
        + "<item><title>Sch\xf6n</title><link>artikel/1</link>"
        "<content:encoded><![CDATA[<p>Der ganze Text.</p>]]></content:encoded>"
        "<dc:date>2025-02-27T10:00:00Z</dc:date></item>"
        '<item xml:lang="ko"><title>\ubd81\ud55c</title><guid isPermaLink="false">k-1</guid></item>'
        "</channel></rss>"
    ).encode("iso-8859-1", errors="xmlcharrefreplace")
    feed = parse_feed(body)
    assert feed.title == "Nachrichten" and feed.language == "de"
    good, korean = feed.entries
    assert good.title == "Sch\xf6n"  # the declared encoding still applies
    assert good.link == "http://example.org/news/artikel/1"  # xml:base of the channel
    assert good.content == "<p>Der ganze Text.</p>"  # the content: namespace still bound
    assert good.published is not None and good.published.isoformat() == "2025-02-27T10:00:00+00:00"
    assert good.language == "de"
    # Written as character references in an ISO-8859-1 body; feedparser reads an item's
    # own xml:lang into title_detail only, so the entry has the channel's language.
    assert (korean.title, korean.guid, korean.language) == ("\ubd81\ud55c", "k-1", "de")


def test_atom_recovery_keeps_the_default_namespace_and_root_language() -> None:
    body = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ko"><title>Atom</title>'
        "<entry><title>bad</title><id>b</id></width<</entry>"
        '<entry><title>\ubd81\ud55c\uad70</title><id>g</id><link href="https://a.kr/1"/>'
        '<summary type="html">&lt;b&gt;x&lt;/b&gt;</summary></entry></feed>'
    ).encode()
    feed = parse_feed(body)
    [entry] = feed.entries
    assert (entry.guid, entry.link, entry.language) == ("g", "https://a.kr/1", "ko")
    assert entry.summary == "<b>x</b>" and entry.summary_is_html
    assert feed.title == "Atom"


def test_a_body_with_nothing_readable_is_still_a_parse_error() -> None:
    body = rss(item("a", "a", "</width<") + item("b", "b", "</height<>"))
    with pytest.raises(ParseError, match=r"^the parser failed: TypeError: ") as caught:
        parse_feed(body)
    assert isinstance(caught.value.__cause__, TypeError)


# Bodies built to make recovery slow if any step were quadratic. Through the pool: a
# runaway parse is killed at the deadline and fails the test instead of hanging it.
SLOW_SHAPES = {
    "many-unterminated-items": rss("<item>" * 10_000),
    "end-tags-without-gt": rss("</width<" + "</item" * 40_000),
    "many-crashing-items": rss(item("t", "g", "</width<") * 3_000 + ON_TOPIC),
    "open-quote-in-root": b'<rss a="' + b"<item>x</item>" * 20_000,
    "long-tag-names": rss("<item" + "x" * 200_000 + "</width<" + ON_TOPIC),
    "channel-tags-without-gt": b"<rss>" + b"<channel " * 40_000 + b"</width<" + ON_TOPIC.encode(),
    "root-and-comments": b"<!--" * 40_000 + b"<?" * 40_000 + b"<rss " * 40_000 + b"</width<",
}


@pytest.mark.parametrize("name", SLOW_SHAPES)
def test_recovery_stays_linear_on_hostile_shapes(name: str) -> None:
    async def run() -> ParsedFeed | ParseError:
        with ParserPool([], workers=1, timeout=30, memory_mb=1024) as pool:
            try:
                return await pool.process(SLOW_SHAPES[name], {}, None)
            except ParseError as exc:
                return exc

    result = asyncio.run(run())
    assert "parse.timeout" not in str(result)
    if name in ("many-crashing-items", "long-tag-names", "channel-tags-without-gt"):
        assert isinstance(result, ParsedFeed)
        assert result.entries[-1][0].key == "guid:good-1"


# --- 4. properties: damage anywhere, and damage next to good entries -------------------------

FIRST = item("First good entry", "first", "<link>http://example.com/first</link>")
LAST = item("Last good entry", "last", "<description>fine</description>")
MIDDLE = item(
    "Middle entry", "middle", "<link>http://example.com/m</link><description>x</description>"
)


@given(st.randoms(use_true_random=False), st.integers(min_value=1, max_value=3))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_good_entries_survive_a_damaged_neighbour(rng: random.Random, damages: int) -> None:
    middle = MIDDLE.encode()
    for _ in range(damages):
        middle = mutate(middle, rng)
    body = rss("").replace(b"</channel>", FIRST.encode() + middle + LAST.encode() + b"</channel>")
    titles = [e.title for e in parse_feed(body).entries]
    assert "First good entry" in titles and "Last good entry" in titles


FIXTURES = sorted(FEEDS.glob("*.xml"))


@given(st.sampled_from(FIXTURES), st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damage_anywhere_raises_nothing_but_parse_error(path: Path, rng: random.Random) -> None:
    body = path.read_bytes()
    for _ in range(rng.randint(1, 4)):
        body = mutate(body, rng)
    try:
        result = process_body(body, {}, None, matcher=Matcher([]), base_url="http://127.0.0.1/f")
    except ParseError:
        return
    assert all(entry.key for entry, _ in result.entries)


# --- 5. end to end: a real poll ----------------------------------------------------------------


def test_a_poll_stores_the_good_entry_beside_broken_ones(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = write_config(tmp_path, {"broken": feed_server.url("/feeds/broken_entries.xml")})
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
    assert result.exit_code == 0, result.output
    assert "1 ok, 0 not modified, 0 failed" in result.output
    hits = json.loads(CliRunner().invoke(cli, ["--config", str(config), "hits", "--json"]).output)
    assert [h["title"] for h in hits] == ["North Korea sends 3,000 more troops to the Kursk front"]
    db = sqlite3.connect(tmp_path / "monitor.db")
    guids = [row[0] for row in db.execute("SELECT guid FROM entries ORDER BY guid")]
    assert guids == ["broken-surrogate", "good-kursk", "good-weather"]
    [error] = db.execute("SELECT last_error FROM feeds WHERE name = 'broken'").fetchone()
    assert error is None


# --- the mutation harness ----------------------------------------------------------------------

# Tokens that break a feed parser in different ways: character references XML forbids,
# end tags feedparser crashes on, markup left open, stray bytes.
HOSTILE_TOKENS = (
    b"&#xD800;",
    b"&#55296;",
    b"&#0;",
    b"&#x1;",
    b"&#x110000;",
    b"&#99999999999;",
    b"</width<",
    b"</height<>",
    b"<",
    b"&",
    b"]]>",
    b"<![CDATA[",
    b"<!--",
    b"\x00",
    b"\xff\xfe",
    b'"',
    b"</title>",
    b"<title>",
    b"</item>",
    b"</entry>",
    b"</channel></rss>",
    b"<p>",
)
_ENTRY_ELEMENT = re.compile(
    rb"<((?:[A-Za-z_][\w.-]*+:)?(?:item|entry))(?=[\s/>]).*?</\1\s*>", re.DOTALL
)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random damage inside ``data``: a hostile token, a deletion, a byte, a repeat."""
    at = rng.randrange(len(data) + 1)
    kind = rng.randrange(4)
    if kind == 0:
        return data[:at] + rng.choice(HOSTILE_TOKENS) + data[at:]
    if kind == 1:
        return data[:at] + data[at + rng.randint(1, 16) :]
    if kind == 2:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    end = min(len(data), at + rng.randint(1, 32))
    return data[:end] + data[at:end] + data[end:]


def with_damaged_copy(body: bytes, rng: random.Random) -> bytes | None:
    """The body with its first entry doubled and one of the two copies damaged.

    The damaged copy stands before or after the intact one (chosen by ``rng``), so every
    entry the body had stays intact. None when no entry element can be found (the corpus
    also holds UTF-16 and EBCDIC files, and feeds without entries).
    """
    found = _ENTRY_ELEMENT.search(body)
    if found is None:
        return None
    element = found.group(0)
    damaged = mutate(element, rng)
    pair = element + damaged if rng.random() < 0.5 else damaged + element
    return body[: found.start()] + pair + body[found.end() :]


@dataclass
class Tally:
    feeds: int = 0  # damaged feeds measured
    lost_feed: int = 0  # ParseError: the whole feed lost
    lost_entries: int = 0  # parsed, but an entry of the undamaged body is missing

    def __str__(self) -> str:
        return (
            f"{self.feeds} damaged feeds: {self.lost_feed} lost entirely, "
            f"{self.lost_entries} lost some good entries, "
            f"{self.feeds - self.lost_feed - self.lost_entries} kept every good entry"
        )


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)


def identities(body: bytes) -> Counter[tuple[str | None, str | None, str]]:
    """Each entry of a body as (guid, link, title as text); raises ParseError as parse_feed.

    Entries with neither guid nor link are only counted: feedparser's strict parser and
    its fallback give their titles differently (inline XHTML as markup or as text,
    ``&amp;`` decoded or not), and a damaged neighbour decides which parser reads them.
    """
    return Counter(
        (e.guid, e.link, plain_text(e.title, is_html=e.title_is_html))
        if e.guid or e.link
        else (None, None, "an entry without guid or link")
        for e in parse_feed(body).entries
    )


def measure(files: list[Path], *, rounds: int = 2) -> tuple[Tally, list[str]]:
    """Damage each file that has entries ``rounds`` times; count what was lost.

    Every entry of the undamaged body must come out of the damaged one, the doubled
    entry through its intact copy.
    """
    tally, losses = Tally(), []
    for path in files:
        name = path.relative_to(CORPUS)
        body = path.read_bytes()
        try:
            good = identities(body)
        except ParseError:
            continue
        if not good:
            continue
        for round_ in range(rounds):
            damaged = with_damaged_copy(body, random.Random(f"{name}:{round_}"))
            if damaged is None:
                break
            tally.feeds += 1
            try:
                missing = good - identities(damaged)
            except ParseError as exc:
                tally.lost_feed += 1
                losses.append(f"{name}:{round_}: {exc}")
                continue
            if missing:
                tally.lost_entries += 1
                losses.append(f"{name}:{round_}: lost {sorted(missing, key=repr)}")
    return tally, losses


# Measured on 2,372 damaged corpus feeds (2 damages each of the 1,186 files with entries the
# pattern finds), before repair and recovery: 85 lost the whole feed (feedparser raised
# KeyError, OverflowError, TypeError, UnicodeEncodeError or ValueError, or found "not a
# feed") and 2 lost good entries (a stray byte: every title decoded as another charset).
# With rounds=10 (11,860 damaged feeds): 506 and 9. After: none in either.


@pytest.mark.corpus
@pytest.mark.slow
def test_damaged_corpus_feeds_keep_every_good_entry() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"feedparser corpus not found at {CORPUS}")
    tally, losses = measure(corpus_files())
    assert tally.feeds >= 2_300, tally
    assert losses == [], tally


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")  # feedparser warns about some corpus files
    if not CORPUS.is_dir():
        sys.exit(f"feedparser corpus not found at {CORPUS}")
    result, lost = measure(corpus_files())
    print("\n".join(lost))
    print(result)
