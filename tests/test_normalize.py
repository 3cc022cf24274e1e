"""normalize as truth tables: raw feed values in, clean text and links out.

The last section polls real feed files from the test server into a real database.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.match import Matcher
from monitor.normalize import EmptyEntry, canonical_link, feed_links, normalize_entry, plain_text
from monitor.parse import RawEntry
from monitor.worker import process_body
from tests.conftest import FEEDS, FeedServer, write_config


@pytest.mark.parametrize(
    ("raw", "is_html", "text"),
    [
        ("<p>Nordkorea <b>schickt</b> Truppen</p>", True, "Nordkorea schickt Truppen"),
        ("Soldaten &amp; Panzer", True, "Soldaten & Panzer"),
        ("AT&amp;T", False, "AT&T"),  # double-escaped plain text, as real feeds send it
        ("a < b", False, "a < b"),
        ("Nord\u00adkorea", False, "Nordkorea"),  # soft hyphen
        ("Kim\u00a0Jong\u00a0Un", False, "Kim Jong Un"),  # non-breaking spaces
        ("zero\u200bwidth", False, "zerowidth"),
        ("Pjo\u0308ngjang", False, "Pjöngjang"),  # decomposed umlaut becomes NFC
        ("  many \n\t spaces  ", False, "many spaces"),
        ("<script>alert(1)</script>Title", True, "Title"),
        ("<img src=x onerror=alert(1)>Bild", True, "Bild"),
        ("북한군이 <i>러시아에</i>", True, "북한군이 러시아에"),
        # feedparser no longer sanitizes: what is not the entry's text goes here
        ("<iframe src=x>inner<script>s</script></iframe>Text", True, "Text"),
        ("<template><b>hidden</b></template><style>p{}</style>Shown", True, "Shown"),
        ("<object data=x>fallback</object><noembed>e</noembed>Ok", True, "Ok"),
    ],
    ids=[
        "tags",
        "entity",
        "double-escaped",
        "lone-lt",
        "soft-hyphen",
        "nbsp",
        "zero-width",
        "nfc",
        "spaces",
        "script",
        "img-onerror",
        "korean",
        "iframe",
        "template-style",
        "object-noembed",
    ],
)
def test_plain_text(raw: str, is_html: bool, text: str) -> None:
    assert plain_text(raw, is_html=is_html) == text


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://www.spiegel.de/a?utm_source=feed&utm_medium=rss", "https://www.spiegel.de/a"),
        ("HTTPS://EN.YNA.CO.KR/view/AEN1#top", "https://en.yna.co.kr/view/AEN1"),
        ("https://x.de/a?id=3&fbclid=abc&wt_mc=rss", "https://x.de/a?id=3"),
        ("https://x.de", "https://x.de/"),
        ("javascript:alert(1)", None),
        ("/relative/path", None),
        ("", None),
        (None, None),
    ],
    ids=["utm", "case-fragment", "trackers", "root", "javascript", "relative", "empty", "none"],
)
def test_canonical_link(url: str | None, canonical: str | None) -> None:
    assert canonical_link(url) == canonical


def raw(**changes: object) -> RawEntry:
    values: dict[str, object] = dict(
        guid=None,
        link=None,
        title="T",
        title_is_html=False,
        summary="",
        summary_is_html=True,
        published=None,
        language=None,
    )
    values.update(changes)
    return RawEntry(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        (raw(guid="g1", link="https://a.de/x"), "guid:g1"),
        (raw(link="https://a.de/x?utm_source=rss"), "url:https://a.de/x"),
        (raw(title="Nur Titel"), "sha1:"),
    ],
    ids=["guid-first", "then-canonical-link", "then-content-hash"],
)
def test_stable_key(entry: RawEntry, key: str) -> None:
    assert normalize_entry(entry).key.startswith(key)


def test_same_content_gives_the_same_hash_key() -> None:
    assert normalize_entry(raw(title="A")).key == normalize_entry(raw(title="A")).key
    assert normalize_entry(raw(title="A")).key != normalize_entry(raw(title="B")).key


def test_language_prefers_the_feeds_own_then_the_configured_one() -> None:
    assert normalize_entry(raw(language="ko"), "de").language == "ko"
    assert normalize_entry(raw(), "de").language == "de"


def test_published_time_stays_utc() -> None:
    when = datetime(2025, 2, 27, 1, 12, tzinfo=UTC)
    assert normalize_entry(raw(published=when)).published == when


def test_an_entry_without_title_and_summary_is_refused() -> None:
    with pytest.raises(EmptyEntry):
        normalize_entry(raw(title="  ", summary="<p> </p>"))


# --- relative links: resolved against the feed's URL after redirects ---------------------------

BASE = "https://news.example/feeds/world/rss.xml?fmt=rss"


@pytest.mark.parametrize(
    ("link", "base", "canonical"),
    [
        ("blog/post/1", BASE, "https://news.example/feeds/world/blog/post/1"),
        ("/politics/2025/nk-troops", BASE, "https://news.example/politics/2025/nk-troops"),
        ("../europe/a", BASE, "https://news.example/feeds/europe/a"),
        ("//cdn.news.example/a", BASE, "https://cdn.news.example/a"),
        ("?page=2", BASE, "https://news.example/feeds/world/rss.xml?page=2"),
        ("  blog/post/1\n", BASE, "https://news.example/feeds/world/blog/post/1"),
        ("http://other.example/a?utm_source=x", BASE, "http://other.example/a"),
        (
            "blog/post/1",
            "http://127.0.0.1:8080/feeds/a.xml",
            "http://127.0.0.1:8080/feeds/blog/post/1",
        ),
        ("javascript:alert(1)", BASE, None),
        ("mailto:desk@news.example", BASE, None),
        ("ftp://news.example/a", BASE, None),
        ("data:text/html,hi", BASE, None),
        ("blog/post/1", "file:///etc/", None),
        ("blog/post/1", None, None),
        ("http://[::1/a", BASE, None),
        ("a", "http://[::1/", None),
    ],
    ids=[
        "relative-path",
        "absolute-path",
        "dot-dot",
        "scheme-relative",
        "query-only",
        "spaces",
        "absolute-stays",
        "test-server",
        "javascript",
        "mailto",
        "ftp",
        "data",
        "file-base",
        "no-base",
        "bad-ipv6-link",
        "bad-ipv6-base",
    ],
)
def test_canonical_link_resolves_against_the_base(
    link: str, base: str | None, canonical: str | None
) -> None:
    assert canonical_link(link, base) == canonical


def test_a_relative_link_gives_the_entry_a_url_and_a_url_key() -> None:
    links = feed_links([raw(link="blog/post/1")], BASE)
    entry = normalize_entry(raw(link="blog/post/1"), links=links)
    assert entry.url == "https://news.example/feeds/world/blog/post/1"
    assert entry.key == "url:https://news.example/feeds/world/blog/post/1"


@pytest.mark.parametrize(
    ("item", "url"),
    [
        ("<guid>12345</guid>", None),  # a permalink only by default: a number, not a link
        ("<guid>/news/12345</guid>", None),
        ("<guid>https://news.example/a</guid>", "https://news.example/a"),
        ("<guid>12345</guid><link>a/1</link>", "https://news.example/feeds/world/a/1"),
    ],
    ids=["number", "path", "absolute", "link-beside-it"],
)
def test_only_an_absolute_guid_stands_in_for_a_missing_link(item: str, url: str | None) -> None:
    body = f"<rss><channel><item><title>T</title>{item}</item></channel></rss>".encode()
    [(entry, _)] = process_body(body, {}, None, matcher=Matcher([]), base_url=BASE).entries
    assert entry.url == url


# --- fragments: kept where they tell entries apart, dropped where they are noise ----------------

POST = "https://blog.example/2025/kursk"


def normalized(*links: str, guids: tuple[str | None, ...] = ()) -> list[tuple[str, str | None]]:
    """Keys and URLs of one feed holding one guid-less entry (unless given) per link."""
    raws = [
        raw(link=link, title=f"T{n}", guid=guids[n] if guids else None)
        for n, link in enumerate(links)
    ]
    context = feed_links(raws, None)
    return [(e.key, e.url) for e in (normalize_entry(r, links=context) for r in raws)]


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        (
            (f"{POST}#comment-1", f"{POST}#comment-2"),
            [
                (f"url:{POST}#comment-1", f"{POST}#comment-1"),
                (f"url:{POST}#comment-2", f"{POST}#comment-2"),
            ],
        ),
        (
            (POST, f"{POST}#update-2"),
            [(f"url:{POST}", POST), (f"url:{POST}#update-2", f"{POST}#update-2")],
        ),
        ((f"{POST}#comment-1",), [(f"url:{POST}#comment-1", POST)]),
        ((f"{POST}#xtor=RSS-8", POST), [(f"url:{POST}", POST), (f"url:{POST}", POST)]),
        ((f"{POST}#utm_source=feed&utm_medium=rss",), [(f"url:{POST}", POST)]),
        ((f"{POST}#Echobox=1740000000",), [(f"url:{POST}", POST)]),
        ((f"{POST}#", POST), [(f"url:{POST}", POST), (f"url:{POST}", POST)]),
        ((f"{POST}#c1", f"{POST}#c1"), [(f"url:{POST}#c1", POST), (f"url:{POST}#c1", POST)]),
    ],
    ids=[
        "comment-anchors-apart",
        "page-and-anchor-apart",
        "lone-anchor-not-in-the-url",
        "tracking-fragment-is-noise",
        "utm-in-the-fragment",
        "echobox",
        "empty-fragment",
        "the-same-anchor-twice",
    ],
)
def test_fragments_in_one_feed(links: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    assert normalized(*links) == expected


def test_entries_with_guids_linking_to_anchors_keep_apart_by_url() -> None:
    # The store also treats one URL as one entry, so the URLs must differ too.
    got = normalized(f"{POST}#comment-1", f"{POST}#comment-2", guids=("c1", "c2"))
    assert got == [("guid:c1", f"{POST}#comment-1"), ("guid:c2", f"{POST}#comment-2")]


@pytest.mark.parametrize(
    ("first", "later"),
    [(POST, f"{POST}#xtor=RSS-3"), (f"{POST}#xtor=RSS-3", POST), (POST, f"{POST}#top")],
    ids=["tracking-added", "tracking-removed", "noise-anchor-added"],
)
def test_the_same_article_in_two_polls_keeps_its_url(first: str, later: str) -> None:
    # Each poll is one feed; the store finds an entry again by its key or by its URL.
    [(key_1, url_1)] = normalized(first)
    [(key_2, url_2)] = normalized(later)
    assert url_1 == url_2 == POST
    assert (key_1 == key_2) == ("xtor" in first + later)


@given(st.text(max_size=60), st.sampled_from([None, BASE, "http://127.0.0.1/f", "file:///x"]))
@settings(max_examples=400, deadline=None)
def test_canonical_link_is_http_or_nothing(text: str, base: str | None) -> None:
    for link in (text, "/" + text, "https://a.example/" + text, "#" + text):
        canonical = canonical_link(link, base)
        if canonical is not None:
            parts = urlsplit(canonical)
            assert parts.scheme in ("http", "https") and parts.netloc and not parts.fragment
        context = feed_links([raw(link=link), raw(link=link + "#x")], base)
        entry = normalize_entry(raw(link=link), links=context)
        assert entry.url is None or urlsplit(entry.url).scheme in ("http", "https")


# --- through a real poll -------------------------------------------------------------------------


def poll(config: Path) -> list[tuple[str, str | None, str | None]]:
    """Poll every feed of ``config`` once; (title, url, guid) of every stored entry."""
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output, result.output
    db = sqlite3.connect(config.parent / "monitor.db")
    return sorted(db.execute("SELECT title, url, guid FROM entries"))


def test_relative_links_resolve_against_the_url_after_redirects(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    # /bad/moved answers 301 -> /feeds/spiegel.xml, which serves the relative-link feed:
    # resolved against the URL the feed was configured with, links would point to /bad/.
    feed_server.files["spiegel.xml"] = (FEEDS / "relative_links.xml").read_bytes()
    config = write_config(
        tmp_path,
        {
            "herald": feed_server.url("/bad/moved"),
            "imjin": feed_server.url("/feeds/relative_links_atom.xml"),
        },
    )
    server = feed_server.url("")
    assert poll(config) == [
        ("A link that is not one", None, "herald-js"),
        (
            "From the archive: the 1953 armistice",
            "https://archive.imjin-review.example/1953/armistice",
            "tag:imjin-review.example,2025-02-26:armistice",
        ),
        ("Mirror copy of the lacquerware story", "https://mirror.example/news/lacquerware", None),
        (
            "North Korea sends 3,000 more troops to Russia, Seoul says",
            f"{server}/feeds/blog/post/1",
            None,
        ),
        (
            "Pyongyang's soldiers in Kursk: what the prisoners say",
            f"{server}/news/2025/02/27/prisoners",
            "tag:imjin-review.example,2025-02-27:prisoners",
        ),
        (
            "Seoul and Washington start spring drill",
            f"{server}/world/2025/02/27/spring-drill",
            None,
        ),
    ]
    hits = json.loads(CliRunner().invoke(cli, ["--config", str(config), "hits", "--json"]).output)
    assert {h["url"] for h in hits} == {
        f"{server}/feeds/blog/post/1",
        f"{server}/news/2025/02/27/prisoners",
    }
    # With a URL the entry has a stable key: an edited headline is the same entry.
    feed_server.files["spiegel.xml"] = feed_server.files["spiegel.xml"].replace(
        b"3,000 more troops", b"about 3,000 more troops"
    )
    after = poll(config)
    assert len(after) == 6
    assert (
        "North Korea sends about 3,000 more troops to Russia, Seoul says",
        f"{server}/feeds/blog/post/1",
        None,
    ) in after


def test_anchors_keep_comments_apart_and_tracking_fragments_do_not(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = write_config(tmp_path, {"notes": feed_server.url("/feeds/comment_anchors.xml")})
    post = "https://frontline-notes.example/2025/02/kursk-report"
    reading = "https://frontline-notes.example/2025/02/reading-list"
    expected = [
        ('Comment by Jae-won on "Field report"', f"{post}#comment-1", None),
        ('Comment by Lena on "Field report"', f"{post}#comment-2", None),
        ("Field report: what two captured soldiers told us", post, None),
        ("Weekly reading list", reading, None),
    ]
    assert poll(config) == expected
    # A later poll: the tracking fragment is gone and the headline edited; one new comment.
    feed_server.files["comment_anchors.xml"] = (
        feed_server.files["comment_anchors.xml"]
        .replace(b"#xtor=RSS-3", b"")
        .replace(b"Weekly reading list", b"Weekly reading list, updated")
        .replace(b"#comment-2", b"#comment-3")
        .replace(b"Comment by Lena", b"Comment by Min-ho")
    )
    assert poll(config) == [
        *expected[:2],
        ('Comment by Min-ho on "Field report"', f"{post}#comment-3", None),
        expected[2],
        ("Weekly reading list, updated", reading, None),
    ]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # a digest's items: each paragraph stands apart, so no sentence spans two stories
        (
            "<p><b>北</b>, 미사일 발사</p><p><b>AP</b> 러시아 전선으로</p>",
            "北 , 미사일 발사 • AP 러시아 전선으로",
        ),
        ("<ul><li>Kursk</li><li>Seoul</li></ul>", "Kursk • Seoul"),
        ("first<br>second<br/>", "first • second"),
        # a paragraph that ends its sentence needs no bullet; one paragraph gets none
        ("<p>One.</p><p>Two.</p>", "One. Two."),
        ("<p>Only one</p>", "Only one"),
    ],
)
def test_paragraphs_of_html_stand_apart_on_one_line(html: str, text: str) -> None:
    assert plain_text(html, is_html=True) == text
