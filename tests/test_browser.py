"""The review page in a real headless Chromium, driven by Playwright.

Uses the system's Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it),
never a browser that Playwright downloads. Screenshots land in ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load
from monitor.records import Entry, FetchResult, NearMiss, ParsedFeed, TermHit
from monitor.store import Store
from tests.conftest import FIXTURE_FEEDS, FeedServer, write_config
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parent / "artifacts"
# The flags a closed network and a root user need (see the README's Tests section).
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium for the browser tests: apt-get install chromium")
    pytest.skip("no Chromium here (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    Page,
    expect,
    sync_playwright,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    with FeedServer() as server:
        feeds = {n: server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
        config = write_config(folder, feeds)
        result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
        assert result.exit_code == 0, result.output
    keep_a_near_miss(config)
    with LiveServer(config) as live:
        yield live.url


SUMMIT = "Kim Jong Un meets Putin in Moscow"


def keep_a_near_miss(config: Path) -> None:
    """One near miss to flag, whatever the shipped watch makes of the fixture feeds: a
    later poll of the first feed brings an entry the watch almost took."""
    settings = load(config)
    watch = settings.watches[0].name
    entry = Entry(
        "browser-summit",
        "https://en.yna.co.kr/view/summit",
        SUMMIT,
        "Talks on trade and a new road bridge.",
        datetime(2025, 2, 27, 9, tzinfo=UTC),
        "en",
    )
    found = (TermHit("north-korea", "kim jong un*", "title"), TermHit("war", "putin*", "title"))
    miss = NearMiss(watch, "no term of personnel", ("personnel",), found)
    now = datetime.now(UTC)
    store = Store(settings.database)
    try:
        parsed = ParsedFeed(((entry, ()),), near=((miss,),))
        store.record_poll(
            settings.feeds[0], FetchResult("ok"), parsed, error=None, next_attempt_at=now, now=now
        )
    finally:
        store.close()


BUSY_ITEMS = 60  # a day's hits: more than a page, more than a screen


def busy_feed() -> bytes:
    """A feed of many hits, each with a summary a snippet is cut from."""
    items = "".join(
        f"<item><title>North Korean troops reach the Kursk front, report {n}</title>"
        f"<link>https://news.example/kursk/{n}</link><guid>busy-{n}</guid>"
        f"<description>Seoul's intelligence service said on day {n} that more North Korean"
        " soldiers had been sent to Russia, where they fight near Kursk; the ministry in"
        f" Moscow did not comment on the deployment, the {n}th such report.</description>"
        f"<pubDate>Thu, 27 Feb 2025 {n // 60:02d}:{n % 60:02d}:00 +0000</pubDate></item>"
        for n in range(BUSY_ITEMS)
    )
    channel = f"<channel><title>Busy wire</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site of its own for the tests that mark many hits: the fixture feeds and a
    busy wire of 60 more."""
    folder = tmp_path_factory.mktemp("busy")
    with FeedServer() as server:
        server.files["busy.xml"] = busy_feed()
        feeds = {n: server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
        feeds["busy-wire"] = server.url("/feeds/busy.xml")
        config = write_config(folder, feeds)
        result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
        assert result.exit_code == 0, result.output
    with LiveServer(config) as live:
        yield live.url


@pytest.fixture(scope="module")
def browser(site: str, busy: str) -> Iterator[Browser]:
    # After ``site``: Playwright's sync API keeps an event loop running in this thread,
    # and the poll that fills the site needs asyncio.run.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def offline(context: BrowserContext) -> BrowserContext:
    """Every request for another machine answered by the test, never sent (an article a
    test opens is on news.example)."""
    context.route(
        re.compile(r"^https?://(?!127\.0\.0\.1[:/])"),
        lambda route: route.fulfill(body="<title>the article</title>", content_type="text/html"),
    )
    return context


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = offline(browser.new_context(viewport={"width": 1280, "height": 900}))
    page = context.new_page()
    yield page
    context.close()


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_list_search_and_filter(page: Page, site: str) -> None:
    page.goto(site + "/hits")
    expect(page.locator(".count")).to_contain_text("9 hits")
    shoot(page, "hits.png")
    page.fill("input[name=q]", "Kursk")
    page.click("form.filters button")
    expect(page).to_have_url(f"{site}/hits?q=Kursk&watch=&feed=&lang=&status=&from=&to=")
    assert 0 < page.locator("ol.hits li").count() < 9
    page.select_option("select[name=lang]", "ko")
    page.click("form.filters button")
    expect(page.locator(".count")).to_contain_text("hit")
    for meta in page.locator("ol.hits li .meta").all_inner_texts()[:3]:
        assert " ko " in meta


def test_marking_a_hit_relevant_sticks_after_reload(page: Page, site: str) -> None:
    page.goto(site + "/hits")
    first = page.locator("ol.hits li").first
    hit_id = first.get_attribute("id")
    first.locator("button[value=relevant]").click()
    # Marked in place: the row changes, the page stays where it is.
    expect(first.locator(".badge")).to_have_text("relevant")
    assert page.url == f"{site}/hits"
    page.goto(site + "/hits")
    marked = page.locator(f"#{hit_id}")
    expect(marked.locator(".badge")).to_have_text("relevant")
    expect(marked.locator("button[value=relevant]")).to_have_class("primary")
    marked.locator("summary", has_text="note").click()
    marked.locator("input[name=note]").fill("checked against Yonhap")
    marked.locator("text=save note").click()
    expect(marked.locator(".note-text")).to_have_text("Note: checked against Yonhap")
    page.goto(site + "/hits")
    expect(page.locator(f"#{hit_id}")).to_contain_text("Note: checked against Yonhap")
    page.goto(site + "/hits?status=relevant")
    expect(page.locator(".count")).to_contain_text("1 hit")
    marked = page.locator(f"#{hit_id}")
    marked.locator("button[value=new]").click()  # and back: the mark undone
    expect(marked.locator(".badge")).to_have_text("new")
    expect(marked.locator("button[value=new]")).to_be_hidden()
    page.goto(site + "/hits?status=relevant")
    expect(page.locator(".count")).to_contain_text("0 hits")


def test_without_the_script_a_mark_posts_and_comes_back_to_the_hit(
    browser: Browser, site: str
) -> None:
    context = offline(
        browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    )
    page = context.new_page()
    page.goto(site + "/hits?lang=de")
    row = page.locator("ol.hits li").nth(1)
    hit_id = row.get_attribute("id")
    row.locator("button[value=seen]").click()
    expect(page).to_have_url(f"{site}/hits?lang=de#{hit_id}")
    expect(page.locator(f"#{hit_id} .badge")).to_have_text("seen")
    page.locator(f"#{hit_id} button[value=new]").click()
    expect(page.locator(f"#{hit_id} .badge")).to_have_text("new")
    context.close()


def test_the_timeline_draws_its_chart(page: Page, site: str) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(site + "/timeline?days=730&split=language")
    bars = page.locator("#chart .main-svg .barlayer .point path")
    expect(bars.first).to_be_attached(timeout=15_000)
    # Two years of days make thin bars; what counts is that they have height.
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('#chart .barlayer .point path')]
                  .filter(bar => bar.getBoundingClientRect().height > 0).length"""
    )
    assert drawn >= 3  # days x languages with hits
    assert failed == []  # every asset came from this server
    shoot(page, "timeline.png")


def test_detail_page(page: Page, site: str) -> None:
    page.goto(site + "/hits?q=3%2C000")
    page.locator("a.headline").first.click()
    expect(page.locator("h1 mark").first).to_be_visible()
    expect(page.locator("text=Why it was flagged")).to_be_visible()
    shoot(page, "detail.png")


def test_the_front_page_lists_stories_and_a_story_draws_its_figures(page: Page, site: str) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(site + "/")
    stories = page.locator("ol.stories li")
    expect(stories.first).to_be_visible()
    assert stories.count() < 9  # nine hits, fewer stories: articles were grouped
    shoot(page, "stories.png")
    with_figures = page.locator("ol.stories li:has(.figures) a.headline")
    with_figures.first.click()
    expect(page.locator("h2", has_text="Figures")).to_be_visible()
    points = page.locator("#chart .scatterlayer .point")
    expect(points.first).to_be_attached(timeout=15_000)
    assert failed == []
    shoot(page, "story.png")


def new_count(page: Page, kind: str) -> int:
    """The navigation's count of new hits or stories (0 when it is hidden)."""
    badge = page.locator(f'nav [data-new="{kind}"]')
    return int(badge.inner_text().split()[0]) if badge.is_visible() else 0


def test_ten_hits_fit_a_laptop_screen(page: Page, busy: str) -> None:
    page.goto(busy + "/hits")
    visible = page.evaluate(
        """() => [...document.querySelectorAll('ol.hits > li')]
                  .filter(li => li.getBoundingClientRect().bottom <= innerHeight).length"""
    )
    page.screenshot(path=str(ARTIFACTS / "hits-dense.png"))
    assert visible >= 10, visible
    snippets = page.locator("ol.hits li .snippet mark")
    expect(snippets.first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "hits-dense.png"))  # the screen a reader sees


def test_the_keyboard_moves_marks_opens_and_helps(page: Page, busy: str) -> None:
    page.goto(busy + "/hits")
    rows = page.locator("ol.hits > li[data-item]")
    before = new_count(page, "hits")
    for _ in range(14):
        page.keyboard.press("j")
    page.keyboard.press("k")
    current = page.locator("ol.hits > li.current")
    expect(current).to_have_count(1)
    hit_id = current.get_attribute("id")
    assert hit_id == rows.nth(12).get_attribute("id")
    scrolled = page.evaluate("scrollY")
    assert scrolled > 0  # j went past the screen, and the page followed
    page.keyboard.press("r")
    expect(page.locator(f"#{hit_id} .badge")).to_have_text("relevant")
    expect(page.locator('nav [data-new="hits"]')).to_have_text(f"{before - 1} new")
    assert page.url == busy + "/hits" and page.evaluate("scrollY") == scrolled  # in place
    page.keyboard.press("j")
    page.keyboard.press("i")
    below = rows.nth(13)
    expect(below.locator(".badge")).to_have_text("irrelevant")
    expect(below).to_have_class(re.compile(r"\bstatus-irrelevant\b"))
    page.keyboard.press("u")
    expect(below.locator(".badge")).to_have_text("new")
    page.keyboard.press("s")
    expect(below.locator(".badge")).to_have_text("seen")
    page.reload()
    expect(page.locator(f"#{hit_id} .badge")).to_have_text("relevant")
    expect(page.locator(f"#{below.get_attribute('id')} .badge")).to_have_text("seen")

    help_box = page.locator("dialog#keys")
    expect(help_box).to_be_hidden()
    page.keyboard.press("?")
    expect(help_box).to_be_visible()
    for key in ("j", "k", "r", "i", "s", "o", "/", "Esc"):
        expect(help_box.locator("kbd", has_text=key).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "keys.png"))
    page.keyboard.press("j")  # the dialog has the keyboard: the list does not move
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()

    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("j")  # typed into the search, not a key of the list
    expect(page.locator("input[name=q]")).to_have_value("j")

    page.reload()  # the list again, nothing chosen: j takes the first
    page.keyboard.press("j")
    first = rows.first
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    link = first.get_attribute("data-link")  # the article at its outlet (answered here)
    assert link and link.startswith("https://")
    with page.context.expect_page() as opened:
        page.keyboard.press("o")
    article = opened.value
    article.wait_for_load_state()
    assert article.url == link
    article.close()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(busy) + r"/hits/\d+$"))
    expect(page.locator("h2", has_text="Triage")).to_be_visible()
    page.keyboard.press("s")  # one hit's page: the keys mark it
    expect(page.locator(".detail .meta .badge")).to_have_text("seen")


def test_marking_a_page_and_a_filter_seen(page: Page, busy: str) -> None:
    page.goto(busy + "/hits")
    rows = page.locator("ol.hits > li[data-item]")
    labelled = rows.nth(2)
    labelled.locator("button[value=relevant]").click()
    expect(labelled.locator(".badge")).to_have_text("relevant")
    before = new_count(page, "hits")
    new_here = page.locator("ol.hits > li[data-status=new]").count()
    assert new_here > 10
    page.locator("button", has_text="Mark this page seen").click()
    expect(page.locator('nav [data-new="hits"]')).to_have_text(f"{before - new_here} new")
    assert page.locator("ol.hits > li[data-status=new]").count() == 0
    expect(labelled.locator(".badge")).to_have_text("relevant")  # a label stays
    shoot(page, "bulk.png")
    page.reload()
    assert page.locator("ol.hits .badge.new").count() == 0
    expect(labelled.locator(".badge")).to_have_text("relevant")

    # Every hit a filter matches, past the page: with the reader's yes.
    page.goto(busy + "/hits?feed=busy-wire&status=new")
    matching = int(page.locator(".count").inner_text().split()[0])
    assert 0 < matching <= before - new_here
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("button", has_text="Mark all matching seen").click()
    left = before - new_here - matching
    expect(page.locator('nav [data-new="hits"]')).to_have_text(f"{left} new")
    assert asked and "these filters match" in asked[0]
    page.reload()
    expect(page.locator(".count")).to_contain_text("0 hits")
    expect(page.locator("ol.hits")).to_contain_text("No hits match these filters.")

    page.goto(busy + "/")
    assert new_count(page, "stories") > 0
    page.locator("button", has_text="Mark this page seen").click()
    expect(page.locator('nav [data-new="stories"]')).to_be_hidden()
    assert page.locator("ol.stories .badge.new").count() == 0


def test_the_feeds_table_leads_to_a_page_per_feed(page: Page, busy: str) -> None:
    page.goto(busy + "/feeds")
    page.locator("table.feeds a", has_text="busy-wire").click()
    expect(page).to_have_url(busy + "/feeds/busy-wire")
    expect(page.locator("h1")).to_have_text("busy-wire")
    expect(page.locator("table.fetches tr")).to_have_count(2)  # a heading and one poll
    expect(page.locator("table.fetches")).to_contain_text("60")  # its new entries
    bars = page.locator("table.days .bar")
    assert bars.count() == 30 and bars.first.bounding_box()["width"] > 0  # type: ignore[index]
    shoot(page, "feed.png")


def test_dark_mode_follows_the_system(browser: Browser, busy: str) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        context = offline(
            browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        )
        page = context.new_page()
        page.goto(busy + "/hits?q=Kursk")
        colours[scheme] = page.evaluate(
            """() => [document.body, document.querySelector('ol.hits li'),
                      document.querySelector('ol.hits li mark')]
                     .map(e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color])"""
        )
        page.screenshot(path=str(ARTIFACTS / f"hits-{scheme}.png"))
        if scheme == "dark":
            page.goto(busy + "/timeline?days=730")
            expect(page.locator("#chart .main-svg").first).to_be_attached(timeout=15_000)
            shoot(page, "timeline-dark.png")
        context.close()
    (body_bg, body_ink), (card_bg, _), (mark_bg, mark_ink) = colours["dark"]
    assert body_bg == "rgb(18, 22, 29)" and card_bg == "rgb(27, 32, 41)"
    assert body_ink == "rgb(227, 231, 238)" and mark_ink == "rgb(255, 246, 216)"
    assert colours["light"][0] == ["rgb(247, 248, 250)", "rgb(29, 35, 48)"]
    assert mark_bg != colours["light"][2][0]


def test_a_phone_folds_the_filters_and_never_scrolls_sideways(browser: Browser, busy: str) -> None:
    context = offline(
        browser.new_context(
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
        )
    )
    page = context.new_page()
    page.goto(busy + "/hits")
    hit_path = page.locator("a.headline").first.get_attribute("href")
    page.goto(busy + "/")
    story_path = page.locator("a.headline").first.get_attribute("href")
    paths = ["/hits", "/", "/feeds", "/feeds/busy-wire", "/figures", "/misses", "/timeline"]
    for path in [*paths, str(hit_path), str(story_path)]:
        page.goto(busy + path)
        page.wait_for_load_state("load")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (path, wide)
    page.goto(busy + "/hits?lang=en")
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.locator("form.filters")).to_be_hidden()
    expect(filters.locator("summary")).to_contain_text("lang en")  # what is on, folded
    shoot(page, "phone-hits.png")
    filters.locator("summary").click()
    expect(page.locator("form.filters select[name=lang]")).to_be_visible()
    shoot(page, "phone-filters.png")
    page.goto(busy + "/feeds")
    table = page.evaluate(
        """() => { const box = document.querySelector('.scroll');
                   return [box.scrollWidth, box.clientWidth]; }"""
    )
    assert table[0] > table[1], table  # the table scrolls inside its box
    shoot(page, "phone-feeds.png")
    context.close()


def test_flagging_a_near_miss_lands_on_its_new_hit(page: Page, site: str) -> None:
    # Last in the file: the flag adds a relevant hit, which the tests above do not expect.
    page.goto(site + "/")
    page.click("nav >> text=Near misses")
    expect(page).to_have_url(f"{site}/misses")
    miss = page.locator("ol.misses li", has_text=SUMMIT)
    expect(miss).to_contain_text("no term of personnel")
    expect(miss.locator("a.headline")).to_have_attribute("href", "https://en.yna.co.kr/view/summit")
    shoot(page, "misses.png")
    miss.locator("input[name=note]").fill("the summit was about the troops")
    miss.locator("button", has_text="Flag as hit").click()
    expect(page).to_have_url(re.compile(re.escape(site) + r"/hits/\d+$"))
    expect(page.locator("h1")).to_contain_text(SUMMIT)
    expect(page.locator(".detail .meta .badge")).to_have_text("relevant")
    expect(page.locator("text=Note: the summit was about the troops")).to_be_visible()
    shoot(page, "flagged.png")
    page.goto(site + "/misses")
    expect(page.locator("ol.misses")).not_to_contain_text(SUMMIT)
