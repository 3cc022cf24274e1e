"""Every route of the review page over HTTP, on a database filled by a real poll."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import FIXTURE_FEEDS, FeedServer, write_config
from tests.live_server import LiveServer

HOSTILE = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
    b"<title>North Korea troops in Russia &lt;script&gt;alert(1)&lt;/script&gt;"
    b" &lt;img src=x onerror=alert(2)&gt;</title><link>https://x.example/1</link>"
    b"<guid>hostile-1</guid><description>Soldiers from North Korea near Kursk.</description>"
    b"</item></channel></rss>"
)


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config whose database holds one poll of the fixture feeds and a hostile one."""
    folder = tmp_path_factory.mktemp("review")
    with FeedServer() as server:
        server.files["hostile.xml"] = HOSTILE
        feeds = {n: server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
        feeds["hostile"] = server.url("/feeds/hostile.xml")
        config = write_config(folder, feeds)
        result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
        assert result.exit_code == 0, result.output
    yield config


@pytest.fixture(scope="module")
def server(polled: Path) -> Iterator[LiveServer]:
    with LiveServer(polled) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=True) as client:
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


def hit_id(client: httpx.Client, text: str) -> int:
    found = re.search(
        r'<a class="headline" href="/hits/(\d+)">[^<]*' + re.escape(text), client.get("/hits").text
    )
    assert found, text
    return int(found.group(1))


def test_the_list_shows_every_hit_newest_first(client: httpx.Client) -> None:
    page = client.get("/hits")
    assert page.status_code == 200
    assert "10 hits" in page.text
    titles = re.findall(r'class="headline" href="/hits/\d+">([^<]+)<', page.text)
    assert len(titles) == 10
    assert "Nordkorea schickt weitere Soldaten nach Russland" in titles


def containing(polled: Path, word: str) -> set[int]:
    """Hits whose title, summary or full text holds ``word``, by a plain scan."""
    with sqlite3.connect(polled.parent / "monitor.db") as db:
        rows = db.execute(
            "SELECT hits.id, title || ' ' || summary || ' ' || coalesce(content, '')"
            " FROM hits JOIN entries ON entries.id = hits.entry_id"
        ).fetchall()
    return {hit for hit, text in rows if word.casefold() in text.casefold()}


@pytest.mark.parametrize(
    "query",
    [
        "entsendung",  # inside the German compound "Truppenentsendung"
        "Kursk",
        "북한군",  # inside "북한군이", "북한군은"
        "포로",  # two characters: the substring scan
        "Selenskyj",  # in no hit of this poll
    ],
)
def test_search_finds_exactly_the_hits_holding_the_word(
    client: httpx.Client, polled: Path, query: str
) -> None:
    page = client.get("/hits", params={"q": query}).text
    found = {int(i) for i in re.findall(r'class="headline" href="/hits/(\d+)"', page)}
    assert found == containing(polled, query)
    cli_found = CliRunner().invoke(
        cli, ["--config", str(polled), "hits", "--json", "--search", query]
    )
    assert {h["id"] for h in json.loads(cli_found.output)} == found


def test_search_results_are_not_empty_where_they_should_not_be(polled: Path) -> None:
    assert containing(polled, "entsendung") and containing(polled, "북한군")
    assert containing(polled, "포로") and not containing(polled, "Selenskyj")


def test_filters(client: httpx.Client) -> None:
    korean = client.get("/hits", params={"lang": "ko"}).text
    assert "2 hits" in korean
    assert "0 hits" in client.get("/hits", params={"status": "irrelevant", "feed": "spiegel"}).text
    assert "1 hit" in client.get("/hits", params={"feed": "spiegel"}).text
    assert "0 hits" in client.get("/hits", params={"from": "2030-01-01"}).text
    window = client.get("/hits", params={"from": "2025-02-01", "to": "2025-02-28"}).text
    assert "9 hits" in window  # the hostile entry has no date: it counts as found today


def test_mark_and_note_stick_and_show_everywhere(client: httpx.Client, polled: Path) -> None:
    target = hit_id(client, "Nordkorea schickt weitere Soldaten")
    token = csrf(client.get("/hits").text)
    done = client.post(
        f"/hits/{target}/mark",
        data={"status": "relevant", "csrf": token, "next": "/hits?lang=de"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/hits?lang=de#hit-{target}"
    client.post(f"/hits/{target}/note", data={"note": "seed story", "csrf": token, "next": "/"})
    assert "1 hit" in client.get("/hits", params={"status": "relevant"}).text
    assert "Note: seed story" in client.get(f"/hits/{target}").text
    cli_view = CliRunner().invoke(
        cli, ["--config", str(polled), "hits", "--json", "--status", "relevant"]
    )
    [hit] = json.loads(cli_view.output)
    assert hit["status"] == "relevant" and hit["note"] == "seed story"


def test_forged_posts_are_refused(client: httpx.Client) -> None:
    target = hit_id(client, "Kriegsgefangene")
    no_token = client.post(f"/hits/{target}/mark", data={"status": "seen"})
    assert no_token.status_code == 403 and "reload" in no_token.text
    token = csrf(client.get("/hits").text)
    elsewhere = client.post(
        f"/hits/{target}/mark",
        data={"status": "seen", "csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert elsewhere.status_code == 403
    assert 'class="badge new"' in client.get(f"/hits/{target}").text  # nothing changed
    bad_status = client.post(f"/hits/{target}/mark", data={"status": "deleted", "csrf": token})
    assert bad_status.status_code == 400
    offsite = client.post(
        f"/hits/{target}/mark",
        data={"status": "seen", "csrf": token, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert offsite.headers["location"].startswith("/")


def test_detail_page(client: httpx.Client) -> None:
    target = hit_id(client, "N. Korea sends 3,000 more troops")
    page = client.get(f"/hits/{target}").text
    assert "<mark>troops</mark>" in page
    assert 'href="https://en.yna.co.kr/view/AEN20250227001200315"' in page
    assert "Why it was flagged" in page and "personnel" in page


@pytest.mark.parametrize("path", ["/hits/99999", "/hits/abc", "/nowhere", "/hits/99999/x"])
def test_unknown_pages_are_a_404_page(client: httpx.Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404 and "Not found" in page.text and "Traceback" not in page.text


def test_a_post_for_an_unknown_hit_is_a_404(client: httpx.Client) -> None:
    token = csrf(client.get("/hits").text)
    assert (
        client.post("/hits/99999/mark", data={"status": "seen", "csrf": token}).status_code == 404
    )


def test_feed_text_is_always_escaped(client: httpx.Client, polled: Path) -> None:
    page = client.get("/hits").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    target = hit_id(client, "North Korea troops in Russia &lt;script&gt;")
    detail = client.get(f"/hits/{target}").text
    assert "<script>alert(1)" not in detail and "&lt;script&gt;alert(1)" in detail
    exported = CliRunner().invoke(cli, ["--config", str(polled), "export", "--format", "json"])
    assert "<script>alert(1)</script>" in exported.output  # exports carry the text as data


def test_feeds_page(client: httpx.Client) -> None:
    page = client.get("/feeds").text
    for name in FIXTURE_FEEDS:
        assert name in page
    assert "entries/day" in page


def test_timeline_and_its_local_assets(client: httpx.Client) -> None:
    page = client.get("/timeline", params={"days": 730, "split": "outlet"}).text
    assert '<script src="/static/plotly.min.js">' in page  # root-relative: see test_web_daily
    figure = json.loads(re.search(r'type="application/json">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert figure["data"] and figure["data"][0]["type"] == "bar"
    assert "https://cdn" not in page
    script = client.get("/static/plotly.min.js")
    assert script.status_code == 200 and "plotly" in script.text[:2000].lower()
    assert client.get("/static/style.css").status_code == 200


def test_basic_auth(polled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_WEB_USER", "reader")
    monkeypatch.setenv("MONITOR_WEB_PASSWORD", "pw")
    with LiveServer(polled) as live, httpx.Client(base_url=live.url) as client:
        assert client.get("/hits").status_code == 401
        assert client.get("/hits", auth=("reader", "wrong")).status_code == 401
        assert client.get("/hits", auth=("reader", "pw")).status_code == 200


def test_paging(tmp_path: Path, feed_server: FeedServer) -> None:
    items = "".join(
        f"<item><title>North Korea sends troops to Russia, report {n}</title>"
        f"<link>https://x.example/{n}</link><pubDate>Thu, 27 Feb 2025 {n // 60:02d}:{n % 60:02d}"
        ":00 +0000</pubDate></item>"
        for n in range(60)
    )
    feed_server.files["many.xml"] = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>m</title>{items}</channel></rss>'
    ).encode()
    config = write_config(tmp_path, {"many": feed_server.url("/feeds/many.xml")})
    assert CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"]).exit_code == 0
    with LiveServer(config) as live, httpx.Client(base_url=live.url) as client:
        first = client.get("/hits").text
        assert "60 hits, 1–50 shown" in first and "older →" in first and "← newer" not in first
        titles = re.findall(r'class="headline" href="/hits/\d+">([^<]+)<', first)
        assert len(titles) == 50 and titles[0].endswith("report 59")
        second = client.get("/hits", params={"page": 2}).text
        rest = re.findall(r'class="headline" href="/hits/\d+">([^<]+)<', second)
        assert len(rest) == 10 and rest[-1].endswith("report 0") and "← newer" in second
        assert not set(titles) & set(rest)
