"""Build alert emails: plain text and HTML from Jinja2 templates. The only module that
imports jinja2. Also the plain-text push notification of an alert (``notification``).

Every piece of feed text reaches the HTML part through autoescaping, links only when
they are http(s), and headers only folded to one line without control characters. With
``web.base_url`` set, every hit and story links to the review page as well
(``review_link``: the configured address, a path and a number, nothing from a feed). Each
element of the HTML part says its language: the hit's for its headline, snippet and the
words it matched ("Matched:" lists those words as the text writes them, ``found_words``,
not the watch's patterns), English for monitor's own words. The
Message-ID of a hit's alert is derived from the watch and the entry, so the same alert
always carries the same Message-ID (a duplicate is recognisable); follow-ups on the
same story name the first one in In-Reply-To and References, so mail clients thread them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from monitor.terms import fold, highlight_spans, snippet

_ENV = Environment(
    loader=PackageLoader("monitor", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Related:
    """Another article of the story (``review.story``): its outlet, headline and link, and,
    when known, its hit (for the review page's link) and language."""

    outlet: str
    title: str
    url: str | None
    hit_id: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class AlertItem:
    """One hit as an alert needs it; built by ``outbox`` from the database."""

    alert_id: int
    hit_id: int
    watch: str
    description: str
    title: str
    summary: str
    url: str | None
    feed: str
    outlet: str
    published: datetime | None
    entry_key: str
    matched: tuple[str, ...]
    recipients: tuple[str, ...]
    related: tuple[Related, ...] = ()
    thread_key: str | None = None  # entry key of the story's first hit, when known
    created_at: datetime | None = None
    story_id: int | None = None
    reason: str = "article"  # new story, new figure or article (see store.AlertPlan)
    figures: tuple[str, ...] = ()  # the story's figures so far, "additional 3,000 (JCS)"
    languages: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    story_title: str | None = None
    language: str | None = None  # the entry's, as stored: "ko", "de", or None if unknown


def one_line(text: str, limit: int = 200) -> str:
    """Header-safe: control characters and line breaks become spaces, then folded, and
    no RFC 2047 encoded word survives.

    The email package decodes an encoded word (``=?utf-8?q?=0D=0A...?=``) in a header
    value it is given and, before CPython 3.11.10 / 3.12.5 (CVE-2024-6923), writes the
    decoded CR LF out as a real line break: a feed title could add headers or start the
    body. Feed text is not MIME, so ``=?`` has no business there: it becomes ``= ?``,
    which starts no encoded word on any interpreter.
    """
    cleaned = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    cleaned = " ".join(cleaned.split()).replace("=?", "= ?")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class HeaderInjection(ValueError):
    """A rendered message has a header line that was not set on purpose."""


def check_headers(msg: EmailMessage) -> EmailMessage:
    """Render the message as it will be sent and refuse it unless its header block holds
    exactly the headers that were set, each on its own (folded) line: the last guard,
    whatever the interpreter's email package does with the text."""
    head = msg.as_bytes(policy=SMTP_POLICY).split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    names = [
        line.split(":", 1)[0].lower()
        for line in head.split("\r\n")
        if line and not line[0].isspace()
    ]
    if sorted(names) != sorted(name.lower() for name in msg):
        raise HeaderInjection(f"headers {names} rendered from {list(msg.keys())}")
    return msg


def safe_link(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def review_page(base_url: str, path: str = "/") -> str | None:
    """A page of the review page (``path`` after ``web.base_url``), or None without it.
    Only the configured address (validated by ``config``: http(s), no quote, angle
    bracket or space) and monitor's own path go in, nothing from a feed."""
    return safe_link(base_url.rstrip("/") + path) if base_url else None


def review_link(base_url: str, what: str, ident: int | None) -> str | None:
    """``{base_url}/hits/7`` or ``{base_url}/stories/3``, or None (no base, no id)."""
    return None if ident is None else review_page(base_url, f"/{what}/{int(ident)}")


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")


def language_tag(code: str | None) -> str:
    """A stored language as an HTML ``lang`` value: ``"ko"``, ``"de-AT"``; ``""`` (unknown)
    for anything that is no language tag, since a feed names its own language."""
    return code if code and _LANGUAGE_TAG.fullmatch(code) else ""


def found_words(texts: Iterable[str], terms: Iterable[str], limit: int = 12) -> tuple[str, ...]:
    """The words the hit's stored patterns found, as the texts write them ("North Korean",
    "북한군이"), in order of appearance, each once (compared folded), at most ``limit``.

    What "Matched:" lists: the patterns themselves (``*북한군*``, ``troop*``) read like the
    ``*emphasis*`` of the text part's snippet. Pure; spans from ``terms.highlight_spans``."""
    patterns = list(terms)
    found: dict[str, str] = {}
    for text in texts:
        for start, end in highlight_spans(text, patterns):
            word = one_line(text[start:end], 80)
            if word:
                found.setdefault(fold(word) or word, word)
    return tuple(found.values())[:limit]


def domain_of(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id(watch: str, entry_key: str, domain: str) -> str:
    digest = hashlib.sha1(f"{watch}\n{entry_key}".encode()).hexdigest()[:20]
    return f"<hit.{digest}@{domain}>"


def highlight_html(text: str, terms: tuple[str, ...]) -> Markup:
    """Feed text escaped, with matched words in <mark>."""
    out, last = [], 0
    for start, end in highlight_spans(text, list(terms)):
        out += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end])]
        out.append(Markup("</mark>"))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _story_language(item: AlertItem) -> str:
    """The language of the story an item belongs to: its first article's (the stories
    table keeps them in order), or ``""``."""
    return next((tag for code in item.languages if (tag := language_tag(code))), "")


def _local(when: datetime | None, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if when else "unknown"


def _base(sender: str, recipients: tuple[str, ...], subject: str, now: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    # No recipients (alerts into the Maildir): the RFC 5322 group for "nobody named"
    msg["To"] = ", ".join(recipients) or "undisclosed-recipients:;"
    msg["Subject"] = one_line(subject, 250)
    msg["Date"] = format_datetime(now)
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def immediate(
    item: AlertItem,
    *,
    sender: str,
    prefix: str,
    tz: ZoneInfo,
    now: datetime,
    base_url: str = "",
) -> EmailMessage:
    """One email for one hit: headline, outlet, time, highlighted snippet, link, and with
    ``base_url`` the hit and its story on the review page."""
    domain = domain_of(sender)
    update = "new figure: " if item.reason == "new figure" else ""
    subject = f"{prefix} {item.watch}: {update}{one_line(item.title)}".strip()
    msg = _base(sender, item.recipients, subject, now)
    msg["Message-ID"] = message_id(item.watch, item.entry_key, domain)
    msg["List-Id"] = (
        f"{one_line(item.description or item.watch, 80)} <{item.watch}.monitor.{domain}>"
    )
    if item.thread_key and item.thread_key != item.entry_key:
        root = message_id(item.watch, item.thread_key, domain)
        msg["In-Reply-To"] = root
        msg["References"] = root
    text = item.summary or item.title
    lang = language_tag(item.language)
    context = {
        "item": item,
        "title": one_line(item.title, 1000),
        "link": safe_link(item.url),
        "published": _local(item.published, tz),
        "snippet_text": snippet(text, list(item.matched), width=400, mark="*"),
        "snippet_html": highlight_html(text, item.matched),
        "words": found_words([item.title, item.summary], item.matched),
        "related": [
            {
                "outlet": one_line(r.outlet, 200),
                "title": one_line(r.title, 1000),
                "link": safe_link(r.url),
                "review": review_link(base_url, "hits", r.hit_id),
                "lang": language_tag(r.language),
            }
            for r in item.related
        ],
        "review": review_link(base_url, "hits", item.hit_id),
        "story_link": review_link(base_url, "stories", item.story_id),
        "lang": lang,
        "doc_lang": _story_language(item) or lang,
    }
    msg.set_content(_ENV.get_template("alert.txt").render(context))
    msg.add_alternative(_ENV.get_template("alert.html").render(context), subtype="html")
    return check_headers(msg)


@dataclass(frozen=True)
class Notification:
    """A push notification: a short title and a plain-text body (no HTML, no markup)."""

    title: str
    body: str


def notification(item: AlertItem, base_url: str = "") -> Notification:
    """One hit as a phone shows it: the headline (``new figure:`` first for a follow-up),
    then the figures with their sources, the outlets so far, the link, and with
    ``base_url`` the hit on the review page."""
    update = "new figure: " if item.reason == "new figure" else ""
    lines = [f"{one_line(item.outlet, 80)} · {item.watch}"]
    if item.figures:
        shown = "; ".join(one_line(f, 120) for f in item.figures[:5])
        more = len(item.figures) - 5
        lines.append(f"Figures: {shown}" + (f" (+{more} more)" if more > 0 else ""))
    if item.outlets:
        outlets = ", ".join(one_line(o, 60) for o in item.outlets[:8])
        more = len(item.outlets) - 8
        lines.append(
            f"So far {len(item.outlets)} outlet{'s' if len(item.outlets) != 1 else ''}: "
            + outlets
            + (f" and {more} more" if more > 0 else "")
        )
    link = safe_link(item.url)
    if link:
        lines.append(one_line(link, 2000))
    review = review_link(base_url, "hits", item.hit_id)
    if review:
        lines.append(f"Review: {one_line(review, 2000)}")
    return Notification(title=update + one_line(item.title, 150), body="\n".join(lines))


def digest(
    items: list[AlertItem],
    *,
    sender: str,
    prefix: str,
    tz: ZoneInfo,
    now: datetime,
    base_url: str = "",
) -> EmailMessage:
    """One email for many hits, grouped by watch, newest first, with a count line; with
    ``base_url`` each hit and story links to the review page."""
    domain = domain_of(sender)
    watches: dict[str, list[AlertItem]] = {}
    newest_first = sorted(items, key=lambda i: i.published or now, reverse=True)
    for item in newest_first:
        watches.setdefault(item.watch, []).append(item)
    count = len(items)
    known = {i.story_id for i in items if i.story_id}
    if known:  # with stories: articles grouped under the story they belong to
        articles = "1 new article" if count == 1 else f"{count} new articles"
        stories = f"{articles} in {len(known) + sum(1 for i in items if not i.story_id)}"
        stories += " story" if stories.endswith(" 1") else " stories"
        for watch, group in watches.items():
            first: dict[int | None, datetime] = {}
            for item in group:
                first.setdefault(item.story_id, item.published or now)
            group.sort(key=lambda i: (first[i.story_id], i.story_id or 0, i.published or now))
            watches[watch] = group
    else:
        stories = "1 new story" if count == 1 else f"{count} new stories"
    msg = _base(sender, items[0].recipients, f"{prefix} digest: {stories}", now)
    ids = ",".join(str(i.alert_id) for i in sorted(items, key=lambda i: i.alert_id))
    msg["Message-ID"] = f"<digest.{hashlib.sha1(ids.encode()).hexdigest()[:20]}@{domain}>"
    if len(watches) == 1:
        only = next(iter(watches))
        msg["List-Id"] = f"{only} <{only}.monitor.{domain}>"
    groups = [
        (
            watch,
            [
                {
                    "story": one_line(i.story_title, 300) if i.story_title else None,
                    "story_id": i.story_id,
                    "story_link": review_link(base_url, "stories", i.story_id),
                    "story_lang": _story_language(i),
                    "hit_id": i.hit_id,
                    "review": review_link(base_url, "hits", i.hit_id),
                    "lang": language_tag(i.language),
                    "title": one_line(i.title, 1000),
                    "outlet": i.outlet,
                    "published": _local(i.published, tz),
                    "link": safe_link(i.url),
                    "snippet_text": snippet(i.summary or i.title, list(i.matched), 200, "*"),
                    "snippet_html": highlight_html(
                        snippet(i.summary or i.title, list(i.matched), 200, ""), i.matched
                    ),
                }
                for i in group
            ],
        )
        for watch, group in watches.items()
    ]
    top = groups[0][1][0] if groups else None  # the first hit the message shows
    context = {
        "stories": stories,
        "groups": groups,
        "when": _local(now, tz),
        "home": review_page(base_url),
        "hits_page": review_page(base_url, "/hits"),
        "doc_lang": (top["story_lang"] or top["lang"]) if top else "",
    }
    msg.set_content(_ENV.get_template("digest.txt").render(context))
    msg.add_alternative(_ENV.get_template("digest.html").render(context), subtype="html")
    return check_headers(msg)


def test_message(
    *, sender: str, recipients: tuple[str, ...], prefix: str, now: datetime
) -> EmailMessage:
    msg = _base(sender, recipients, f"{prefix} test message", now)
    msg["Message-ID"] = f"<test.{int(now.timestamp())}@{domain_of(sender)}>"
    msg.set_content(
        "This is a test message from monitor. If you can read it, alerts will reach you.\n"
    )
    return check_headers(msg)


def operator_notice(
    feed: str,
    reason: str | None,
    url: str,
    *,
    sender: str,
    recipients: tuple[str, ...],
    prefix: str,
    now: datetime,
) -> EmailMessage:
    """To the operator: a feed died (``reason``) or came back (``reason`` None)."""
    state = f"feed {feed} recovered" if reason is None else f"feed {feed} looks dead"
    msg = _base(sender, recipients, f"{prefix} {state}", now)
    msg["Message-ID"] = f"<feed.{feed}.{int(now.timestamp())}@{domain_of(sender)}>"
    body = (
        f"{one_line(reason, 500)}\n\nFeed: {feed}\nURL:  {url}\n\n"
        "`monitor feeds` shows every feed's health; if the address changed, update the\n"
        "feed's url in the config.\n"
        if reason is not None
        else f"The feed {feed} works again ({url}).\n"
    )
    msg.set_content(body)
    return check_headers(msg)
