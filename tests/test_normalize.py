"""normalize as truth tables: raw feed values in, clean text and links out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.normalize import EmptyEntry, canonical_link, normalize_entry, plain_text
from monitor.parse import RawEntry


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
