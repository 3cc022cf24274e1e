"""Shared fixtures: a real HTTP server on 127.0.0.1 serving feed files, and configs.

The server serves ``tests/feeds/*.xml`` at ``/feeds/<file>`` with strong ETags and
304 answers, and a set of misbehaving routes under ``/bad/``. Tests can replace what
a route serves (``server.files[...] = bytes``) between polls.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from monitor.records import Entry

# CI runs the property tests on a fixed sequence of examples, so a landing never hangs on
# a new random draw; people's runs keep drawing new ones (and find new cases, as they
# have: each such case is kept as an explicit @example).
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FEEDS = Path(__file__).resolve().parent / "feeds"
WATCHES = ROOT / "config" / "watches"


def pytest_report_header() -> list[str]:
    names = ["feedparser", "httpx", "apscheduler", "sqlite-utils", "pebble", "selectolax"]
    return ["deps: " + ", ".join(f"{n} {importlib.metadata.version(n)}" for n in names)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: many feeds connect at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a poller closing its pool) is no error; the
        # default prints a traceback to sys.stderr, which a CliRunner running in another
        # thread at that moment captures as the output of its command.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FeedServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {p.name: p.read_bytes() for p in FEEDS.glob("*.xml")}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stop_event = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = self.path.split("?")[0]
                if route.startswith("/feeds/"):
                    self.feed(route.removeprefix("/feeds/"))
                else:
                    getattr(self, "bad_" + route.removeprefix("/bad/").replace("-", "_"))()

            def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def feed(self, name: str) -> None:
                body = server.files.get(name)
                if body is None:
                    return self.send(404, b"not found")
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    return self.send(304, b"", {"ETag": etag})
                self.send(200, body, {"ETag": etag, "Content-Type": "application/rss+xml"})

            def bad_error_500(self) -> None:
                self.send(500, b"oops")

            def bad_busy(self) -> None:
                self.send(503, b"busy", {"Retry-After": "7200"})

            def bad_max_age(self) -> None:  # a feed whose server asks for an hour's rest
                body = server.files["yonhap_en.xml"]
                self.send(
                    200,
                    body,
                    {
                        "Content-Type": "application/rss+xml",
                        "Cache-Control": "public, max-age=3600",
                    },
                )

            def bad_hang(self) -> None:
                server.stop_event.wait(30)

            def bad_trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(60):
                    if server.stop_event.wait(0.2):
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()

            def bad_endless(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()  # no length: the body ends when the connection does
                chunk = b"<item>" + b"x" * 65536 + b"</item>"
                try:
                    while not server.stop_event.is_set():
                        self.wfile.write(chunk)
                except OSError:
                    pass
                self.close_connection = True

            def bad_gzip_bomb(self) -> None:
                body = gzip.compress(b"<" + b"a" * 50_000_000, compresslevel=9)
                self.send(200, body, {"Content-Encoding": "gzip"})

            def bad_gzip_ok(self) -> None:
                self.send(
                    200, gzip.compress(server.files["atom_news.xml"]), {"Content-Encoding": "gzip"}
                )

            def bad_invalid_xml(self) -> None:
                self.send(200, b"<html><body>This is not a feed at all</body></html>")

            def bad_redirect_loop(self) -> None:
                self.send(302, b"", {"Location": "/bad/redirect-loop"})

            def bad_moved(self) -> None:
                self.send(301, b"", {"Location": "/feeds/spiegel.xml"})

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


FIXTURE_FEEDS = {
    "yonhap-en": ("yonhap_en.xml", "en"),
    "yonhap-ko": ("yonhap_ko.xml", "ko"),
    "tagesschau": ("tagesschau.xml", "de"),
    "spiegel": ("spiegel.xml", "de"),
    "atom-news": ("atom_news.xml", "en"),
}


def write_config(
    folder: Path, feeds: dict[str, str], *, extra: str = "", watches: Path = WATCHES
) -> Path:
    """A config file in ``folder`` with the given feeds (name -> URL), tuned for tests."""
    blocks = "\n".join(
        f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n' for name, url in feeds.items()
    )
    text = textwrap.dedent(
        f"""\
        database = "monitor.db"
        watches_dir = "{watches}"
        timezone = "Europe/Berlin"
        {extra}
        [fetch]
        timeout = "3s"
        connect_timeout = "3s"
        max_bytes = 2_000_000
        concurrency = 8

        [parse]
        workers = 1
        timeout = "10s"

        """
    )
    path = folder / "monitor.toml"
    path.write_text(text + blocks, encoding="utf-8")
    return path


@pytest.fixture
def fixture_config(tmp_path: Path, feed_server: FeedServer) -> Path:
    feeds = {name: feed_server.url(f"/feeds/{file}") for name, (file, _) in FIXTURE_FEEDS.items()}
    return write_config(tmp_path, feeds)


def wait_for(predicate: object, timeout: float = 20.0) -> None:
    """Poll ``predicate()`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


def rss_of(*entries: Entry) -> bytes:
    """An RSS 2.0 body of ``entries`` (key as guid, title, summary), all published at
    the same minute: for tests that store entries through ``worker.process_body``."""
    items = "".join(
        f"<item><guid>{e.key}</guid><title>{e.title}</title>"
        f"<description>{e.summary}</description>"
        "<pubDate>Mon, 28 Apr 2025 09:00:00 +0000</pubDate></item>"
        for e in entries
    )
    channel = f"<channel><title>t</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apprise talks through requests, which would send 127.0.0.1 to a configured proxy."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)


# -- the daemon, as a process ---------------------------------------------------------


class Daemon:
    """`monitor run` as a subprocess, its log in a file the test reads as it grows: the
    daemon tests (test_daemon, test_reload, test_rhythm) start it through ``daemons``."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.db = config.parent / "monitor.db"
        self.log_path = config.parent / "daemon.log"
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_log(self, text: str, timeout: float = 20.0) -> None:
        try:
            wait_for(lambda: text in self.log() or self.process.poll() is not None, timeout)
        except AssertionError:
            raise AssertionError(f"{text!r} not logged:\n{self.log()}") from None
        assert text in self.log(), self.log()

    def polls(self, feed: str) -> int:
        return count(
            self.db,
            "SELECT count(*) FROM fetch_log JOIN feeds ON feeds.id = fetch_log.feed_id"
            f" WHERE feeds.name = '{feed}'",
        )

    def wait_polls(self, feed: str, at_least: int, timeout: float = 20.0) -> None:
        try:
            wait_for(lambda: self.polls(feed) >= at_least, timeout)
        except AssertionError:
            raise AssertionError(f"{feed} not polled {at_least} times:\n{self.log()}") from None

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> str:
        """Send ``sig``; the daemon must end cleanly: exit 0, no traceback, "stopped"."""
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        output = self.log()
        assert self.process.returncode == 0, output
        assert "Traceback" not in output, output
        assert output.rstrip().endswith("stopped"), output
        return output

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


@pytest.fixture
def daemons() -> Iterator[Callable[[Path], Daemon]]:
    started: list[Daemon] = []

    def start(config: Path) -> Daemon:
        started.append(Daemon(config))
        return started[-1]

    yield start
    for daemon in started:
        daemon.close()


def count(db: Path, sql: str) -> int:
    """The one number ``sql`` selects from the database at ``db``; 0 before it exists."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def fast_schedule(config: Path) -> Path:
    """``config`` polling every second without jitter, for the daemon tests."""
    config.write_text(
        config.read_text().replace(
            "[parse]", '[schedule]\ninterval = "1s"\njitter = "0s"\n\n[parse]'
        )
    )
    return config
