"""A deterministic farm of feeds on disk: RSS 2.0, Atom 1.0 and RSS 1.0 (RDF), de/en/ko.

    generate(folder, count, seed) -> <folder>/<name>.xml ... + <folder>/farm.json
    change(folder, fraction, seed) -> the same feeds, a fraction of them with 2 new items

Every text is composed from the small word lists of ``words.py``, so nothing is copied from a
real article. Each feed is a window on an endless, seeded stream of items: item ``k``
of feed ``i`` is always the same, and a feed at generation ``g`` shows items
``2g .. 2g + size - 1``, newest first. ``change`` bumps the generation of some feeds,
which puts 2 new items on top and drops the 2 oldest, as a real feed does.

About 1.5 items in 1,000 are about North Korean troops in Russia, in the language of
the feed, so the shipped watch has hits; others touch only one or two of its concept
groups (a missile test, Russia at the Finnish border, aid for Ukraine), as real news does.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from bench.words import SLOTS, WORDS

MANIFEST = "farm.json"
FORMATS = ("rss", "rss", "rss", "atom", "atom", "rdf")  # RSS 2.0 is the most common
LANGUAGES = ("de", "en", "ko")
HIT_RATE = 0.0015
START = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
ZONES = {
    "de": timezone(timedelta(hours=1)),
    "en": timezone(timedelta(hours=-5)),
    "ko": timezone(timedelta(hours=9)),
}


# -- the farm ---------------------------------------------------------------------------


@dataclass
class FarmFeed:
    """One feed of the farm, as ``farm.json`` keeps it."""

    name: str
    format: str  # rss, atom, rdf
    language: str
    host: str
    section: str
    size: int  # items shown
    style: str  # how summaries are written: cdata, escaped, plain, content
    minutes: int  # between two items
    generation: int = 0

    @property
    def outlet(self) -> str:
        return self.host.removeprefix("www.")

    @property
    def link(self) -> str:
        return f"https://{self.host}/{self.section}/"


@dataclass(frozen=True)
class Item:
    number: int
    guid: str
    link: str
    title: str
    summary: str  # HTML unless the feed's style is "plain"
    author: str
    category: str
    published: datetime
    hit: bool


def generate(folder: Path | str, count: int = 1000, seed: int = 2025) -> list[FarmFeed]:
    """Write ``count`` feeds and ``farm.json`` into ``folder`` (created if missing)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"farm:{seed}")
    feeds = []
    for index in range(count):
        language = LANGUAGES[index % len(LANGUAGES)]
        words = WORDS[language]
        first, second, tld = words["hosts"]
        fmt = rng.choice(FORMATS)
        feed = FarmFeed(
            name=f"f{index:04d}-{language}-{fmt}",
            format=fmt,
            language=language,
            host=rng.choice(first) + rng.choice(second) + tld,
            section=rng.choice(words["sections"]),
            size=rng.randint(20, 40),
            style=rng.choice(
                ("cdata", "escaped", "plain", "content")
                if fmt == "rss"
                else ("escaped", "escaped", "plain")
            ),
            minutes=rng.randint(15, 180),
        )
        feeds.append(feed)
        write_feed(folder, feed, seed)
    save_manifest(folder, seed, feeds)
    return feeds


def change(folder: Path | str, fraction: float = 0.1, seed: int = 0) -> list[str]:
    """Put 2 new items on top of ``fraction`` of the feeds (chosen by ``seed``); their names."""
    folder = Path(folder)
    farm_seed, feeds = load_manifest(folder)
    count = round(len(feeds) * fraction)
    chosen = random.Random(f"change:{farm_seed}:{seed}").sample(feeds, count)
    for feed in chosen:
        feed.generation += 1
        write_feed(folder, feed, farm_seed)
    save_manifest(folder, farm_seed, feeds)
    return sorted(feed.name for feed in chosen)


def topic_items(folder: Path | str) -> int:
    """How many items the feeds now show are about the watched topic."""
    farm_seed, feeds = load_manifest(Path(folder))
    return sum(item.hit for feed in feeds for item in shown_items(feed, farm_seed))


def shown_items(feed: FarmFeed, seed: int) -> list[Item]:
    """The items a feed shows at its generation, newest first."""
    first = 2 * feed.generation
    return [make_item(feed, seed, k) for k in range(first + feed.size - 1, first - 1, -1)]


def load_manifest(folder: Path) -> tuple[int, list[FarmFeed]]:
    data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data["seed"], [FarmFeed(**f) for f in data["feeds"]]


def save_manifest(folder: Path, seed: int, feeds: list[FarmFeed]) -> None:
    data = {"seed": seed, "feeds": [asdict(f) for f in feeds]}
    (folder / MANIFEST).write_text(json.dumps(data, indent=0), encoding="utf-8")


def write_feed(folder: Path, feed: FarmFeed, seed: int) -> None:
    items = shown_items(feed, seed)
    render = {"rss": render_rss, "atom": render_atom, "rdf": render_rdf}[feed.format]
    (folder / f"{feed.name}.xml").write_text(render(feed, items), encoding="utf-8")


# -- items ----------------------------------------------------------------------------


def make_item(feed: FarmFeed, seed: int, k: int) -> Item:
    """Item ``k`` of ``feed``: the same whenever it is asked for."""
    rng = random.Random(f"item:{seed}:{feed.name}:{k}")
    words = WORDS[feed.language]
    hit = rng.random() < HIT_RATE
    if hit:
        title = rng.choice(words["hit_titles"])
        sentences = [fill(s, words, rng) for s in words["hit_sentences"]]
    else:
        title = headline(words, feed.language, rng)
        lead, *others = words["sentences"]  # the first template opens a news item
        sentences = [fill(t, words, rng) for t in [lead, *rng.sample(others, 2)]]
    slug = f"{k:06d}-{rng.getrandbits(32):08x}"
    link = f"https://{feed.host}/{feed.section}/{slug}.html"
    if rng.random() < 0.3:
        link += "?utm_source=rss&utm_medium=feed"
    return Item(
        number=k,
        guid=f"https://{feed.host}/a/{feed.name}/{k}",
        link=link,
        title=title,
        summary=summary(sentences, words, link, feed.style, rng),
        author=rng.choice(words["authors"]),
        category=feed.section,
        published=START + timedelta(minutes=feed.minutes * k + rng.randint(0, 9)),
        hit=hit,
    )


def headline(words: dict[str, list[str]], language: str, rng: random.Random) -> str:
    pick = rng.choice
    if language == "ko":
        return f"{pick(words['subjects'])}, {pick(words['objects'])} {pick(words['verbs'])}" + (
            pick(words["tails"])
        )
    return f"{pick(words['subjects'])} {pick(words['verbs'])} {pick(words['objects'])}" + (
        pick(words["tails"])
    )


def fill(template: str, words: dict[str, Any], rng: random.Random) -> str:
    """A sentence template with its ``{slots}`` filled from the word lists."""
    slots = {slot: rng.choice(words[key]) for slot, key in SLOTS.items() if key in words}
    slots["number"] = str(rng.randint(2, 950))
    slots["day"] = str(rng.randint(1, 28))
    return template.format(**slots)


def summary(
    sentences: list[str], words: dict[str, Any], link: str, style: str, rng: random.Random
) -> str:
    """The item's summary: plain text, or HTML with paragraphs, emphasis, links, entities."""
    if style == "plain":
        return " ".join(sentences)
    text = [escape(s, {'"': "&quot;"}) for s in sentences]
    if rng.random() < 0.5:
        text[0] = f"<strong>{text[0]}</strong>"
    paragraphs = [" ".join(text[:2]), " ".join(text[2:])]
    body = "".join(f"<p>{p}</p>" for p in paragraphs if p)
    if rng.random() < 0.4:
        image = link.replace(".html", ".jpg").split("?")[0]
        body = f'<p><img src="{image}" alt="" width="600" height="338" /></p>' + body
    more = escape(str(words["more"]))
    body += f'<p><a href="{escape(link)}">{more}&nbsp;&raquo;</a></p>'
    if style == "content":  # a longer article body, as feeds with content:encoded carry
        body += "".join(f"<p>{escape(s)}</p>" for s in sentences[1:]) + "<p>&copy; 2025</p>"
    return body


# -- rendering ------------------------------------------------------------------------


def _pubdate(when: datetime, language: str) -> str:
    return format_datetime(when.astimezone(ZONES[language]))


def _iso(when: datetime, language: str) -> str:
    return when.astimezone(ZONES[language]).isoformat(timespec="seconds")


def _title(feed: FarmFeed) -> str:
    words = WORDS[feed.language]
    return str(words["title"]).format(host=feed.outlet, section=feed.section.title())


def _updated(items: list[Item]) -> datetime:
    return max(item.published for item in items)


def render_rss(feed: FarmFeed, items: list[Item]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(_title(feed))}</title>",
        f"<link>{feed.link}</link>",
        f"<description>{escape(_title(feed))}</description>",
        f"<language>{feed.language}</language>",
        f"<lastBuildDate>{_pubdate(_updated(items), feed.language)}</lastBuildDate>",
        f'<atom:link href="{feed.link}feed.xml" rel="self" type="application/rss+xml"/>',
        f"<image><url>https://{feed.host}/logo.png</url><title>{escape(feed.outlet)}</title>"
        f"<link>{feed.link}</link></image>",
    ]
    for item in items:
        permalink = "false" if feed.style == "escaped" else "true"
        guid = item.guid if permalink == "false" else item.link.split("?")[0]
        out += [
            "<item>",
            f"<title>{escape(item.title)}</title>",
            f"<link>{escape(item.link)}</link>",
            f'<guid isPermaLink="{permalink}">{escape(guid)}</guid>',
            f"<pubDate>{_pubdate(item.published, feed.language)}</pubDate>",
            f"<dc:creator>{escape(item.author)}</dc:creator>",
            f"<category>{item.category}</category>",
        ]
        if feed.style == "content":
            first = item.summary.split("</p>", 1)[0] + "</p>"
            out.append(f"<description><![CDATA[{first}]]></description>")
            out.append(f"<content:encoded><![CDATA[{item.summary}]]></content:encoded>")
        elif feed.style == "cdata":
            out.append(f"<description><![CDATA[{item.summary}]]></description>")
        else:
            out.append(f"<description>{escape(item.summary)}</description>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def render_atom(feed: FarmFeed, items: list[Item]) -> str:
    lang = {"de": "de-DE", "en": "en-US", "ko": "ko-KR"}[feed.language]
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">',
        f"<title>{escape(_title(feed))}</title>",
        f'<link rel="alternate" type="text/html" href="{feed.link}"/>',
        f'<link rel="self" type="application/atom+xml" href="{feed.link}atom.xml"/>',
        f"<id>tag:{feed.outlet},2025:{feed.section}</id>",
        f"<updated>{_iso(_updated(items), feed.language)}</updated>",
        f"<author><name>{escape(feed.outlet)}</name></author>",
    ]
    for item in items:
        kind = "text" if feed.style == "plain" else "html"
        out += [
            "<entry>",
            f'<title type="text">{escape(item.title)}</title>',
            f'<link rel="alternate" type="text/html" href={quoteattr(item.link)}/>',
            f"<id>tag:{feed.outlet},2025:{feed.name}.{item.number}</id>",
            f"<published>{_iso(item.published, feed.language)}</published>",
            f"<updated>{_iso(item.published, feed.language)}</updated>",
            f"<author><name>{escape(item.author)}</name></author>",
            f'<category term="{item.category}"/>',
            f'<summary type="{kind}">{escape(item.summary)}</summary>',
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


def render_rdf(feed: FarmFeed, items: list[Item]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f'<channel rdf:about="{feed.link}rdf.xml">',
        f"<title>{escape(_title(feed))}</title>",
        f"<link>{feed.link}</link>",
        f"<description>{escape(_title(feed))}</description>",
        f"<dc:language>{feed.language}</dc:language>",
        f"<dc:date>{_iso(_updated(items), feed.language)}</dc:date>",
        "<items><rdf:Seq>",
        *(f"<rdf:li rdf:resource={quoteattr(item.link)}/>" for item in items),
        "</rdf:Seq></items>",
        "</channel>",
    ]
    for item in items:
        out += [
            f"<item rdf:about={quoteattr(item.link)}>",
            f"<title>{escape(item.title)}</title>",
            f"<link>{escape(item.link)}</link>",
            f"<description>{escape(item.summary)}</description>",
            f"<dc:date>{_iso(item.published, feed.language)}</dc:date>",
            f"<dc:creator>{escape(item.author)}</dc:creator>",
            f"<dc:subject>{item.category}</dc:subject>",
            "</item>",
        ]
    out += ["</rdf:RDF>", ""]
    return "\n".join(out)
