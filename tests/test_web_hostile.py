"""The review page against what a hostile page or a careless hand sends it.

- DNS rebinding: a page on evil.example that re-points its name at 127.0.0.1 reaches the
  server with ``Host: evil.example``; it must not be served (it would read the CSRF token).
- Every parameter of every route, arbitrary strings and integers: never a 500, always a
  page in the site's layout that says what was wrong.
- ``monitor serve`` on a port already in use: one ``Error:`` line, exit status 1.

All of it over HTTP to a real uvicorn server on 127.0.0.1 (or 127.0.0.2 for ``--host``).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor import review, web, web_input
from monitor.cli import cli
from monitor.errors import ConfigError
from monitor.review import SEARCH_MAX_CHARS
from monitor.store import Store
from tests.conftest import FIXTURE_FEEDS, FeedServer, write_config
from tests.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[1]
NOTE_MAX = 2000  # the README promises notes of this many characters
SERVE = [str(ROOT / ".venv" / "bin" / "monitor")]
ALLOWED = '[web]\nallowed_hosts = ["monitor.example.org", "Review.LAN.example"]\n'
HOSTILE_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config (with two allowed host names) whose database holds one poll."""
    folder = tmp_path_factory.mktemp("hostile-web")
    with FeedServer() as server:
        feeds = {n: server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
        config = write_config(folder, feeds, extra=ALLOWED)
        result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
        assert result.exit_code == 0, result.output
    return config


@pytest.fixture(scope="module")
def server(polled: Path) -> Iterator[LiveServer]:
    with LiveServer(polled) as live:
        yield live


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture(scope="module")
def token(client: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/hits").text)
    assert found
    return found.group(1)


@pytest.fixture(scope="module")
def hit(client: httpx.Client) -> int:
    found = re.search(r'class="headline" href="/hits/(\d+)"', client.get("/hits").text)
    assert found
    return int(found.group(1))


def status_of(client: httpx.Client, hit: int) -> str:
    found = re.search(r'class="badge (\w+)"', client.get(f"/hits/{hit}").text)
    assert found
    return found.group(1)


def port_of(server: LiveServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def assert_a_page(answer: httpx.Response, *phrases: str) -> None:
    """An HTML page in the site's layout (title, navigation), holding ``phrases``."""
    assert answer.status_code != 500, answer.text
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    assert "<title>" in answer.text and 'class="brand"' in answer.text, answer.text
    assert "Traceback" not in answer.text
    for phrase in phrases:
        assert phrase in answer.text, (phrase, answer.text)


# --- 1. DNS rebinding: the Host header and the Origin of POSTs -------------------------


@pytest.mark.parametrize("host", ["evil.example:8080", "evil.example", "127.0.0.1.evil.example"])
def test_a_forged_host_is_refused(client: httpx.Client, host: str) -> None:
    page = client.get("/hits", headers={"Host": host})
    assert page.status_code == 400
    assert "csrf" not in page.text and "Invalid host header" in page.text


def test_a_forged_host_cannot_post_even_with_the_token(
    client: httpx.Client, token: str, hit: int
) -> None:
    before = status_of(client, hit)
    forged = client.post(
        f"/hits/{hit}/mark",
        data={"status": "irrelevant" if before != "irrelevant" else "seen", "csrf": token},
        headers={"Host": "evil.example:8080", "Origin": "http://evil.example:8080"},
    )
    assert forged.status_code == 400
    assert status_of(client, hit) == before


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example:8080",
        "https://evil.example",
        "null",
        "http://localhost:1",  # another server on this machine: another origin
        "http://127.0.0.1:{port}.evil.example",
        "http://monitor.example.org.evil.example",
        "https://monitor.example.org:bad",
        "ftp://monitor.example.org",
    ],
)
def test_a_valid_token_from_a_foreign_origin_is_refused(
    client: httpx.Client, server: LiveServer, token: str, hit: int, origin: str
) -> None:
    before = status_of(client, hit)
    refused = client.post(
        f"/hits/{hit}/mark",
        data={"status": "irrelevant" if before != "irrelevant" else "seen", "csrf": token},
        headers={"Origin": origin.format(port=port_of(server))},
    )
    assert refused.status_code == 403
    assert_a_page(refused, "Forbidden", "another site")
    assert status_of(client, hit) == before


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "127.0.0.1",
        "localhost:{port}",
        "LOCALHOST:{port}",
        "[::1]:{port}",
        "monitor.example.org",  # a reverse proxy passing its public name on
        "Monitor.Example.Org:443",
        "review.lan.example",  # configured as "Review.LAN.example"
    ],
)
def test_allowed_names_are_served(client: httpx.Client, server: LiveServer, host: str) -> None:
    page = client.get("/hits", headers={"Host": host.format(port=port_of(server))})
    assert page.status_code == 200 and 'name="csrf"' in page.text


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:{port}", "http://127.0.0.1:{port}"),
        ("localhost:{port}", "http://localhost:{port}"),
        ("monitor.example.org", "https://monitor.example.org"),
        # a proxy that does not pass the Host header on: the public name is configured
        ("127.0.0.1:{port}", "https://monitor.example.org"),
        ("127.0.0.1:{port}", "https://review.lan.example:8443"),
    ],
)
def test_posts_from_allowed_origins_are_accepted(
    client: httpx.Client, server: LiveServer, token: str, hit: int, host: str, origin: str
) -> None:
    port = port_of(server)
    done = client.post(
        f"/hits/{hit}/mark",
        data={"status": "seen", "csrf": token},
        headers={"Host": host.format(port=port), "Origin": origin.format(port=port)},
    )
    assert done.status_code == 303, done.text
    assert status_of(client, hit) == "seen"


@pytest.mark.parametrize(
    "entry",
    ["https://monitor.example.org", "monitor.example.org:443", "*", "*.*", "two words", ""],
)
def test_a_wrong_allowed_host_is_a_config_error(tmp_path: Path, entry: str) -> None:
    config = write_config(tmp_path, {}, extra=f'[web]\nallowed_hosts = ["{entry}"]\n')
    with socket.socket() as busy:  # should the entry be taken, serve stops at once
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = CliRunner().invoke(cli, ["--config", str(config), "serve", "--port", port])
    assert result.exit_code == 1
    assert "web.allowed_hosts" in result.output and "Traceback" not in result.output


@given(st.text(max_size=30))
@example("*.0")  # a wildcard hypothesis found: its name is checked after the "*."
@settings(max_examples=200, deadline=None)
def test_any_allowed_host_entry_is_a_name_or_a_config_error(entry: str) -> None:
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    try:
        names = web.configured_hosts([entry], Path("monitor.toml"))
    except ConfigError as exc:
        assert "web.allowed_hosts" in str(exc)
        return
    TrustedHostMiddleware(None, allowed_hosts=names)  # type: ignore[arg-type]  # would assert
    # The Host header form of itself; a wildcard, of the name after its "*."
    name = names[0].removeprefix("*.")
    assert web.host_name(name) == name
    assert all(n == n.lower() and n.strip() == n and n for n in names)


# --- 2. parameters: a readable page, never a 500 --------------------------------------

BAD = [
    ("/hits?page=9223372036854775808", 400, "page"),
    ("/hits?page=0", 400, "page"),
    ("/hits?page=-1", 400, "page"),
    ("/hits?page=two", 400, "page"),
    ("/hits?page=%EF%BC%92", 400, "page"),  # a full-width digit, which int() would take
    ("/hits?to=9999-12-31", 400, "to"),
    ("/hits?from=0001-01-01", 400, "from"),
    ("/hits?from=yesterday", 400, "from"),
    ("/hits?to=2025-02-30", 400, "to"),
    ("/hits?status=deleted", 400, "status"),
    ("/hits?q=" + "+".join(["ab"] * 1200), 400, "search"),
    ("/hits/9223372036854775808", 404, "no hit"),
    ("/hits/-1", 404, "no hit"),
    ("/hits/1.5", 404, "no hit"),
    ("/hits/%00", 404, "no hit"),
    ("/timeline?days=0", 400, "days"),
    ("/timeline?days=99999999999999999999999", 400, "days"),
    ("/timeline?split=feed", 400, "split"),
    ("/hits?format=xlsx", 400, "format"),
    ("/?status=deleted", 400, "status"),
    ("/feeds/yonhap-en?page=0", 400, "page"),
    ("/feeds/nowhere", 404, "no feed"),
    ("/feeds/9223372036854775808", 404, "no feed"),
]


@pytest.mark.parametrize(("url", "code", "phrase"), BAD)
def test_a_bad_parameter_is_a_page_saying_what_is_wrong(
    client: httpx.Client, url: str, code: int, phrase: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == code
    assert_a_page(answer, phrase, "Bad request" if code == 400 else "Not found")


@pytest.mark.parametrize("action", ["mark", "note"])
def test_a_post_for_a_huge_hit_id_is_a_404_page(
    client: httpx.Client, token: str, action: str
) -> None:
    answer = client.post(
        "/hits/9223372036854775808/" + action,
        data={"status": "seen", "note": "x", "csrf": token},
    )
    assert answer.status_code == 404
    assert_a_page(answer, "Not found", "no hit")


def test_a_note_has_a_length_limit(client: httpx.Client, token: str, hit: int) -> None:
    long = client.post(f"/hits/{hit}/note", data={"note": "x" * (NOTE_MAX + 1), "csrf": token})
    assert long.status_code == 400
    assert_a_page(long, "Bad request", f"{NOTE_MAX} characters")
    assert f'maxlength="{NOTE_MAX}"' in client.get("/hits").text  # the browser stops there
    fits = client.post(f"/hits/{hit}/note", data={"note": "y" * NOTE_MAX, "csrf": token})
    assert fits.status_code == 303
    assert "y" * NOTE_MAX in client.get(f"/hits/{hit}").text


def test_a_stale_form_is_a_forbidden_page(client: httpx.Client, hit: int) -> None:
    answer = client.post(f"/hits/{hit}/mark", data={"status": "seen", "csrf": "old"})
    assert answer.status_code == 403
    assert_a_page(answer, "<title>Forbidden", "<h1>Forbidden", "reload")
    assert "Not found" not in answer.text


def test_a_wrong_method_is_a_page(client: httpx.Client, hit: int) -> None:
    answer = client.get(f"/hits/{hit}/mark")
    assert answer.status_code == 405
    assert_a_page(answer, "Method not allowed")


def test_a_bug_is_a_page_too(tmp_path: Path) -> None:
    """What no parameter can cause, a broken database can: still a page, no traceback."""
    config = write_config(tmp_path, {})
    with LiveServer(config) as live, httpx.Client(base_url=live.url) as client:
        assert client.get("/hits").status_code == 200
        with sqlite3.connect(tmp_path / "monitor.db") as db:
            db.execute("ALTER TABLE hits RENAME TO hits_gone")
        answer = client.get("/hits")
    assert answer.status_code == 500
    assert "<title>Server error" in answer.text
    assert 'class="brand"' in answer.text and "Traceback" not in answer.text
    assert "log" in answer.text


def test_the_parameters_users_send_still_work(client: httpx.Client) -> None:
    """The form's own values, empty fields included, are not refused."""
    empty = {"q": "", "watch": "", "feed": "", "lang": "", "status": "", "from": "", "to": ""}
    assert client.get("/hits", params=empty).status_code == 200
    assert client.get("/hits", params={"page": "1", "from": "2025-02-01"}).status_code == 200
    assert client.get("/hits", params={"page": "99"}).status_code == 200  # past the end: empty
    for days in (7, 30, 90, 365, 730):
        assert client.get("/timeline", params={"days": days}).status_code == 200


def whole_numbers() -> st.SearchStrategy[str]:
    """Integers of every magnitude up to 25 digits, as text: st.integers() prefers small
    ones, and the interesting failures are past SQLite's 64 bits."""
    digits = st.text(alphabet="0123456789", min_size=1, max_size=25)
    return st.one_of(
        st.integers().map(str), st.tuples(st.sampled_from(["", "-"]), digits).map("".join)
    )


# The edges of SQLite's integers and of Python's dates, where conversions overflow.
EDGES = [str(2**63 - 1), str(2**63), str(-(2**63) - 1), "0001-01-01", "9999-12-31", "0" * 30]
VALUES = st.one_of(
    st.text(max_size=40),
    whole_numbers(),
    st.dates().map(str),
    st.sampled_from(["", "1", "new", "seen", "ko", "outlet", "2025-02-27", "Kursk 포로"]),
    st.sampled_from(EDGES),
)
HIT_FILTERS = ("page", "from", "to", "watch", "feed", "lang", "status", "q")
PARAMETERS = [
    *(("/hits", n) for n in (*HIT_FILTERS, "format")),
    *(("/timeline", n) for n in ("days", "split", "watch", "by")),
    ("/feeds", "page"),
    ("/feeds/yonhap-en", "page"),
    *(("/", n) for n in ("watch", "status")),
    *(("/figures", n) for n in ("kind", "source", "story", "format")),
    *(("/misses", n) for n in ("page", "from", "watch")),
    *(("/api/hits", n) for n in (*HIT_FILTERS, "per_page")),
    *(("/api/stories", n) for n in ("watch", "status", "page", "per_page")),
    *(("/api/figures", n) for n in ("kind", "source", "story", "from", "page", "per_page")),
]
NAMES = sorted({name for _, name in PARAMETERS})
EXPORTS = ("text/csv", "application/json")  # what /hits and /figures send for ?format=


@pytest.mark.parametrize(("path", "name"), PARAMETERS)
@given(value=VALUES, others=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=3))
@example(value="csv", others={"lang": "ko"})  # an export, not a page
@example(value="0", others={"per_page": "501"})
@HOSTILE_SETTINGS
def test_no_query_parameter_makes_a_500(
    client: httpx.Client, path: str, name: str, value: str, others: dict[str, str]
) -> None:
    params = {**others, name: value}
    answer = client.get(path, params=params)
    assert answer.status_code in (200, 400), (path, params, answer.status_code)
    kind = answer.headers["content-type"]
    if path.startswith("/api/"):  # a program asked: JSON either way
        assert kind == "application/json", (path, params, kind)
        assert ("error" in answer.json()) == (answer.status_code == 400), answer.text
    elif answer.status_code == 200 and kind.startswith(EXPORTS):
        assert params.get("format") in ("csv", "json"), (path, params)
    else:
        assert_a_page(answer)


@given(name=st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(EDGES)))
@example(name="yonhap-en")
@example(name="1")
@HOSTILE_SETTINGS
def test_no_feed_name_makes_a_500(client: httpx.Client, name: str) -> None:
    answer = client.get("/feeds/" + quote(name, safe=""))
    if answer.status_code == 307:  # "/feeds/%2F" is "/feeds//": Starlette drops the slash
        return
    assert answer.status_code in (200, 404), (name, answer.status_code)
    assert_a_page(answer)


BULK_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "scope": st.one_of(st.sampled_from(["page", "filter"]), st.text(max_size=10)),
        "mark": st.one_of(st.just("seen"), st.text(max_size=10)),
        "id": st.lists(st.one_of(whole_numbers(), st.sampled_from(EDGES)), max_size=5),
        **{n: VALUES for n in ("watch", "feed", "lang", "status", "from", "to", "q")},
        "next": st.one_of(st.sampled_from(["/hits", "//evil.example", "/\\evil"]), st.text()),
    },
)


@given(path=st.sampled_from(["/hits/mark", "/stories/mark"]), fields=BULK_FIELDS)
@example(path="/hits/mark", fields={"scope": "filter", "mark": "seen", "q": "a" * 600})
@example(path="/stories/mark", fields={"scope": "page", "mark": "seen", "id": [str(2**63)]})
@HOSTILE_SETTINGS
def test_no_bulk_mark_makes_a_500(
    client: httpx.Client, token: str, path: str, fields: dict[str, object]
) -> None:
    answer = client.post(path, data={**fields, "csrf": token})  # type: ignore[dict-item]
    assert answer.status_code in (303, 400), (path, fields, answer.status_code)
    if answer.status_code == 303:
        location = answer.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    else:
        assert_a_page(answer)


IDS = st.one_of(whole_numbers(), st.sampled_from(EDGES), st.text(min_size=1, max_size=20))


@given(hit_id=IDS)
@example(hit_id="/")
@HOSTILE_SETTINGS
def test_no_hit_id_makes_a_500(client: httpx.Client, hit_id: str) -> None:
    answer = client.get("/hits/" + quote(hit_id, safe=""))
    if answer.status_code == 307:  # "/hits/%2F" is "/hits//": Starlette drops the slash
        assert urlsplit(answer.headers["location"]).path.startswith("/hits"), hit_id
        return
    assert answer.status_code in (200, 404), (hit_id, answer.status_code)
    assert_a_page(answer)


@given(
    hit_id=IDS,
    action=st.sampled_from(["mark", "note"]),
    status=st.one_of(st.sampled_from(["seen", "relevant"]), st.text(max_size=20)),
    note=st.text(max_size=NOTE_MAX + 50),
)
@example(hit_id=".", action="note", status="seen", note="")
@example(hit_id="..", action="mark", status="seen", note="")
@HOSTILE_SETTINGS
def test_no_post_makes_a_500(
    client: httpx.Client, token: str, hit_id: str, action: str, status: str, note: str
) -> None:
    # Dots encoded too: the client would resolve "/hits/./note" to "/hits/note" (RFC 3986
    # dot segments) and the request would never reach the hit's route.
    answer = client.post(
        f"/hits/{quote(hit_id, safe='').replace('.', '%2E')}/{action}",
        data={"status": status, "note": note, "csrf": token, "next": "/"},
    )
    assert answer.status_code in (303, 400, 404), (hit_id, answer.status_code)
    if answer.status_code != 303:
        assert_a_page(answer)


# The parsers themselves, over their whole input space.


@given(st.integers(min_value=1, max_value=1_000_000))
@settings(max_examples=100, deadline=None)
def test_a_whole_number_in_range_reads_back(number: int) -> None:
    assert web_input.parse_whole(str(number), "page", 1, web_input.MAX_PAGE) == number


@given(st.one_of(st.integers().map(str), st.text(max_size=30)))
@settings(max_examples=200, deadline=None)
def test_a_whole_number_is_in_range_or_refused(value: str) -> None:
    from starlette.exceptions import HTTPException

    try:
        number = web_input.parse_whole(value, "page", 1, web_input.MAX_PAGE)
    except HTTPException as exc:
        assert exc.status_code == 400 and "page" in exc.detail
    else:
        assert 1 <= number <= web_input.MAX_PAGE and value == str(number)


@given(st.one_of(st.text(max_size=40), st.text(max_size=40).map("/".__add__)))
@example("//evil.example/")
@example("/\\evil.example")
@example("/hits\r\nSet-Cookie: x=1")
@settings(max_examples=300, deadline=None)
def test_a_form_sends_the_reader_back_only_to_this_site(value: str) -> None:
    back = web_input.same_site_path(value, "/hits")
    assert back == value or back == "/hits"
    assert back.startswith("/") and not back.startswith(("//", "/\\"))
    assert all(ord(c) >= 0x20 and c != "\x7f" for c in back)  # one header line


@given(st.dates())
@settings(max_examples=200, deadline=None)
def test_a_date_is_in_range_or_refused(day: date) -> None:
    from zoneinfo import ZoneInfo

    from starlette.exceptions import HTTPException

    tz = ZoneInfo("Pacific/Kiritimati")  # UTC+14: the edge of every conversion
    try:
        start = web_input.parse_day(day.isoformat(), "to", tz, next_day=True)
    except HTTPException as exc:
        assert exc.status_code == 400 and "to" in exc.detail
        assert not web_input.DAY_RANGE[0] <= day <= web_input.DAY_RANGE[1]
    else:
        assert start is not None and start.date() > day
        assert web_input.DAY_RANGE[0] <= day <= web_input.DAY_RANGE[1]


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with closing(Store(":memory:")) as memory:
        yield memory


@given(
    st.one_of(
        st.text(max_size=SEARCH_MAX_CHARS + 20),
        st.lists(st.text(min_size=1, max_size=4), max_size=60).map(" ".join),
    )
)
@settings(max_examples=150, deadline=None)
def test_a_search_runs_or_is_refused_in_words(store: Store, text: str) -> None:
    problem = review.search_problem(text)
    if problem is None:
        review.find_hits(store, review.HitFilter(search=text))  # SQLite takes it
        review.count_hits(store, review.HitFilter(search=text))
    else:
        assert problem.startswith("a search")


# --- 3. monitor serve -----------------------------------------------------------------


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def test_serve_on_an_address_this_machine_lacks_is_one_error_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    done = subprocess.run(  # 192.0.2.1 is for documentation; binding it sends nothing
        [*SERVE, "--config", str(config), "serve", "--host", "192.0.2.1", "--port", "8080"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Error: cannot listen on 192.0.2.1 port 8080" in done.stderr
    assert "Hint: pass --host an address of this machine" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_on_a_busy_port_is_one_error_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*SERVE, "--config", str(config), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert f"Error: port {port} on 127.0.0.1 is in use" in done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr


def test_serve_on_a_busy_port_prints_no_url(tmp_path: Path) -> None:
    config = write_config(tmp_path, {})
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [*SERVE, "--config", str(config), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.stderr.startswith("Error: port"), done.stderr


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``monitor serve --host 127.0.0.2`` in a process of its own, stopped with Ctrl-C."""
    config = write_config(tmp_path, {})
    port = free_port("127.0.0.2")
    with subprocess.Popen(
        [*SERVE, "--config", str(config), "serve", "--host", "127.0.0.2", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            yield process, port
        finally:
            process.send_signal(signal.SIGINT)  # uvicorn stops on Ctrl-C
            process.wait(timeout=30)


def test_serve_answers_to_its_host_value(serving: tuple[subprocess.Popen[str], int]) -> None:
    process, port = serving
    deadline = time.monotonic() + 30
    while True:
        try:
            page = httpx.get(f"http://127.0.0.2:{port}/")
            break
        except httpx.ConnectError:
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
    assert page.status_code == 200 and 'class="brand"' in page.text
    forged = httpx.get(f"http://127.0.0.2:{port}/", headers={"Host": "evil.example"})
    assert forged.status_code == 400


def test_serve_prints_its_url_once_it_listens(
    serving: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = serving
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line == f"review page on http://127.0.0.2:{port}/ (Ctrl-C stops it)\n", line
    assert httpx.get(f"http://127.0.0.2:{port}/").status_code == 200  # listening already


def test_a_wildcard_allowed_host_serves_every_name_under_it(tmp_path: Path) -> None:
    from monitor.web import configured_hosts

    names = configured_hosts(["*.LAN.example", "news.example.org"], tmp_path / "m.toml")
    assert names == ["*.lan.example", "news.example.org"]
    with pytest.raises(ConfigError):
        configured_hosts(["*.[::1]"], tmp_path / "m.toml")
