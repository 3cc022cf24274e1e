"""Hostile feed bodies: entity bombs, parser crashes, slow regexes, feedparser's own corpus.

Every body is built here from real bytes and goes through the real parser: in-process via
``parse.parse_feed`` / ``worker.process_body``, or through a ``worker.ParserPool`` of spawned,
killable processes when the input could hang or blow up memory.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import feedparser
import pytest

from monitor.errors import ParseError
from monitor.match import Matcher
from monitor.parse import parse_feed, strip_doctype
from monitor.records import ParsedFeed
from monitor.watch import WatchSpec, load_watches
from monitor.worker import ParserPool, process_body

ROOT = Path(__file__).resolve().parents[1]
FEEDS = ROOT / "tests" / "feeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "feedparser-tests"


def rss(items: str, *, prolog: str = "") -> bytes:
    """A small RSS 2.0 document holding ``items``, after an optional DOCTYPE ``prolog``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"{prolog}"
        '<rss version="2.0"><channel><title>Hostile</title>'
        "<link>http://example.com/</link><description>test feed</description>"
        f"{items}</channel></rss>"
    ).encode()


async def process_in_pool(body: bytes, *, timeout: float) -> ParsedFeed:
    """One body through a fresh one-worker pool with a 512 MiB address-space limit."""
    with ParserPool([], workers=1, timeout=timeout, memory_mb=512) as pool:
        return await pool.process(body, {}, None)


# --- 1. strip_doctype ----------------------------------------------------------------------

STRIP_CASES = [
    pytest.param(
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "AAAA">]><rss/>',
        b'<?xml version="1.0"?><rss/>',
        id="internal-subset-one-line",
    ),
    pytest.param(
        b'<!DOCTYPE rss [\n  <!ENTITY a "lol">\n  <!ENTITY b "&a;&a;&a;">\n]  >\n<rss/>',
        b"\n<rss/>",
        id="internal-subset-multi-line-nested-entities",
    ),
    pytest.param(
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC'
        b' "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss/>',
        b'<?xml version="1.0"?>\n\n<rss/>',
        id="external-public-doctype",
    ),
    pytest.param(
        b'<!doctype rss [<!entity big "AAAA">]><rss/>',
        b"<rss/>",
        id="lowercase-doctype-and-entity",
    ),
    pytest.param(
        b'<!ENTITY big "AAAA"><rss><title>&big;</title></rss>',
        b"<rss><title>&big;</title></rss>",
        id="stray-entity-declaration",
    ),
    pytest.param(
        b'<!ENTITY % param "x">\n<!ENTITY other SYSTEM "file:///etc/passwd">\n<rss/>',
        b"\n\n<rss/>",
        id="stray-parameter-and-external-entities",
    ),
    pytest.param(
        # After the first element a declaration is mere text: feedparser neither reads
        # nor expands it, so it is left alone (and CDATA content is never touched).
        b'<rss/><!ENTITY % param "x">',
        b'<rss/><!ENTITY % param "x">',
        id="after-the-root-element-untouched",
    ),
    pytest.param(
        b'<!DOCTYPE rss [<!ENTITY big "a]>b">]><rss/>',
        b"<rss/>",
        id="quoted-bracket-and-gt-inside-the-subset",
    ),
    pytest.param(b"<!DOCTYPE a [" * 3 + b"<rss/>", b"<rss/>", id="unterminated-declarations"),
    pytest.param(
        b"<rss><channel><title>no declarations</title></channel></rss>",
        b"<rss><channel><title>no declarations</title></channel></rss>",
        id="no-markup-declarations-unchanged",
    ),
    pytest.param(
        b"<rss><!-- note --><channel><description><![CDATA[<b>x</b>]]></description>"
        b"</channel></rss>",
        b"<rss><!-- note --><channel><description><![CDATA[<b>x</b>]]></description>"
        b"</channel></rss>",
        id="comment-and-cdata-unchanged",
    ),
    pytest.param(
        b'<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><rss/>',
        b'<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><rss/>',
        id="processing-instructions-unchanged",
    ),
]


@pytest.mark.parametrize(("body", "expected"), STRIP_CASES)
def test_strip_doctype_truth_table(body: bytes, expected: bytes) -> None:
    assert strip_doctype(body) == expected


@pytest.mark.parametrize("path", sorted(FEEDS.glob("*.xml")), ids=lambda p: p.name)
def test_strip_doctype_leaves_a_normal_feed_byte_identical(path: Path) -> None:
    body = path.read_bytes()
    assert strip_doctype(body) == body


# --- 2. entity expansion ---------------------------------------------------------------------

BIG_ENTITY = "A" * 100_000
BOMB_USES = 5_000  # 100 KB x 5,000 = 500 MB once expanded


def entity_bomb() -> bytes:
    """A plain-text entity of 100 KB used 5,000 times in one title.

    The ENTITY sits on its own line: that is the form feedparser's own DOCTYPE filter keeps
    as "safe" and re-declares, so plain ``feedparser.parse`` expands it (measured: 9.5 s,
    1.46 GB peak RSS, a 500,000,000-character title).
    """
    prolog = f'<!DOCTYPE rss [\n<!ENTITY big "{BIG_ENTITY}">\n]>\n'
    item = (
        f"<item><title>{'&big;' * BOMB_USES}</title>"
        "<link>http://example.com/bomb</link><guid>bomb-1</guid></item>"
    )
    return rss(item, prolog=prolog)


def test_strip_doctype_removes_the_entity_bomb_declaration() -> None:
    stripped = strip_doctype(entity_bomb())
    assert b"<!DOCTYPE" not in stripped
    assert b"<!ENTITY" not in stripped
    assert b"A" * 100 not in stripped
    assert stripped.count(b"&big;") == BOMB_USES


def test_entity_bomb_comes_back_unexpanded_from_the_pool() -> None:
    result = asyncio.run(process_in_pool(entity_bomb(), timeout=10))
    assert isinstance(result, ParsedFeed)
    assert result.title == "Hostile"
    [(entry, matches)] = result.entries
    assert matches == ()
    assert entry.key == "guid:bomb-1"
    # The reference stays literal text: 25,000 characters, not 500,000,000.
    assert entry.title == "&big;" * BOMB_USES
    assert len(entry.title) == 25_000
    assert "AAAA" not in entry.title
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("malformed feed, read anyway: SAXParseException:")
    assert result.warnings[0].endswith("undefined entity")


# --- 3. bodies feedparser raises on ----------------------------------------------------------

# Each of these makes feedparser 6.0.14 raise (not just set "bozo"), and holds no entry
# that could be read on its own: still this feed's ParseError.
FEEDPARSER_CRASHERS = [
    pytest.param(b"</width<", TypeError, id="close-width-TypeError"),
    pytest.param(b"</height<>", TypeError, id="close-height-TypeError"),
    pytest.param(
        b"<rss><channel><item><title>a</title></width<</item></channel></rss>",
        TypeError,
        id="rss-only-item-close-width-TypeError",
    ),
    pytest.param(
        b'<rss xmlns:creativeCommons="urn:cc"><channel><item>'
        b"<creatommons:license>x</creativeCommons:license></item></channel></rss>",
        KeyError,
        id="rss-only-item-unbound-prefix-KeyError",
    ),
]


@pytest.mark.parametrize(("body", "raised"), FEEDPARSER_CRASHERS)
def test_feedparser_crash_becomes_parse_error(body: bytes, raised: type[Exception]) -> None:
    with pytest.raises(raised):
        feedparser.parse(body)  # the precondition: feedparser itself really raises
    expected = f"^the parser failed: {raised.__name__}: "
    with pytest.raises(ParseError, match=expected) as caught:
        parse_feed(body)
    assert isinstance(caught.value.__cause__, raised)
    with pytest.raises(ParseError, match=expected):
        process_body(body, {}, None, matcher=Matcher([]))


# These made feedparser raise too; the references are now repaired before it sees them.
REPAIRED_CRASHERS = [
    pytest.param(
        b"<rss><channel><item><title>&#99999999999;</title></item></channel></rss>",
        OverflowError,
        id="rss-huge-char-ref-OverflowError",
    ),
    pytest.param(
        b"<feed><entry><title>&#99999999999;</title></entry></feed>",
        OverflowError,
        id="atom-huge-char-ref-OverflowError",
    ),
    pytest.param(
        b"<rss><channel><item><title>&#x110000;</title></item></channel></rss>",
        ValueError,
        id="rss-char-ref-past-unicode-ValueError",
    ),
    pytest.param(
        b"<rss><channel><item><title>&#xD800;</title></item></channel></rss>",
        UnicodeEncodeError,
        id="rss-surrogate-UnicodeEncodeError",
    ),
]


@pytest.mark.parametrize(("body", "raised"), REPAIRED_CRASHERS)
def test_forbidden_char_refs_are_repaired_before_parsing(
    body: bytes, raised: type[Exception]
) -> None:
    with pytest.raises(raised):
        feedparser.parse(body)
    feed = parse_feed(body)
    assert [e.title for e in feed.entries] == ["\ufffd"]
    assert feed.warnings == (
        "malformed feed, repaired: 1 character reference XML forbids replaced by U+FFFD",
    )


def test_a_repaired_body_with_nothing_in_it_is_not_a_feed() -> None:
    with pytest.raises(ValueError):
        feedparser.parse(b"<x>&#x110000;")
    with pytest.raises(ParseError, match=r"^not a feed: SAXParseException: "):
        parse_feed(b"<x>&#x110000;")


# These don't make feedparser raise; it flags them "bozo" and finds nothing in them.
NOT_A_FEED = [
    pytest.param(b"\xff\xfe<", id="truncated-utf16-le-bom"),
    pytest.param(b"\xfe\xff\x00", id="truncated-utf16-be-bom"),
    pytest.param(b"\x00\x00\xfe\xff", id="bare-utf32-be-bom"),
    pytest.param(b"\xef\xbb", id="truncated-utf8-bom"),
    pytest.param(b"</a<", id="broken-close-tag"),
    pytest.param(b"<![CDATA[", id="unterminated-cdata"),
]


@pytest.mark.parametrize("body", NOT_A_FEED)
def test_garbage_feedparser_survives_is_not_a_feed(body: bytes) -> None:
    assert feedparser.parse(body)["bozo"]
    with pytest.raises(ParseError, match=r"^not a feed: SAXParseException: "):
        parse_feed(body)
    with pytest.raises(ParseError, match=r"^not a feed: "):
        process_body(body, {}, None, matcher=Matcher([]))


# --- 4. slow regex ---------------------------------------------------------------------------


def test_slow_author_times_out_and_the_pool_still_works() -> None:
    # feedparser looks for an e-mail address in <author> with a regex that is quadratic in
    # a long run of name characters without '@': 80,000 of them took 27 s in plain
    # feedparser.parse (20,000: 1.7 s).
    slow = rss("<item><title>slow</title><author>" + "a" * 80_000 + "</author></item>")
    spiegel = (FEEDS / "spiegel.xml").read_bytes()

    async def scenario() -> ParsedFeed:
        with ParserPool([], workers=1, timeout=2, memory_mb=512) as pool:
            with pytest.raises(ParseError, match=r"longer than parse\.timeout \(2s\)"):
                await pool.process(slow, {}, None)
            return await pool.process(spiegel, {}, None)

    after = asyncio.run(scenario())
    assert isinstance(after, ParsedFeed)
    assert len(after.entries) == 6


# --- 5. malformed entries --------------------------------------------------------------------

GOOD_ITEM = (
    "<item><title>Kim Jong Un visits Moscow</title><link>http://example.com/1</link>"
    "<description>A fine entry.</description><guid>good-1</guid>"
    "<pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>"
)


@pytest.mark.parametrize(
    "bad_item",
    [
        pytest.param(
            "<item><link>http://example.com/2</link><guid>bad-2</guid></item>", id="link-only"
        ),
        pytest.param(
            "<item><title>  </title><description>&lt;p&gt; &lt;/p&gt;</description>"
            "<guid>bad-2</guid></item>",
            id="blank-title-empty-markup",
        ),
    ],
)
def test_entry_without_title_or_summary_is_skipped_with_a_warning(bad_item: str) -> None:
    result = process_body(rss(GOOD_ITEM + bad_item), {}, None, matcher=Matcher([]))
    [(entry, _)] = result.entries
    assert entry.key == "guid:good-1"
    assert entry.title == "Kim Jong Un visits Moscow"
    assert result.warnings == ("entry 2 skipped: entry has neither title nor summary",)


# --- 6. feedparser's test corpus -------------------------------------------------------------

# Measured with feedparser 6.0.14: 2,246 of 2,259 files parse, 491 of them to >= 1 entry;
# the other 13 are "not a feed". Takes about 2.5 s with two workers.
MIN_PARSED = 2_000
MIN_WITH_ENTRIES = 440


@pytest.mark.corpus
@pytest.mark.slow
def test_every_corpus_file_parses_or_fails_cleanly() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"feedparser corpus not found at {CORPUS}")
    # Every data file; LICENSE and PROVENANCE.md at the top describe the corpus.
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.parent != CORPUS)
    assert len(files) >= 2_259
    watches, problems = load_watches(ROOT / "config" / "watches")
    assert problems == [] and watches

    async def run_all(specs: list[WatchSpec]) -> list[ParsedFeed | BaseException]:
        with ParserPool(specs, workers=2, timeout=5, memory_mb=512) as pool:
            return await asyncio.gather(
                *(pool.process(path.read_bytes(), {}, None) for path in files),
                return_exceptions=True,
            )

    results = asyncio.run(run_all(watches))
    assert len(results) == len(files)
    escaped = {
        str(path.relative_to(CORPUS)): f"{type(r).__name__}: {r}"
        for path, r in zip(files, results, strict=True)
        if not isinstance(r, ParsedFeed | ParseError)
    }
    parsed = [r for r in results if isinstance(r, ParsedFeed)]
    errors = Counter(str(r).split(":")[0] for r in results if isinstance(r, ParseError))
    with_entries = sum(1 for r in parsed if r.entries)
    summary = (
        f"{len(files)} files: {len(parsed)} parsed ({with_entries} with entries), "
        f"{sum(errors.values())} parse errors {dict(errors)}, {len(escaped)} other exceptions"
    )
    assert escaped == {}, summary
    assert len(parsed) >= MIN_PARSED, summary
    assert with_entries >= MIN_WITH_ENTRIES, summary


def test_an_empty_body_is_a_parse_error_not_an_empty_feed() -> None:
    for body in (b"", b"  \n\t "):
        with pytest.raises(ParseError, match="empty body"):
            parse_feed(body)
