"""The farm's web server: ``GET /feeds/<name>.xml`` on 127.0.0.1, in a process of its own.

    serving(folder, latency) -> http://127.0.0.1:<port>   (a child process, start method spawn)

A minimal HTTP/1.1 server on ``asyncio.start_server``: keep-alive, a strong ETag (a
hash of the bytes) on every answer, ``If-None-Match`` answered with 304, and an added
delay before each answer that stands for the network and the far server (and, if
asked, one more on each new connection, for its handshake). The delay is
an ``asyncio.sleep``, so hundreds of waiting requests cost no CPU and no threads. The
file is read from disk on every request, so ``farm.change`` is seen at once.

It runs in its own process so its CPU is not counted against the client; on a small
machine it still competes for the same cores, a little (about 0.1 ms per request).
``GET /_stats`` returns what was served so far, as JSON, without the delay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import re
import signal
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

_FEED_PATH = re.compile(r"^/feeds/([A-Za-z0-9._-]+)\.xml$")
_TYPES = ((b"<rss", "application/rss+xml"), (b"<feed", "application/atom+xml"))
_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found"}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def content_type(body: bytes) -> str:
    head = body[:300]
    for marker, kind in _TYPES:
        if marker in head:
            return kind + "; charset=utf-8"
    return "application/rdf+xml; charset=utf-8" if b"<rdf:RDF" in head else "application/xml"


def matches_etag(header: str | None, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison: ``W/`` is ignored, ``*`` matches all."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class FarmServer:
    """The request handler and its counters; one per server process."""

    def __init__(self, folder: Path, latency: float, connect_latency: float = 0.0) -> None:
        self.folder = folder
        self.latency = latency
        self.connect_latency = connect_latency
        self.stats: Counter[str] = Counter()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats["connections"] += 1
        if self.connect_latency > 0:  # the round trips of a TCP (and TLS) handshake
            await asyncio.sleep(self.connect_latency)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                request = lines[0].split(" ")
                headers = {}
                for line in lines[1:]:
                    name, colon, value = line.partition(":")
                    if colon:
                        headers[name.strip().lower()] = value.strip()
                if int(headers.get("content-length", "0") or 0):
                    await reader.readexactly(int(headers["content-length"]))
                if len(request) != 3:
                    status, body = 400, b"bad request\n"
                    extra: dict[str, str] = {}
                    keep_alive = False
                else:
                    method, target, version = request
                    keep_alive = version == "HTTP/1.1" and (
                        headers.get("connection", "").lower() != "close"
                    )
                    if target != "/_stats" and self.latency > 0:
                        await asyncio.sleep(self.latency)
                    status, extra, body = self.answer(method, target, headers)
                    if method == "HEAD":
                        extra["Content-Length"] = str(len(body))
                        body = b""
                self.stats[str(status)] += 1
                if status != 304:
                    extra.setdefault("Content-Length", str(len(body)))
                extra["Connection"] = "keep-alive" if keep_alive else "close"
                lines_out = [f"HTTP/1.1 {status} {_REASONS[status]}"]
                lines_out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(lines_out) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
                if not keep_alive:
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    def answer(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if method not in ("GET", "HEAD"):
            return 400, {}, b"GET only\n"
        if target == "/_stats":
            return 200, {"Content-Type": "application/json"}, json.dumps(self.stats).encode()
        found = _FEED_PATH.match(target.split("?")[0])
        if not found:
            return 404, {}, b"not found\n"
        try:
            body = (self.folder / f"{found.group(1)}.xml").read_bytes()
        except FileNotFoundError:
            return 404, {}, b"not found\n"
        etag = etag_of(body)
        if matches_etag(headers.get("if-none-match"), etag):
            return 304, {"ETag": etag}, b""
        return 200, {"ETag": etag, "Content-Type": content_type(body)}, body


async def _serve(
    folder: Path,
    latency: float,
    connect_latency: float,
    ready: multiprocessing.connection.Connection,
) -> None:
    farm = FarmServer(folder, latency, connect_latency)
    server = await asyncio.start_server(farm.handle, "127.0.0.1", 0, backlog=2048)
    port = server.sockets[0].getsockname()[1]
    ready.send(port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


def serve(
    folder: str,
    latency: float,
    connect_latency: float,
    ready: multiprocessing.connection.Connection,
) -> None:
    """The server process's main function: serve until SIGTERM."""
    asyncio.run(_serve(Path(folder), latency, connect_latency, ready))


@contextmanager
def serving(
    folder: Path | str, latency: float = 0.05, connect_latency: float = 0.0
) -> Iterator[Server]:
    """Run the farm's server in a child process while the ``with`` block runs.

    ``latency`` delays every answer; ``connect_latency`` delays, once more, the first
    answer on each new connection, as the handshake of a real connection would.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=serve,
        args=(str(folder), latency, connect_latency, send),
        name="bench-server",
        daemon=True,
    )
    process.start()
    try:
        deadline = time.monotonic() + 30
        while not receive.poll(0.1):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the bench server did not start (exit code {process.exitcode})")
        server = Server(f"http://127.0.0.1:{receive.recv()}", process.pid or 0)
        yield server
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()


class Server:
    """A running farm server: its base URL, its process id and its counters."""

    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid

    def feed_url(self, name: str) -> str:
        return f"{self.url}/feeds/{name}.xml"

    def stats(self) -> Counter[str]:
        with urllib.request.urlopen(f"{self.url}/_stats", timeout=10) as response:
            return Counter(json.loads(response.read()))
