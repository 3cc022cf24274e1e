"""Daily use of alerts (issue 13): links to the review page, a message a phone renders in
the right language, "Matched:" as words, SMTP that would mail no one, and rescans that
can be previewed and neither alert old news nor send what stopped matching.

The end-to-end tests talk to a real SMTP server (tests/smtp_server.py), a real Maildir,
a real webhook receiver and a real SQLite file.
"""

from __future__ import annotations

import json
import mailbox
import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.config import convert, load
from monitor.errors import ConfigError
from monitor.message import (
    AlertItem,
    Related,
    digest,
    found_words,
    immediate,
    language_tag,
    notification,
    one_line,
    review_link,
)
from monitor.outbox import DROPPED
from monitor.settings import SETTINGS
from monitor.store.hits import known_since
from monitor.terms import fold
from tests.conftest import FIXTURE_FEEDS, ROOT, WATCHES, FeedServer, write_config
from tests.smtp_server import Received, SmtpServer
from tests.test_alerts import ARTICLE, HITS, outbox, run, smtp_email
from tests.test_message import OPTIONS, item, parts
from tests.test_notify import Receiver, with_notify

BASE = "https://news.example.org/monitor"
WATCH = "nk-troops-russia"


@pytest.fixture(autouse=True)
def _no_proxy(no_proxy: None) -> None:
    """Every test here: no proxy between Apprise and 127.0.0.1 (``conftest.no_proxy``)."""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


# --- reading the HTML part as a browser would ------------------------------------------


class Page(HTMLParser):
    """Every text of an HTML part with the language it is in (the nearest ``lang``), and
    every link and meta tag."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str, str | None]] = []
        self.hrefs: list[str] = []
        self.metas: list[dict[str, str | None]] = []
        self.root_lang: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.root_lang = found.get("lang")
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if tag == "meta":
            self.metas.append(found)
        if tag not in self.VOID:
            self.stack.append((tag, found.get("lang")))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip():
            lang = next((code for _t, code in reversed(self.stack) if code is not None), None)
            self.texts.append((data.strip(), lang))

    def lang_of(self, text: str) -> str | None:
        """The language of the first text that holds ``text``."""
        return next(lang for data, lang in self.texts if text in data)


# --- 1. links to the review page -----------------------------------------------------

KOREAN = {
    "title": "북한군 3천명 러시아 추가 파병",
    "summary": "합참은 북한군이 러시아 쿠르스크 전선에 추가 파병됐다고 밝혔다.",
    "matched": ("*북한군*", "러시아", "파병*"),
    "language": "ko",
}


def story_item(**changes: object) -> AlertItem:
    values: dict[str, object] = {
        "story_id": 5,
        "languages": ("ko", "en"),
        "outlets": ("yna.co.kr", "dw.com"),
        "figures": ("additional 3,000 (JCS)",),
        "related": (Related("dw.com", "Nordkorea schickt Soldaten", "https://dw.com/1", 8, "de"),),
        **KOREAN,
    }
    values.update(changes)
    return item(**values)


def test_without_base_url_an_alert_keeps_todays_wording() -> None:
    text, html = parts(immediate(story_item(), **OPTIONS))
    footer = "Sent by monitor (hit 7, story 5). `monitor story 5` has the details."
    assert text.rstrip().endswith(footer)
    assert "Review:" not in text and "Story:  " not in text and "review:" not in text
    assert not [h for h in Page(html).hrefs if "/hits/" in h or "/stories/" in h]
    digest_text, _ = parts(digest([story_item()], **OPTIONS))
    footer = "`monitor stories` lists the stories, `monitor hits` every hit."
    assert digest_text.rstrip().endswith(footer)
    assert "Review" not in notification(story_item()).body


def test_with_base_url_every_hit_and_story_links_to_the_review_page() -> None:
    msg = immediate(story_item(), **OPTIONS, base_url=BASE)
    text, html = parts(msg)
    assert f"Review:     {BASE}/hits/7\nStory:      {BASE}/stories/5\n" in text
    other = "- dw.com: Nordkorea schickt Soldaten <https://dw.com/1>"
    assert f"{other}\n  review: {BASE}/hits/8" in text
    assert "has the details" not in text  # the CLI hint is for a terminal, the link is here
    hrefs = Page(html).hrefs
    assert {f"{BASE}/hits/7", f"{BASE}/stories/5", f"{BASE}/hits/8"} <= set(hrefs)
    assert "https://dw.com/1" in hrefs and "https://en.yna.co.kr/view/AEN1" in hrefs

    later = story_item(alert_id=2, hit_id=9, story_id=None, related=(), languages=())
    text, html = parts(digest([story_item(), later], **OPTIONS, base_url=BASE))
    assert f"\n   {BASE}/stories/5\n" in text  # under the story's heading
    assert f"Review: {BASE}/hits/7\n" in text and f"Review: {BASE}/hits/9\n" in text
    assert f"The review page: {BASE}/ (stories), {BASE}/hits (every hit)." in text
    assert {f"{BASE}/stories/5", f"{BASE}/hits/7", f"{BASE}/hits/9", f"{BASE}/"} <= set(
        Page(html).hrefs
    )
    note = notification(story_item(), BASE)
    assert note.body.splitlines()[-1] == f"Review: {BASE}/hits/7"


def test_feed_text_never_reaches_a_review_link() -> None:
    """Only the configured address and a number make a link: a hostile title, outlet or
    URL changes no href of the review page and adds no header."""
    hostile = story_item(
        title='"><a href="https://evil.example/hits/1">x</a>\r\nBcc: v@evil.example',
        outlet='"><script>alert(1)</script>',
        url='https://x.example/"onmouseover="alert(1)',
        related=(Related('"><b>', "t\r\nX-Evil: 1", "javascript:alert(1)", 8, '"><x'),),
        language='ko"><script>',
    )
    msg = immediate(hostile, **OPTIONS, base_url=BASE)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    _, html = parts(msg)
    page = Page(html)
    review = [h for h in page.hrefs if h.startswith(BASE)]
    # the hit and its story (twice: the links and the footer), the other article's hit
    hit, story = f"{BASE}/hits/7", f"{BASE}/stories/5"
    assert sorted(review) == sorted([hit, story, hit, story, f"{BASE}/hits/8"])
    assert "https://evil.example/hits/1" not in page.hrefs and "<script>" not in html
    assert not any(h.startswith("javascript:") for h in page.hrefs)
    assert page.root_lang == "ko" and page.lang_of("Bcc") == ""  # no tag from a feed's word


@pytest.mark.parametrize(
    ("base", "what", "ident", "link"),
    [
        ("", "hits", 7, None),  # not configured: no link, today's wording
        (BASE, "hits", None, None),  # no story yet: no story link
        (BASE, "hits", 7, f"{BASE}/hits/7"),
        (BASE + "/", "stories", 3, f"{BASE}/stories/3"),
        ("http://127.0.0.1:8080", "hits", 12, "http://127.0.0.1:8080/hits/12"),
    ],
)
def test_review_link(base: str, what: str, ident: int | None, link: str | None) -> None:
    assert review_link(base, what, ident) == link


# --- the base URL as the config takes it -------------------------------------------------

BASE_URL = next(s for s in SETTINGS if s.key == "web.base_url")
EXPECTED = "expected empty, or the http:// or https:// address of a page such as"


def base_problems(tmp_path: Path, value: str) -> list[str]:
    path = tmp_path / "monitor.toml"
    path.write_text(
        f'watches_dir = "{WATCHES}"\n[web]\nbase_url = {json.dumps(value)}\n', encoding="utf-8"
    )
    try:
        return [str(load(path)["web.base_url"])]
    except ConfigError as exc:
        return exc.problems


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("news.example.org/monitor", "it must start with http:// or https://"),
        ("ftp://news.example.org/", "it must start with http:// or https://"),
        ("javascript:alert(1)", "it must start with http:// or https://"),
        ("https:///monitor", "it needs a host name"),
        ("https://news.example.org:0/", "it needs a host name, and a port from 1 to 65535"),
        ("https://news.example.org:99999/", "it needs a host name, and a port from 1 to 65535"),
        ("https://news.example.org:http/", "it needs a host name, and a port from 1 to 65535"),
        ("http://[::1/", "not a URL"),
        ("https://me:secret@news.example.org/", "no user name or password"),
        ("https://news.example.org/?page=1", "no query or fragment"),
        ("https://news.example.org/#top", "no query or fragment"),
        ('https://news.example.org/"><script>', "only letters, digits and URL punctuation"),
        ("https://news.example.org/a b", "only letters, digits and URL punctuation"),
        ("https://news.example.org/\nBcc: x", "only letters, digits and URL punctuation"),
        ("https://bücher.example/", "only letters, digits and URL punctuation"),
    ],
)
def test_a_base_url_links_cannot_be_built_on_is_one_clear_line(
    tmp_path: Path, value: str, why: str
) -> None:
    [problem] = base_problems(tmp_path, value)
    assert problem.startswith(f"{tmp_path / 'monitor.toml'}: web.base_url: {EXPECTED}"), problem
    assert f"({why}" in problem and "\n" not in problem


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("", ""),
        ("https://news.example.org", "https://news.example.org"),
        ("https://news.example.org/monitor/", "https://news.example.org/monitor"),
        ("http://192.168.1.5:8080", "http://192.168.1.5:8080"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        (
            "https://xn--bcher-kva.example/n%C3%A4chste",
            "https://xn--bcher-kva.example/n%C3%A4chste",
        ),
    ],
)
def test_a_good_base_url_is_kept_without_its_trailing_slash(
    tmp_path: Path, value: str, kept: str
) -> None:
    assert base_problems(tmp_path, value) == [kept]


URLISH = st.builds(
    "".join,
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "http://",
                    "https://",
                    "ftp://",
                    "//",
                    "news.example.org",
                    ":8080",
                    ":0",
                    "/",
                    "@",
                    "?",
                    "#",
                    "%",
                    "[::1]",
                    "user:pw@",
                    '"',
                    "<",
                    " ",
                    "\n",
                    "\\",
                    "ü",
                    "/hits/1",
                ]
            ),
            st.text(max_size=6),
        ),
        max_size=8,
    ),
)


@settings(max_examples=400, deadline=None)
@given(raw=st.one_of(URLISH, st.text(max_size=40)))
@example(raw="https://a.example/x'y")
@example(raw="http://[::1")
def test_base_url_is_either_refused_in_one_line_or_safe_to_link_on(raw: str) -> None:
    problems: list[str] = []
    value = convert(BASE_URL, raw, Path("/"), "monitor.toml: web.base_url", problems)
    if problems:
        assert value is None and len(problems) == 1 and "\n" not in problems[0]
        return
    assert isinstance(value, str)
    if not value:
        assert raw == "" and review_link(value, "hits", 1) is None
        return
    link = review_link(value, "hits", 1)
    assert link == value + "/hits/1" and link.startswith(("http://", "https://"))
    assert not any(c.isspace() or c in '"<>\\' or not c.isascii() for c in link)
    # The link goes where the address says: same host, the hit's page after its path.
    assert urlsplit(link).netloc == urlsplit(value).netloc
    assert urlsplit(link).path.endswith("/hits/1") and not urlsplit(link).query


# --- 2. a message for a phone, in the languages it is written in ---------------------------


def test_the_html_part_fits_a_phone_and_says_each_language() -> None:
    _, html = parts(immediate(story_item(), **OPTIONS, base_url=BASE))
    page = Page(html)
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.metas
    assert page.root_lang == "ko"  # the story's first language
    assert page.lang_of("북한군 3천명 러시아 추가 파병") == "ko"  # the headline
    assert page.lang_of("쿠르스크 전선에") == "ko"  # the snippet
    assert page.lang_of("Nordkorea schickt Soldaten") == "de"  # another outlet's article
    for label in ("watch nk-troops-russia", "Figures so far:", "Matched:", "Sent by monitor"):
        assert page.lang_of(label) == "en", label
    # A German follow-up on the Korean story: the headline is German, the document the story's.
    german = story_item(title="Nordkorea schickt weitere Soldaten", language="de", summary="")
    page = Page(parts(immediate(german, **OPTIONS))[1])
    assert page.root_lang == "ko" and page.lang_of("Nordkorea schickt weitere") == "de"
    # Without a story the hit's language is the document's; unknown says nothing wrong.
    assert Page(parts(immediate(item(language="de"), **OPTIONS))[1]).root_lang == "de"
    assert Page(parts(immediate(item(), **OPTIONS))[1]).root_lang is None

    items = [story_item(), item(alert_id=2, hit_id=9, language="de", title="Nordkorea Truppen")]
    page = Page(parts(digest(items, **OPTIONS))[1])
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.metas
    assert page.lang_of("Nordkorea Truppen") == "de" and page.lang_of("추가 파병") == "ko"
    assert page.lang_of("Sent by monitor") == "en"
    assert page.root_lang in {"ko", "de"}  # the first hit shown


@pytest.mark.parametrize(
    ("code", "tag"),
    [("ko", "ko"), ("de-AT", "de-AT"), (None, ""), ("", ""), ('ko"><script>', ""), ("k", "")],
)
def test_language_tag(code: str | None, tag: str) -> None:
    assert language_tag(code) == tag


def test_matched_lists_the_words_found_not_the_patterns() -> None:
    text, html = parts(immediate(story_item(), **OPTIONS))
    assert "Matched:    북한군, 러시아, 파병, 북한군이, 파병됐다고\n" in text
    assert "*북한군*" not in text.split("Matched:")[1].splitlines()[0]
    page = Page(html)
    assert page.lang_of("북한군, 러시아, 파병, 북한군이") == "ko"
    assert "파병*" not in html


FOUND = [  # (texts, stored patterns, limit, the words "Matched:" lists)
    (["Nordkoreas Truppen in Kursk"], ["nordkorea*", "*truppen"], 12, ("Nordkoreas", "Truppen")),
    # in order of appearance, each once: "troops" is in both texts
    (
        ["N. Korea troops", "North Korean troops"],
        ["n korea*", "north korea*", "troop*"],
        12,
        ("N. Korea", "troops", "North Korean"),
    ),
    (["TROOPS and troops"], ["troop*"], 12, ("TROOPS",)),  # compared folded
    (
        ["북한군이 러시아에 파병"],
        ["북한군", "러시아", "파병*"],
        12,
        ("북한군이", "러시아에", "파병"),
    ),
    (["3 000 soldiers"], [r"re:\d+ ?000"], 12, ("3 000",)),
    (["nothing here"], ["kursk"], 12, ()),
    (["a b c d"], ["a", "b", "c", "d"], 3, ("a", "b", "c")),
]


@pytest.mark.parametrize(("texts", "terms", "limit", "words"), FOUND)
def test_found_words(
    texts: list[str], terms: list[str], limit: int, words: tuple[str, ...]
) -> None:
    assert found_words(texts, terms, limit=limit) == words


TERMS = st.lists(
    st.sampled_from(["troop*", "*truppen*", "북한군", "kim jong un", "re:\\d+", "kursk", "x"]),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(max_size=60), max_size=3), terms=TERMS)
def test_found_words_are_the_texts_own_words_each_once(texts: list[str], terms: list[str]) -> None:
    words = found_words(texts, terms, limit=5)
    assert len(words) <= 5 and len({fold(w) or w for w in words}) == len(words)
    # As the message shows a text: one line, control characters made spaces.
    shown = [one_line(text, 10_000) for text in texts]
    for word in words:
        assert word and len(word.splitlines()) == 1 and word == word.strip()
        assert any(word in text for text in shown), (word, shown)


# --- 3. SMTP with no one to mail -----------------------------------------------------------


def check_config(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    return result.exit_code, result.output


def test_check_config_refuses_the_shipped_config_with_smtp_and_no_recipients(
    tmp_path: Path,
) -> None:
    shipped = (ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")
    text = shipped.replace('smtp_host = ""', 'smtp_host = "smtp.example.org"', 1)
    text = text.replace('watches_dir = "watches"', f'watches_dir = "{WATCHES}"', 1)
    text = text.replace('database = "../data/monitor.db"', 'database = "monitor.db"', 1)
    assert text.count("smtp.example.org") == 1 and str(WATCHES) in text
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    code, out = check_config(path)
    assert code == 1 and "Traceback" not in out
    assert (
        f"{path}: email.to: SMTP is set up but no one would get alerts; add addresses to email.to"
        in out.splitlines()[1]
    )
    path.write_text(text.replace("to = []", 'to = ["me@example.org"]', 1), encoding="utf-8")
    assert check_config(path)[0] == 0


def test_smtp_without_any_recipient_is_refused_even_without_an_alerting_watch(
    tmp_path: Path,
) -> None:
    watches = tmp_path / "watches"
    watches.mkdir()
    (watches / "quiet.toml").write_text('alert_mode = "none"\n[[groups]]\nterms = ["nk"]\n')
    path = tmp_path / "monitor.toml"
    smtp = '[email]\nsmtp_host = "smtp.example.org"\n'
    path.write_text(f'watches_dir = "watches"\n{smtp}', encoding="utf-8")
    code, out = check_config(path)
    assert code == 1
    assert (
        f"{path}: email.to: SMTP is set up but no one would get mail; add addresses to email.to"
        " (or unset email.smtp_host)" in out
    )
    for fix in ('operator = ["ops@example.org"]\n', 'to = ["me@example.org"]\n'):
        path.write_text(f'watches_dir = "watches"\n{smtp}{fix}', encoding="utf-8")
        assert check_config(path)[0] == 0, fix
    (watches / "quiet.toml").write_text(
        'alert_mode = "none"\nalert_to = ["desk@example.org"]\n[[groups]]\nterms = ["nk"]\n'
    )
    path.write_text(f'watches_dir = "watches"\n{smtp}', encoding="utf-8")
    assert check_config(path)[0] == 0  # someone is named: the config says who gets mail


# --- 4. rescans: preview, old news, and what stopped matching --------------------------------


def own_watches(tmp_path: Path) -> Path:
    folder = tmp_path / "watches"
    shutil.copytree(WATCHES, folder)
    return folder


def narrow(watches: Path) -> str:
    """Keep only the stories that name Kursk (as tests/test_rescan.py); returns the old text."""
    path = watches / f"{WATCH}.toml"
    shipped = path.read_text(encoding="utf-8")
    narrowed = re.sub(
        r'(rule = """.*?)\n"""', r'\1 and only_kursk\n"""', shipped, count=1, flags=re.S
    )
    assert narrowed != shipped
    terms = '["kursk*", "쿠르스크*"]'
    narrowed += f'\n[[groups]]\nname = "only-kursk"\nrequired = false\nterms = {terms}\n'
    path.write_text(narrowed, encoding="utf-8")
    return shipped


def fixture_config(tmp_path: Path, feed_server: FeedServer, email: str = "") -> Path:
    feeds = {n: feed_server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
    path = write_config(tmp_path, feeds, watches=own_watches(tmp_path))
    path.write_text(path.read_text() + "\n[email]\n" + ARTICLE + email, encoding="utf-8")
    return path


def hits(config: Path) -> list[dict[str, object]]:
    return json.loads(run(config, "hits", "--json", "--limit", "500"))


def dump(config: Path) -> list[str]:
    with sqlite3.connect(config.parent / "monitor.db") as db:
        return list(db.iterdump())


def test_a_dry_run_lists_what_a_rescan_would_change_and_writes_nothing(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    config = fixture_config(tmp_path, feed_server)
    run(config, "poll")
    before = hits(config)
    watches = config.parent / "watches"
    narrow(watches)
    (watches / "kursk.toml").write_text('[[groups]]\nname = "kursk"\nterms = ["kursk*"]\n')
    state = dump(config)
    out = run(config, "rescan", "--dry-run")
    assert dump(config) == state  # nothing written: no hit, no alert, no story, no near miss
    lines = out.splitlines()
    assert lines[0] == "dry run over 35 entries with 2 watch(es); nothing was written"

    gone = [line for line in lines if line.startswith("  no longer matching")]
    assert 0 < len(gone) < len(before)
    heading = next(line for line in lines if line.startswith(f"{WATCH}: "))
    assert heading == f"{WATCH}: 0 new hits, {len(gone)} no longer matching, 0 matching again"
    titles = {h["id"]: str(h["title"]) for h in before}
    for line in gone:  # each names its hit and title
        hit_id = int(re.search(r"hit (\d+)", line).group(1))  # type: ignore[union-attr]
        assert titles[hit_id][:40] in line

    new = [line for line in lines if line.startswith("  new hit")]
    kursk = next(line for line in lines if line.startswith("kursk: "))
    assert kursk == f"kursk: {len(new)} new hits, 0 no longer matching, 0 matching again"
    # The fixture entries were published in February 2025: older than alert.max_age.
    assert new and all(line.endswith("(no alert: older than alert.max_age)") for line in new)
    assert "(no alert" not in run(config, "rescan", "--dry-run", "--alert-old", "--watch", "kursk")

    # The rescan itself does what the preview said.
    out = run(config, "rescan")
    assert f"{len(new)} new hits ({len(new)} without an alert: older than alert.max_age)" in out
    assert f"{len(gone)} no longer matching" in out
    assert len([h for h in hits(config) if not h["still_matches"]]) == len(gone)
    again = run(config, "rescan", "--dry-run").splitlines()
    assert [line for line in again if line.startswith("  ")] == []  # nothing left to change


def rss(items: list[tuple[str, datetime | None]]) -> bytes:
    body = "".join(
        f"<item><guid>k{i}</guid><title>{title}</title><link>https://x.example/{i}</link>"
        "<description>North Korean soldiers fight for Russia near Kursk.</description>"
        + (f"<pubDate>{format_datetime(when)}</pubDate>" if when else "")
        + "</item>"
        for i, (title, when) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<language>en</language>{body}</channel></rss>"
    ).encode()


AGES = [  # (alert.max_age, --alert-old): the headlines whose hits queue an alert
    ("2d", False, {"fresh", "undated"}),
    ("2d", True, {"fresh", "stale", "undated"}),
    ("10d", False, {"fresh", "stale", "undated"}),
    ("0s", False, set()),  # every entry is older than nothing: rescans never alert
]


@pytest.mark.parametrize(("max_age", "alert_old", "alerted"), AGES, ids=[str(a[:2]) for a in AGES])
def test_a_rescan_alerts_only_entries_younger_than_alert_max_age(
    tmp_path: Path, feed_server: FeedServer, max_age: str, alert_old: bool, alerted: set[str]
) -> None:
    now = datetime.now(UTC)
    feed_server.files["ages.xml"] = rss(
        [("fresh", now - timedelta(hours=1)), ("stale", now - timedelta(days=5)), ("undated", None)]
    )
    watches = tmp_path / "watches"
    watches.mkdir()
    (watches / "other.toml").write_text('[[groups]]\nname = "o"\nterms = ["zzzz"]\n')
    path = write_config(tmp_path, {"ages": feed_server.url("/feeds/ages.xml")}, watches=watches)
    path.write_text(
        path.read_text() + f'\n[email]\n{ARTICLE}\n[alert]\nmax_age = "{max_age}"\n',
        encoding="utf-8",
    )
    run(path, "poll")
    assert hits(path) == []
    (watches / "kursk.toml").write_text('[[groups]]\nname = "kursk"\nterms = ["kursk*"]\n')
    quiet = 3 - len(alerted)
    out = run(path, "rescan", "--watch", "kursk", *(["--alert-old"] if alert_old else []))
    assert "3 new hits" + (f" ({quiet} without an alert" if quiet else ",") in out
    titles = {h["id"]: h["title"] for h in hits(path)}
    assert sorted(titles.values()) == ["fresh", "stale", "undated"]  # every match is a hit
    assert {titles[r["hit_id"]] for r in outbox(path)} == alerted


FEB, MARCH, APRIL = (datetime(2025, month, 1, tzinfo=UTC) for month in (2, 3, 4))


@pytest.mark.parametrize(
    ("published", "first_seen", "since"),
    [
        (FEB, MARCH, FEB),
        # a feed that dates its entry after monitor first saw it: the sighting counts
        (APRIL, MARCH, MARCH),
        (None, MARCH, MARCH),
        (None, None, None),
    ],
)
def test_known_since(
    published: datetime | None, first_seen: datetime | None, since: datetime | None
) -> None:
    assert known_since(published, first_seen) == since


def subjects_of(received: list[Received]) -> list[str]:
    return [str(r.message["Subject"]) for r in received]


def test_an_alert_whose_hit_stopped_matching_is_dropped_not_sent(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = fixture_config(tmp_path, feed_server, smtp_email(smtp))
    smtp.stop()
    run(config, "poll")  # the mail server is down: every alert waits
    assert {r["state"] for r in outbox(config)} == {"pending"}
    watches = config.parent / "watches"
    shipped = narrow(watches)
    run(config, "rescan")
    gone = {h["id"]: str(h["title"]) for h in hits(config) if not h["still_matches"]}
    assert 0 < len(gone) < HITS
    smtp.start()
    out = run(config, "outbox", "send")
    kept = HITS - len(gone)
    dropped_line = f"{len(gone)} dropped (their hits no longer match)"
    assert f"alerts: {kept} sent, 0 to retry, 0 failed, {dropped_line}" in out
    received = smtp.wait_for(kept)
    assert len(received) == kept
    assert not [s for s in subjects_of(received) if any(t[:30] in s for t in gone.values())]
    dropped = json.loads(run(config, "outbox", "--json", "--state", "dropped"))
    assert {r["hit_id"] for r in dropped} == set(gone)
    assert {r["last_error"] for r in dropped} == {DROPPED}
    assert "alerts: 0 sent" in run(config, "outbox", "send")  # dropped stays dropped

    # A watch widened again: the hits match again, and their dropped alerts stay unsent.
    (watches / f"{WATCH}.toml").write_text(shipped, encoding="utf-8")
    assert f"{len(gone)} matching again" in run(config, "rescan")
    assert "alerts: 0 sent" in run(config, "outbox", "send")
    assert len(smtp.messages) == kept


def test_a_hit_that_matches_again_before_delivery_is_sent(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = fixture_config(tmp_path, feed_server, smtp_email(smtp))
    smtp.stop()
    run(config, "poll")
    watches = config.parent / "watches"
    shipped = narrow(watches)
    out = run(config, "rescan", "--dry-run")
    assert "unsent alert to be dropped)" in out  # the preview says what narrowing costs
    run(config, "rescan")
    (watches / f"{WATCH}.toml").write_text(shipped, encoding="utf-8")
    run(config, "rescan")
    smtp.start()
    out = run(config, "outbox", "send")
    assert f"alerts: {HITS} sent, 0 to retry, 0 failed" in out and "dropped" not in out


def test_a_push_notification_whose_hit_stopped_matching_is_dropped(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    with Receiver() as receiver:
        receiver.status = 500  # the service is down at the poll
        config = with_notify(fixture_config(tmp_path, feed_server), receiver.url("json", "/hook"))
        run(config, "poll")  # the email goes to the Maildir; the notifications wait
        narrow(config.parent / "watches")
        run(config, "rescan")
        gone = {h["id"] for h in hits(config) if not h["still_matches"]}
        receiver.status = 200
        out = run(config, "outbox", "send")
        assert f"{len(gone)} dropped (their hits no longer match)" in out
        assert f"notifications: {HITS - len(gone)} sent" in out
        assert len(receiver.delivered()) == HITS - len(gone)
        dropped = json.loads(run(config, "outbox", "--json", "--state", "dropped"))
        assert {r["hit_id"] for r in dropped} == gone
        assert all(r["channel"] != "email" for r in dropped)  # the email went out at the poll


# --- end to end: what the reader's phone receives -----------------------------------------


def test_with_base_url_each_alert_links_its_hit_on_the_review_page(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = fixture_config(tmp_path, feed_server, smtp_email(smtp))
    config.write_text(config.read_text() + f'\n[web]\nbase_url = "{BASE}/"\n', encoding="utf-8")
    run(config, "poll")
    received = smtp.wait_for(HITS)
    hit_of = {r["message_id"]: r["hit_id"] for r in outbox(config)}
    languages = set()
    for r in received:
        msg: EmailMessage = r.message
        hit_id = hit_of[msg["Message-ID"]]
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f"Review:     {BASE}/hits/{hit_id}\n" in text
        page = Page(html)
        assert f"{BASE}/hits/{hit_id}" in page.hrefs
        review = [h for h in page.hrefs if h.startswith(BASE)]
        assert all(re.fullmatch(re.escape(BASE) + r"/(hits|stories)/\d+", h) for h in review)
        assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.metas
        headline = str(msg["Subject"]).split(": ", 1)[1].removeprefix("new figure: ")
        languages.add(page.lang_of(headline[:20]))
        assert "*" not in text.split("Matched:    ")[1].splitlines()[0]
    assert {"ko", "de", "en"} <= languages  # each headline in its feed's language


def test_the_maildir_gets_the_same_links(tmp_path: Path, feed_server: FeedServer) -> None:
    config = fixture_config(tmp_path, feed_server, 'to = ["reader@example.org"]\n')
    config.write_text(config.read_text() + f'\n[web]\nbase_url = "{BASE}"\n', encoding="utf-8")
    run(config, "poll")
    box = mailbox.Maildir(tmp_path / "maildir", create=False)
    ids = {r["hit_id"] for r in outbox(config)}
    found = set()
    for key in box.iterkeys():
        parsed = message_from_bytes(box.get_bytes(key), policy=policy.default)
        text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        found |= {int(n) for n in re.findall(re.escape(BASE) + r"/hits/(\d+)\n", text)}
    assert found == ids and len(ids) == HITS
