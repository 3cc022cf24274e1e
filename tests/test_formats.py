"""JSON Feed, bodies that are no feed, feed autodiscovery, and outlets named after the
publisher (issue 12).

Feeds are served by the real HTTP server of ``conftest`` and polled with ``monitor
poll`` into a real SQLite file; narrower checks call ``parse_feed`` / ``process_body``,
which the poll runs in its worker processes, on the same bytes.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.discover import FoundFeed, find_feeds
from monitor.errors import ParseError
from monitor.match import Matcher
from monitor.parse import parse_feed
from monitor.records import FeedConfig, FetchResult, ParsedFeed
from monitor.store import Store
from monitor.watch import load_watches
from monitor.worker import process_body
from tests.conftest import FEEDS, WATCHES, FeedServer, write_config

JSON_FEED_11 = "https://jsonfeed.org/version/1.1"
NOW = datetime(2025, 2, 27, 12, 0, tzinfo=UTC)


def matcher() -> Matcher:
    watches, problems = load_watches(WATCHES)
    assert problems == []
    return Matcher(watches)


def poll(config: Path, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
    assert result.exit_code == code, result.output
    return result.output


def serve(server: FeedServer, name: str, body: bytes | None = None) -> str:
    """Serve ``body`` (else ``tests/feeds/<name>``) at ``/feeds/<name>``; its URL."""
    server.files[name] = body if body is not None else (FEEDS / name).read_bytes()
    return server.url(f"/feeds/{name}")


def database(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "monitor.db")


def outlets(config: Path) -> dict[str, set[str]]:
    """The outlets each feed's entries are stored under."""
    found: dict[str, set[str]] = {}
    rows = database(config).execute(
        "SELECT feeds.name, entries.outlet FROM entries JOIN feeds ON feeds.id = entries.feed_id"
    )
    for name, outlet in rows:
        found.setdefault(name, set()).add(outlet)
    return found


def json_feed(items: list[object], **fields: object) -> bytes:
    return json.dumps({"version": JSON_FEED_11, "title": "T", "items": items, **fields}).encode()


# --- 1. JSON Feed ---------------------------------------------------------------------------


def test_a_json_feed_reads_as_the_atom_feed_it_copies() -> None:
    """``atom_news.json`` holds what ``atom_news.xml`` holds; both give the same entries,
    matches and title."""
    base = "https://koreawatchdaily.example/feeds/news"
    atom = process_body((FEEDS / "atom_news.xml").read_bytes(), {}, None, matcher(), base)
    as_json = process_body((FEEDS / "atom_news.json").read_bytes(), {}, None, matcher(), base)
    assert as_json == atom
    assert len(as_json.entries) == 6 and as_json.warnings == ()
    assert sum(bool(matches) for _, matches in as_json.entries) == 2


def test_a_json_feed_1_0_polled_gives_the_expected_entries(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """Numeric ids, a relative url, external_url only, content_text only, date_modified
    only and an RFC 822 date: ``briefing_v1.expected.json`` says what each becomes."""
    url = serve(feed_server, "briefing_v1.json")
    expected = json.loads((FEEDS / "briefing_v1.expected.json").read_text(encoding="utf-8"))
    config = write_config(tmp_path, {"briefing": url})
    assert "1 ok, 0 not modified, 0 failed; 3 new entries, 2 new hits" in poll(config)
    db = database(config)
    rows = db.execute(
        "SELECT key, url, title, summary, content, published, outlet,"
        " EXISTS (SELECT 1 FROM hits WHERE hits.entry_id = entries.id) FROM entries ORDER BY id"
    )
    names = ("key", "url", "title", "summary", "content", "published", "outlet", "hit")
    got = [dict(zip(names, row, strict=True)) for row in rows]
    for entry in got:
        entry["hit"] = bool(entry["hit"])
    server = feed_server.url("")
    assert got == [{**e, "url": e["url"].replace("{server}", server)} for e in expected["entries"]]
    [(title, error)] = db.execute("SELECT title, last_error FROM feeds").fetchall()
    assert (title, error) == (expected["title"], None)


def test_json_is_told_by_its_content_or_its_label_and_markup_by_its_own() -> None:
    item = {"id": "a", "title": "North Korean troops", "content_text": "At the front."}
    body = json_feed([item])
    for headers in ({}, {"content-type": "text/plain"}, {"content-type": "application/rss+xml"}):
        assert [e.title for e in parse_feed(b"\xef\xbb\xbf \n" + body, headers).entries] == [
            "North Korean troops"
        ]
    for label in ("application/feed+json", "application/json", "application/ld+json"):
        with pytest.raises(ParseError, match=r"^JSON, but not a JSON Feed: a string, not an"):
            parse_feed(b'"North Korean troops"', {"content-type": label})
    # A feed labelled JSON (or HTML) is still read as what it is.
    rss = (FEEDS / "spiegel.xml").read_bytes()
    for label in ("application/json", "text/html; charset=utf-8"):
        assert len(parse_feed(rss, {"content-type": label}).entries) == 6


HOSTILE_JSON = [
    pytest.param(b"[" * 100_000, r"^JSON nested too deeply to read, not a feed$", id="deep-array"),
    pytest.param(
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b'{"a":' * 50_000,
        r"^JSON nested too deeply",
        id="deep-object-inside-a-feed",
    ),
    pytest.param(
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ' + b"9" * 5_000,
        r"^not a feed: invalid JSON: Exceeds the limit \(4300 digits\)",
        id="huge-integer",
    ),
    pytest.param(b'{"items": []', r"^not a feed: invalid JSON: Expecting", id="truncated"),
    pytest.param(
        b'{"title": "x", "items": []}',
        r'^JSON, but not a JSON Feed: an object without a jsonfeed.org "version"$',
        id="no-version",
    ),
    pytest.param(
        b'{"version": "https://example.org/version/1.1", "items": []}',
        r"^JSON, but not a JSON Feed",
        id="other-version",
    ),
    pytest.param(
        b'{"version": 1.1, "items": []}', r"^JSON, but not a JSON Feed", id="version-number"
    ),
    pytest.param(
        b'{"version": "https://jsonfeed.org/version/1", "items": {"id": 1}}',
        r"^a JSON Feed without an items list \(items is an object\)$",
        id="items-an-object",
    ),
    pytest.param(
        b'{"version": "https://jsonfeed.org/version/1"}',
        r"^a JSON Feed without an items list \(items is null\)$",
        id="no-items",
    ),
]


@pytest.mark.parametrize(("body", "message"), HOSTILE_JSON)
def test_hostile_json_is_a_parse_error_that_says_why(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        process_body(body, {}, None, Matcher([]))


def test_items_and_fields_of_the_wrong_type_are_skipped_with_one_warning() -> None:
    good = {"id": 7, "url": "https://x.example/7", "title": "Good", "date_published": "2025"}
    items: list[object] = [
        "an item",
        good,
        [1, 2],
        {"id": True, "title": {"text": "x"}, "summary": "Kept \ud800 and \x00 too", "url": 5},
        {"id": "d", "title": "Dated", "date_published": "9999-12-31T23:59:59-23:59"},
        {"id": "e", "title": "E", "language": ["de"], "content_html": 1e999},
    ]
    result = process_body(
        json_feed(items, language=7, title=["T"]), {}, None, Matcher([]), "https://x.example/"
    )
    entries = [entry for entry, _ in result.entries]
    assert [e.title for e in entries] == ["Good", "", "Dated", "E"]
    assert entries[0].key == "guid:7" and entries[0].published is None  # "2025" is no time
    assert entries[1].summary == "Kept \ufffd and \ufffd too" and entries[1].key.startswith("sha1:")
    assert entries[2].published is None  # past year 9999 in UTC
    assert result.title is None
    assert result.warnings == (
        "malformed JSON Feed: 2 of 6 items skipped, 7 fields of the wrong type ignored"
        " (language: a number, not a string; items[0]: a string, not an object; ...)",
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec=None, categories=None), max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=20,
)
ITEM_FIELDS = (
    "id", "url", "external_url", "title", "content_html", "content_text", "summary",
    "date_published", "date_modified", "language", "authors", "author",
)  # fmt: skip
ITEMS = st.dictionaries(st.sampled_from(ITEM_FIELDS), JSON_VALUES | st.text()) | JSON_VALUES
FEEDS_OF_JSON = st.fixed_dictionaries(
    {
        "version": st.sampled_from([JSON_FEED_11, "https://jsonfeed.org/version/1"]) | JSON_VALUES,
        "items": st.lists(ITEMS, max_size=5) | JSON_VALUES,
    },
    optional={"title": JSON_VALUES, "language": JSON_VALUES, "home_page_url": JSON_VALUES},
)


@given(st.one_of(FEEDS_OF_JSON, JSON_VALUES))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_json_raises_nothing_but_parse_error(value: object) -> None:
    body = json.dumps(value).encode()  # ensure_ascii: lone surrogates become \ud800 escapes
    fields = value if isinstance(value, dict) else {}
    versions = (JSON_FEED_11, "https://jsonfeed.org/version/1")
    is_feed = fields.get("version") in versions and isinstance(fields.get("items"), list)
    try:
        result = process_body(body, {}, None, Matcher([]), "https://x.example/feed.json")
    except ParseError:
        assert not is_feed  # a feed of any items at all is read, whatever they hold
        return
    for entry, _ in result.entries:  # everything can go into SQLite
        for text in (entry.key, entry.url or "", entry.title, entry.summary, entry.content):
            text.encode("utf-8")
    for text in (result.title or "", result.outlet or "", *result.warnings):
        text.encode("utf-8")


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_arbitrary_bytes_in_a_json_feed_raise_nothing_but_parse_error(junk: bytes) -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"title": "%s"}]}' % junk
    try:
        feed = parse_feed(body, {"content-type": "application/feed+json"})
    except ParseError:  # only what breaks a JSON string: a quote, a backslash, a control
        assert b'"' in junk or b"\\" in junk or min(junk) < 0x20
        return
    [entry] = feed.entries
    entry.title.encode("utf-8")  # bytes that are not UTF-8 came out as U+FFFD


# --- 2. what a body is when it is no feed ----------------------------------------------------


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


HINT = "`monitor feeds add URL` finds the feeds it links to"


def test_a_poll_of_what_is_no_feed_records_what_it_is(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The feeds server labels everything application/rss+xml: content decides."""
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    bodies = {
        "home": ("home_page.html", None),
        "article": ("article.html", b"<!doctype html><title>Article</title><p>Text</p>"),
        "data": ("data.json", b'{"data": [1, 2, 3]}'),
        "image": ("logo.png", png()),
        "document": ("report.pdf", pdf),
    }
    feeds = {name: serve(feed_server, file, body) for name, (file, body) in bodies.items()}
    config = write_config(tmp_path, feeds)
    assert "0 ok, 0 not modified, 5 failed" in poll(config, code=1)  # none could be polled
    errors = dict(database(config).execute("SELECT name, last_error FROM feeds"))
    herald = feed_server.url("/herald/feeds")
    assert errors == {
        "home": f"an HTML page, not a feed: it declares 3 feeds, first {herald}/all.rss and"
        f" {herald}/nk.atom; {HINT}",
        "article": f"an HTML page, not a feed; {HINT}",
        "data": 'JSON, but not a JSON Feed: an object without a jsonfeed.org "version"',
        "image": "a PNG image, not a feed",
        "document": "a PDF document, not a feed",
    }


PAGE_WITH_FEED = b'<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
NOT_FEEDS = [
    pytest.param(
        b"\xef\xbb\xbf<!-- served by nginx -->\n<!DOCTYPE HTML PUBLIC '-//W3C//DTD HTML 4.01//EN'>"
        b"<html><head>" + PAGE_WITH_FEED,
        {},
        "an HTML page, not a feed: it declares the feed https://site.example/atom.xml; " + HINT,
        id="bom-comment-html4-doctype",
    ),
    pytest.param(
        b'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<head>" + PAGE_WITH_FEED + PAGE_WITH_FEED.replace(b"atom.xml", b"rss"),
        {},
        "an HTML page, not a feed: it declares the feeds https://site.example/atom.xml and"
        " https://site.example/rss; " + HINT,
        id="xhtml-two-feeds",
    ),
    pytest.param(
        b"<head><meta charset=utf-8>" + PAGE_WITH_FEED,
        {},
        "an HTML page, not a feed: it declares the feed https://site.example/atom.xml; " + HINT,
        id="head-first",
    ),
    pytest.param(
        b"<div class=teaser>Breaking: <b>news</div>",
        {"content-type": "text/html; charset=utf-8"},
        f"an HTML page, not a feed; {HINT}",
        id="fragment-labelled-html",
    ),
    pytest.param(b"\xff\xd8\xff\xe0\x00\x10JFIF", {}, "a JPEG image, not a feed", id="jpeg"),
    pytest.param(b"GIF89a\x01\x00", {}, "a GIF image, not a feed", id="gif"),
    pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 ", {}, "a WebP image, not a feed", id="webp"),
    pytest.param(
        b"PK\x03\x04\x14\x00", {}, "a ZIP archive (or an office document), not a feed", id="zip"
    ),
    pytest.param(
        b"\x1f\x8b\x08\x00rss",
        {},
        "gzip-compressed data the server did not declare in Content-Encoding, not a feed",
        id="undeclared-gzip",
    ),
    pytest.param(
        b"\x00\x01\x02binary",
        {"content-type": "application/octet-stream"},
        "a file of type application/octet-stream, not a feed",
        id="octet-stream",
    ),
    pytest.param(
        b"caf\xe9 au lait",
        {"content-type": "image/x-icon"},
        "a file of type image/x-icon, not a feed",
        id="labelled-image",
    ),
]


@pytest.mark.parametrize(("body", "headers", "message"), NOT_FEEDS)
def test_what_a_body_is_truth_table(body: bytes, headers: dict[str, str], message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, headers, "https://site.example/news/")
    assert str(caught.value) == message


def test_content_wins_over_a_wrong_label() -> None:
    rss = (FEEDS / "yonhap_en.xml").read_bytes()
    for label in ("application/octet-stream", "image/png", "text/html"):
        assert len(parse_feed(rss, {"content-type": label}).entries) == 8
    with pytest.raises(ParseError, match=r"^a PNG image, not a feed$"):
        parse_feed(png(), {"content-type": "application/rss+xml"})


# --- 3. feed autodiscovery --------------------------------------------------------------------


def test_find_feeds_in_the_home_page() -> None:
    page = (FEEDS / "home_page.html").read_bytes()
    assert find_feeds(page, "https://hanriverherald.example/index.html") == [
        FoundFeed(
            "https://hanriverherald.example/herald/feeds/all.rss",
            "Han River Herald - All news",
            "application/rss+xml",
        ),
        FoundFeed(
            "https://hanriverherald.example/herald/feeds/nk.atom",
            "Han River Herald - North Korea",
            "application/atom+xml",
        ),
        FoundFeed(
            "https://hanriverherald.example/herald/feeds/all.json",
            "Han River Herald (JSON)",
            "application/feed+json",
        ),
    ]


BASE = "https://site.example/section/page.html"
DISCOVERY = [
    pytest.param('<link rel="alternate" type="application/rss+xml" href="rss">',
                 [("https://site.example/section/rss", "application/rss+xml")], id="relative"),
    pytest.param('<LINK REL="Alternate Feed" TYPE="Application/Atom+XML; charset=UTF-8"'
                 ' HREF=" //cdn.example/a.atom ">',
                 [("https://cdn.example/a.atom", "application/atom+xml")], id="case-and-space"),
    pytest.param('<link rel="feed" href="/all">', [("https://site.example/all", None)],
                 id="rel-feed-untyped"),
    pytest.param('<link rel="feed" type="text/html" href="/h">', [], id="rel-feed-html-page"),
    pytest.param('<link rel="alternate" href="/fr" hreflang="fr">', [], id="translation"),
    pytest.param('<link rel="alternate" type="application/json" href="/wp-json/x">', [],
                 id="wordpress-api"),
    pytest.param('<link rel="alternate" type="application/rss+xml" href="ftp://x.example/f">'
                 '<link rel="alternate" type="application/rss+xml" href="data:text/xml,<rss/>">'
                 '<link rel="alternate" type="application/rss+xml" href="http://[::1">'
                 '<link rel="alternate" type="application/rss+xml" href="">', [],
                 id="not-http"),
    pytest.param('<link rel="alternate" type="application/rss+xml" href="feed://x.example/f">'
                 '<link rel="alternate" type="application/rss+xml" href="feed:https://y.example/">',
                 [("http://x.example/f", "application/rss+xml"),
                  ("https://y.example/", "application/rss+xml")], id="feed-scheme"),
    pytest.param('<base href="https://other.example/b/"><link rel="alternate"'
                 ' type="application/feed+json" href="f.json"><base href="/ignored/">',
                 [("https://other.example/b/f.json", "application/feed+json")], id="base-href"),
    pytest.param('<base target="_top"><link rel="alternate" type="application/rss+xml" href="r">',
                 [("https://site.example/section/r", "application/rss+xml")],
                 id="base-without-href"),
    pytest.param('<link rel="alternate" type="application/rss+xml" href="/a#top">'
                 '<link rel="alternate" type="application/atom+xml" href="/b">'
                 '<link rel="alternate" type="application/rss+xml" href="https://site.example/a">',
                 [("https://site.example/a", "application/rss+xml"),
                  ("https://site.example/b", "application/atom+xml")], id="dedupe-in-order"),
    pytest.param('<head><noscript><img src="p.gif"></noscript></head><body><link rel="alternate"'
                 ' type="application/rss+xml" href="/late"></body>',
                 [("https://site.example/late", "application/rss+xml")], id="sloppy-head"),
    pytest.param('<meta charset="windows-1251"><link rel="alternate" type="application/rss+xml"'
                 ' href="/r" title="\xcd\xee\xe2\xee\xf1\xf2\xe8">',
                 [("https://site.example/r", "application/rss+xml")], id="declared-charset"),
]  # fmt: skip


@pytest.mark.parametrize(("html", "expected"), DISCOVERY)
def test_find_feeds_truth_table(html: str, expected: list[tuple[str, str | None]]) -> None:
    body = html.encode("latin-1")
    assert [(f.url, f.type) for f in find_feeds(body, BASE)] == expected


def test_a_declared_charset_decodes_the_titles() -> None:
    page = '<meta charset="windows-1251"><link rel="alternate" type="application/rss+xml"'
    page += ' href="/r" title="  Новости \n">'
    [found] = find_feeds(page.encode("windows-1251"), BASE)
    assert found.title == "Новости"


TAGS = st.sampled_from(
    ["<link ", "<base ", "<head>", "</head>", "<body>", "<noscript>", "<!--", "-->", ">", '"',
     "'", "=", " ", "rel=alternate ", 'rel="feed" ', "type=application/rss+xml ",
     "type='application/feed+json' ", "href=", "/x", "feed:", "http://[", "javascript:",
     "\x00", "\ud800", "&#0;", "&amp;", "<script>", "</script>", "<svg>", "<template>"]
)  # fmt: skip
HTML_PIECES = st.lists(TAGS | st.text(max_size=8), max_size=40).map("".join)


@given(HTML_PIECES, st.sampled_from([BASE, "", "not a url", "http://[::1", "file:///etc/"]))
@settings(max_examples=400, deadline=None)
def test_arbitrary_html_raises_nothing(html: str, base: str) -> None:
    for body in (html.encode("utf-8", "surrogatepass"), html.encode("utf-16", "surrogatepass")):
        found = find_feeds(body, base)
        urls = [f.url for f in found]
        assert len(urls) == len(set(urls))
        assert all(u.startswith(("http://", "https://")) and "#" not in u for u in urls)


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_arbitrary_bytes_raise_nothing_in_discovery(body: bytes) -> None:
    find_feeds(body, BASE)


# --- 4. outlets -------------------------------------------------------------------------------


def test_outlets_are_the_publishers_feeds_and_items_name(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    spiegel = feed_server.files["spiegel.xml"]
    feeds = {
        "yonhap-en": serve(feed_server, "yonhap_en.xml"),
        "yonhap-ko": serve(feed_server, "yonhap_ko.xml"),
        "tagesschau": serve(feed_server, "tagesschau.xml"),
        "spiegel": serve(feed_server, "spiegel.xml"),
        # Another section of the same outlet, with the same story: one entry, not two.
        "spiegel-politik": serve(
            feed_server, "spiegel_politik.xml", spiegel.replace(b"- Ausland", b"- Politik")
        ),
        "atom-news": serve(feed_server, "atom_news.xml"),
        "json": serve(feed_server, "atom_news.json"),
        "google": serve(feed_server, "aggregator.xml"),
        "planet": serve(feed_server, "aggregator_atom.xml"),
        "configured": serve(feed_server, "comment_anchors.xml"),
    }
    config = write_config(tmp_path, feeds)
    text = config.read_text().replace(
        'name = "configured"\n', 'name = "configured"\noutlet = "Frontline Notes"\n'
    )
    config.write_text(text)
    out = poll(config)
    assert "10 ok, 0 not modified, 0 failed" in out
    found = outlets(config)
    # Whichever of two feeds of one outlet is stored first holds the entries they share.
    for first, second in (("spiegel", "spiegel-politik"), ("atom-news", "json")):
        found[first] = found.pop(first, set()) | found.pop(second, set())
    assert found == {
        "yonhap-en": {"Yonhap News Agency"},
        "yonhap-ko": {"연합뉴스 최신기사"},
        "tagesschau": {"tagesschau.de"},
        "spiegel": {"DER SPIEGEL"},
        "atom-news": {"Korea Watch Daily"},
        "google": {"Yonhap News Agency", "DW", "Google News"},
        "planet": {"DER SPIEGEL", "ZEIT ONLINE"},
        "configured": {"Frontline Notes"},
    }
    entries = dict(database(config).execute("SELECT outlet, count(*) FROM entries GROUP BY 1"))
    assert entries["DER SPIEGEL"] == 6 + 1 and entries["Korea Watch Daily"] == 6
    db = database(config)
    by_item = dict(db.execute("SELECT guid, outlet FROM entries WHERE guid LIKE 'CBMi%'"))
    assert by_item == {
        "CBMiTESTaggregator0001": "Yonhap News Agency",
        "CBMiTESTaggregator0002": "DW",
        "CBMiTESTaggregator0003": "Google News",  # no <source>: the feed's publisher
    }
    feed_outlets = dict(db.execute("SELECT name, outlet FROM feeds"))
    assert feed_outlets["spiegel-politik"] == "DER SPIEGEL" and feed_outlets["json"] == (
        "Korea Watch Daily"
    )


def test_an_entrys_outlet_never_changes_between_polls(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """The outlet is chosen at the feed's first successful poll and kept: a renamed
    feed, a poll that reads no title, a restart, a configured outlet taken away."""
    first = feed_server.files["spiegel.xml"]
    url = serve(feed_server, "feed.xml", b"<html><body>Soon.</body></html>")  # fails
    config = write_config(tmp_path, {"spiegel": url})
    assert "1 failed" in poll(config, code=1)
    feed_server.files["feed.xml"] = first
    assert "1 ok, 0 not modified, 0 failed; 6 new entries" in poll(config)
    assert outlets(config) == {"spiegel": {"DER SPIEGEL"}}
    # Renamed, with one new item: that item is the only new entry, under the same outlet.
    item = first[first.index(b"<item>") : first.index(b"</item>") + 7]
    new_item = item.replace(b"</title>", b" (update)</title>").replace(b"a-5f3c", b"a-0000")
    renamed = first.replace(b"DER SPIEGEL - Ausland", b"SPIEGEL Ausland | Nachrichten")
    feed_server.files["feed.xml"] = renamed.replace(b"<item>", new_item + b"<item>", 1)
    assert "1 ok, 0 not modified, 0 failed; 1 new entries" in poll(config)
    # No title at all, and the items in another order: nothing new.
    untitled = first.replace(b"<title>DER SPIEGEL - Ausland</title>", b"")
    feed_server.files["feed.xml"] = untitled.replace(b"<item>", new_item + b"<item>", 1)
    assert "1 ok, 0 not modified, 0 failed; 0 new entries" in poll(config)
    assert outlets(config) == {"spiegel": {"DER SPIEGEL"}}
    # The chosen outlet is the feeds table's: a start with the same config writes nothing.
    store = Store(config.parent / "monitor.db")
    before = store.conn.total_changes
    unnamed = FeedConfig("spiegel", url, timedelta(minutes=15), "127.0.0.1")
    store.sync_feeds([replace(unnamed, outlet_from_config=False)])
    assert store.conn.total_changes == before
    # A feed stored under a configured outlet (or, before this change, under its host)
    # keeps it when the config no longer names one.
    other = serve(feed_server, "other.xml", first)
    config.write_text(
        config.read_text() + f'\n[[feeds]]\nname = "old"\nurl = "{other}"\noutlet = "127.0.0.1"\n'
    )
    poll(config)
    config.write_text(config.read_text().replace('outlet = "127.0.0.1"\n', ""))
    feed_server.files["other.xml"] = renamed
    assert "; 0 new entries" in poll(config)
    assert outlets(config)["old"] == {"127.0.0.1"}


def test_an_aggregator_item_stored_under_the_feed_stays_there(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """An item stored before its ``<source>`` was read is found under the feed's outlet
    and stays there; only items never seen get their own publisher."""
    url = serve(feed_server, "aggregator.xml")
    config = write_config(tmp_path, {"google": url})
    config.write_text(config.read_text() + 'outlet = "g.news"\n')
    feed = FeedConfig("google", url, timedelta(minutes=15), "g.news")
    store = Store(config.parent / "monitor.db")
    store.sync_feeds([feed])
    parsed = process_body(feed_server.files["aggregator.xml"], {}, None, Matcher([]), url)
    assert [e.outlet for e, _ in parsed.entries] == ["Yonhap News Agency", "DW", None]
    # The first item as a version that read no sources stored it.
    [(entry, matches), *_] = parsed.entries
    earlier = ParsedFeed(((replace(entry, outlet=None), matches),))
    store.record_poll(feed, FetchResult("ok"), earlier, error=None, next_attempt_at=NOW, now=NOW)
    assert "1 ok, 0 not modified, 0 failed; 2 new entries" in poll(config)
    assert dict(database(config).execute("SELECT guid, outlet FROM entries")) == {
        "CBMiTESTaggregator0001": "g.news",
        "CBMiTESTaggregator0002": "DW",
        "CBMiTESTaggregator0003": "g.news",  # no <source>: the feed's (configured) outlet
    }
