"""Alert messages: safe headers, escaped HTML, stable ids, threading, digests."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.decide import digest_slot
from monitor.message import (
    AlertItem,
    HeaderInjection,
    Related,
    check_headers,
    digest,
    immediate,
    message_id,
    one_line,
)
from monitor.terms import same_story

NOW = datetime(2025, 2, 27, 9, 30, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
OPTIONS = {
    "sender": "Monitor <alerts@example.org>",
    "prefix": "[monitor]",
    "tz": BERLIN,
    "now": NOW,
}


def item(**changes: object) -> AlertItem:
    values: dict[str, object] = dict(
        alert_id=1,
        hit_id=7,
        watch="nk-troops-russia",
        description="North Korean troops",
        title="N. Korea sends 3,000 more troops to Russia: JCS",
        summary="North Korea has sent at least 3,000 more troops to Russia, the JCS said.",
        url="https://en.yna.co.kr/view/AEN1",
        feed="yonhap-en",
        outlet="en.yna.co.kr",
        published=datetime(2025, 2, 27, 1, 12, tzinfo=UTC),
        entry_key="guid:AEN1",
        matched=("north korea*", "n korea*", "troop*", "russia*"),
        recipients=("reader@example.org",),
    )
    values.update(changes)
    return AlertItem(**values)  # type: ignore[arg-type]


def parts(msg: EmailMessage) -> tuple[str, str]:
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_an_alert_for_nobody_named_says_so_in_its_to_header() -> None:
    # Alerts into the Maildir need no recipients; To: is then the empty group, not blank.
    msg = immediate(item(recipients=()), **OPTIONS)
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert str(parsed["To"]) == "undisclosed-recipients:;"


def test_an_immediate_alert_has_both_parts_and_the_standard_headers() -> None:
    msg = immediate(item(), **OPTIONS)
    assert (
        msg["Subject"]
        == "[monitor] nk-troops-russia: N. Korea sends 3,000 more troops to Russia: JCS"
    )
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Id"] == "North Korean troops <nk-troops-russia.monitor.example.org>"
    assert msg["Message-ID"] == message_id("nk-troops-russia", "guid:AEN1", "example.org")
    assert msg["Date"] and msg["To"] == "reader@example.org"
    text, html = parts(msg)
    assert "Published:  2025-02-27 02:12 CET" in text  # the configured time zone
    assert "Link:       https://en.yna.co.kr/view/AEN1" in text
    assert "*North Korea* has sent at least 3,000 more *troops* to *Russia*" in text
    assert "<mark>North Korea</mark>" in html and 'href="https://en.yna.co.kr/view/AEN1"' in html


def test_the_message_id_is_stable_and_differs_per_entry() -> None:
    assert immediate(item(), **OPTIONS)["Message-ID"] == immediate(item(), **OPTIONS)["Message-ID"]
    assert (
        immediate(item(entry_key="guid:X"), **OPTIONS)["Message-ID"]
        != immediate(item(), **OPTIONS)["Message-ID"]
    )


def test_feed_text_cannot_inject_headers_or_markup() -> None:
    hostile = item(
        title='Troops\r\nBcc: victim@example.org\x00 <script>alert("x")</script>',
        summary='<img src=x onerror="alert(1)"> North Korea troops Russia',
        url="javascript:alert(1)",
    )
    msg = immediate(hostile, **OPTIONS)
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["Bcc"] is None
    raw = msg.as_bytes()
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw.split(b"\n\n")[0]
    _, html = parts(msg)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert "javascript:" not in html


def test_follow_ups_on_one_story_thread_together() -> None:
    first = immediate(item(), **OPTIONS)
    follow = immediate(
        item(
            entry_key="guid:AEN2", thread_key="guid:AEN1", related=(Related("dw.com", "x", None),)
        ),
        **OPTIONS,
    )
    assert first["In-Reply-To"] is None
    assert follow["In-Reply-To"] == first["Message-ID"] == follow["References"]
    text, _ = parts(follow)
    assert "Also reported by:\n- dw.com: x" in text


def test_a_digest_groups_by_watch_newest_first_with_a_count() -> None:
    items = [
        item(
            alert_id=1,
            title="Older story about troops",
            published=datetime(2025, 2, 26, tzinfo=UTC),
        ),
        item(
            alert_id=2,
            title="Newer story about troops",
            published=datetime(2025, 2, 27, tzinfo=UTC),
        ),
        item(alert_id=3, watch="other", title="Another watch's story"),
    ]
    msg = digest(items, **OPTIONS)
    assert msg["Subject"] == "[monitor] digest: 3 new stories"
    text, html = parts(msg)
    assert text.startswith("3 new stories")
    assert "== nk-troops-russia: 2 ==" in text and "== other: 1 ==" in text
    assert text.index("Newer story") < text.index("Older story")
    assert "<h2>other (1)</h2>" in html


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a\r\nb", "a b"),
        ("tab\there", "tab here"),
        ("x\x00y", "x y"),
        ("  many   spaces ", "many spaces"),
    ],
)
def test_one_line(text: str, line: str) -> None:
    assert one_line(text) == line


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        # 07:59 in Berlin: the last digest time was yesterday's 18:00 (17:00 UTC)
        (datetime(2025, 2, 27, 6, 59, tzinfo=UTC), datetime(2025, 2, 26, 17, 0, tzinfo=UTC)),
        # 08:00 in Berlin: this morning's
        (datetime(2025, 2, 27, 7, 0, tzinfo=UTC), datetime(2025, 2, 27, 7, 0, tzinfo=UTC)),
        (datetime(2025, 2, 27, 17, 0, tzinfo=UTC), datetime(2025, 2, 27, 17, 0, tzinfo=UTC)),
    ],
    ids=["07:59-local", "08:00-local", "18:00-local"],
)
def test_digest_slot_is_the_last_local_digest_time(now: datetime, slot: datetime) -> None:
    assert digest_slot(now, ["08:00", "18:00"], BERLIN) == slot


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            "N. Korea sends 3,000 more troops to Russia: JCS",
            "JCS: N. Korea sends more troops to Russia",
            True,
        ),
        ("N. Korea sends 3,000 more troops to Russia: JCS", "Kim visits Moscow for talks", False),
        (
            "Nordkorea schickt weitere Soldaten nach Russland",
            "Weitere Soldaten aus Nordkorea für Russland",
            True,
        ),
    ],
)
def test_same_story(a: str, b: str, same: bool) -> None:
    assert same_story(a, b) is same


ENCODED_WORD = st.builds(
    lambda charset, enc, payload: f"=?{charset}?{enc}?{payload}?=",
    st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "us-ascii", "x-unknown"]),
    st.sampled_from(["q", "Q", "b", "B"]),
    st.text(alphabet="=0DA_:@Bcc evil.xmpl/+9", max_size=40),
)
HOSTILE = st.lists(
    st.one_of(
        st.text(max_size=30),
        ENCODED_WORD,
        st.sampled_from(["\r\n", "\n", "\r", "\u2028", "\u0085", "\x0b", "\x1c", "Bcc: x@y.z"]),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(title=HOSTILE, outlet=HOSTILE)
@example(title="000000000000000=?¡=?¡", outlet="")  # two encoded words meet
def test_no_feed_text_adds_a_header_or_breaks_one(title: str, outlet: str) -> None:
    """Whatever a feed's title holds (encoded words that decode to CR LF included), the
    message renders the headers it was given, each on one logical line."""
    msg = immediate(item(title=title, outlet=outlet), **OPTIONS)  # check_headers inside
    raw = msg.as_bytes(policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = {line.split(":")[0] for line in head.split("\r\n") if not line[0].isspace()}
    assert "Bcc" not in names and len(names) == len(msg.keys())
    parsed = message_from_bytes(raw, policy=policy.default)
    subject = str(parsed["Subject"])
    # No line break survives. (The decoded subject may show "=?" again: the encoder drops
    # the space of "= ?" between two encoded words it writes; nothing decodes it twice.)
    assert "\n" not in subject and "\r" not in subject


@settings(max_examples=300, deadline=None)
@given(text=HOSTILE)
def test_one_line_leaves_no_line_break_and_no_encoded_word(text: str) -> None:
    line = one_line(text, 1000)
    assert line == line.strip() and "=?" not in line
    assert len(line.splitlines()) <= 1


def test_check_headers_refuses_a_message_whose_header_grew() -> None:
    msg = immediate(item(), **OPTIONS)
    del msg["Subject"]
    # What an unpatched interpreter produced from an encoded word: a second header line.
    msg["Subject"] = "x"
    msg._headers[-1] = ("Subject", "x\r\nBcc: evil@evil.example")  # type: ignore[attr-defined]
    with pytest.raises(HeaderInjection):
        check_headers(msg)
