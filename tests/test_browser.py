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

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


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


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator[Browser]:
    # After ``site``: Playwright's sync API keeps an event loop running in this thread,
    # and the poll that fills the site needs asyncio.run.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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
    expect(page).to_have_url(f"{site}/hits#{hit_id}")
    page.goto(site + "/hits")
    marked = page.locator(f"#{hit_id}")
    expect(marked.locator(".badge")).to_have_text("relevant")
    expect(marked.locator("button[value=relevant]")).to_have_class("primary")
    marked.locator("input[name=note]").fill("checked against Yonhap")
    marked.locator("text=save note").click()
    page.goto(site + "/hits")
    expect(page.locator(f"#{hit_id}")).to_contain_text("Note: checked against Yonhap")
    page.goto(site + "/hits?status=relevant")
    expect(page.locator(".count")).to_contain_text("1 hit")


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
