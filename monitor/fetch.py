"""Feed URL -> ``FetchResult``: the only module that imports httpx.

httpx alone has neither a total deadline (a server that trickles one byte a second
keeps a read-timeout-bound request alive indefinitely) nor a size cap (``.get()`` on a
gzip bomb inflates it all in memory). So each request runs under
``asyncio.timeout(fetch.timeout)``, the body is read raw and decompressed here, and
reading stops at ``fetch.max_bytes`` of decompressed data.

Concurrency: a fixed set of small clients, one connection each, handed out through a
queue; waiting for a free client is the bound on requests in flight. ``bench/`` measured
this against one shared client with a large pool (see the README's benchmarks).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from monitor.errors import FetchError
from monitor.records import FeedConfig, FeedState, FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_PERMANENT = (301, 308)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 50
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    user_agent: str = "monitor"
    shared_client: bool = False  # one client with a large pool instead of many small ones


class Fetcher:
    """Fetches feeds with bounded concurrency. Use as ``async with Fetcher(...) as f``."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self._ssl = ssl.create_default_context()
        self._idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        self._clients: list[httpx.AsyncClient] = []
        self._shared_slots = asyncio.Semaphore(settings.concurrency)

    def _client(self, connections: int) -> httpx.AsyncClient:
        s = self.settings
        return httpx.AsyncClient(
            verify=self._ssl,
            timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            follow_redirects=True,
            max_redirects=s.max_redirects,
            headers={"User-Agent": s.user_agent, "Accept": ACCEPT},
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        count = 1 if self.settings.shared_client else self.settings.concurrency
        connections = self.settings.concurrency if self.settings.shared_client else 1
        for _ in range(count):
            client = self._client(connections)
            self._clients.append(client)
            self._idle.put_nowait(client)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients:
            await client.aclose()

    @asynccontextmanager
    async def _lease(self) -> AsyncIterator[httpx.AsyncClient]:
        if self.settings.shared_client:
            async with self._shared_slots:
                yield self._clients[0]
            return
        client = await self._idle.get()
        try:
            yield client
        finally:
            self._idle.put_nowait(client)

    async def fetch(self, feed: FeedConfig, state: FeedState) -> FetchResult:
        """One conditional GET. Never raises: failures come back as ``status="error"``."""
        async with self._lease() as client:
            started = time.monotonic()  # after the lease: waiting for a client is not fetching
            try:
                async with asyncio.timeout(self.settings.timeout):
                    result = await self._get(client, feed.url, state)
            except FetchError as exc:
                result = FetchResult(
                    "error",
                    http_status=exc.status,
                    error=str(exc),
                    retry_after=exc.retry_after_header,
                )
            except TimeoutError:
                result = FetchResult(
                    "error", error=f"no complete answer within {self.settings.timeout:g}s"
                )
            except httpx.TooManyRedirects:
                result = FetchResult(
                    "error", error=f"more than {self.settings.max_redirects} redirects"
                )
            except httpx.HTTPError as exc:
                result = FetchResult("error", error=describe(exc))
            elapsed = time.monotonic() - started
        return FetchResult(**{**result.__dict__, "elapsed": elapsed})

    async def _get(self, client: httpx.AsyncClient, url: str, state: FeedState) -> FetchResult:
        headers = {"Accept-Encoding": "gzip, deflate"}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        async with client.stream("GET", url, headers=headers) as response:
            moved = permanent_redirect(response)
            if response.status_code == 304 or response.status_code >= 300:
                # Read the (small) rest so the connection can be reused; an unread
                # response makes httpcore close it, and the next request pays a handshake.
                await drain(response)
            if response.status_code == 304:
                return FetchResult(
                    "not_modified",
                    http_status=304,
                    etag=response.headers.get("ETag", state.etag),
                    last_modified=response.headers.get("Last-Modified", state.last_modified),
                    final_url=str(response.url),
                    permanent_redirect=moved,
                )
            if response.status_code >= 400:
                raise FetchError(
                    f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                    status=response.status_code,
                    retry_after_header=response.headers.get("Retry-After"),
                )
            if response.status_code >= 300:
                raise FetchError(f"HTTP {response.status_code} without a usable Location")
            body = await read_capped(
                response.aiter_raw(_CHUNK),
                response.headers.get("Content-Encoding", ""),
                self.settings.max_bytes,
            )
            return FetchResult(
                "ok",
                http_status=response.status_code,
                body=body,
                headers={k.lower(): v for k, v in response.headers.items()},
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                final_url=str(response.url),
                permanent_redirect=moved,
            )


async def drain(response: httpx.Response, limit: int = _CHUNK) -> None:
    """Read and drop a body we do not need, giving up (and the connection) past ``limit``."""
    seen = 0
    async for chunk in response.aiter_raw():
        seen += len(chunk)
        if seen > limit:
            return


async def read_capped(chunks: AsyncIterator[bytes], encoding: str, max_bytes: int) -> bytes:
    """Read and decompress a raw body, refusing more than ``max_bytes`` once decompressed."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
    elif encoding in ("", "identity"):
        inflater = None
    else:
        raise FetchError(f"unsupported Content-Encoding {encoding!r}")
    out = bytearray()
    async for chunk in chunks:
        if inflater is None:
            out += chunk
        else:
            try:
                data = inflater.decompress(chunk, max_bytes + 1 - len(out))
            except zlib.error as exc:
                raise FetchError(f"broken {encoding} body: {exc}") from exc
            out += data
        if len(out) > max_bytes:
            raise FetchError(f"body larger than fetch.max_bytes ({max_bytes:,} bytes)")
    return bytes(out)


def permanent_redirect(response: httpx.Response) -> str | None:
    """Where a feed moved for good: the target of a leading chain of 301/308 answers."""
    target = None
    for hop in response.history:
        if hop.status_code not in _PERMANENT:
            break
        location = hop.headers.get("Location")
        if location:
            target = str(hop.url.join(location))
    return target


def describe(exc: httpx.HTTPError) -> str:
    """A one-line, human reason for a transport failure."""
    text = str(exc).strip() or type(exc).__name__
    kinds = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "server stopped answering",
        httpx.ConnectError: "cannot connect",
        httpx.RemoteProtocolError: "broken HTTP answer",
        httpx.UnsupportedProtocol: "unsupported URL",
    }
    for kind, words in kinds.items():
        if isinstance(exc, kind):
            return f"{words}: {text}"
    return f"{type(exc).__name__}: {text}"
