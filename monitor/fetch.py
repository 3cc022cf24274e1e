"""Feed URL -> ``FetchResult``: the only module that imports httpx.

httpx alone has neither a total deadline (a server that trickles one byte a second
keeps a read-timeout-bound request alive indefinitely) nor a size cap (``.get()`` on a
gzip bomb inflates it all in memory). So each request runs under
``asyncio.timeout(fetch.timeout)``, the body is read raw and decompressed here, and
reading stops at ``fetch.max_bytes`` of decompressed data.

Concurrency: a fixed set of small clients, one connection each, handed out through a
queue; waiting for a free client is the bound on requests in flight. ``bench/`` measured
this against one shared client with a large pool (see the README's benchmarks).

Where a feed may lead (``monitor.address`` decides): every client's connections are
opened by ``_GuardedBackend``, an httpcore network backend that resolves the host
itself, refuses it unless it is the feed's own host or every address is public or in
``fetch.allow_networks``, and connects to the address it checked, so no second lookup can
answer differently (DNS rebinding). The feed a request is for travels in ``_own_host``,
set around each fetch. A kept-alive connection that only its feed's own host let through
refuses requests of any other feed (``_GuardedStream.write``): the clients pass from
feed to feed. The cost is one resolution per new connection and one comparison per
request.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from ipaddress import ip_address
from typing import Any

import httpcore
import httpx

from monitor import address
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
    allow_networks: tuple[str, ...] = ()  # CIDR: private networks redirects may reach


#: Host name -> its addresses as text; ``system_resolver`` unless a test injects one.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

# The host of the feed being fetched, exempt from the address check. asyncio gives each
# task its own copy, so fetches running side by side on a shared client see their own.
_own_host: ContextVar[str | None] = ContextVar("own_host", default=None)


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's answer for ``host`` (``/etc/hosts``, DNS), without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _GuardedStream(httpcore.AsyncNetworkStream):
    """A connection that remembers whether only its feed's own host let it through."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, host: str, waived: str | None):
        self._inner = inner
        self._host = host
        self._waived = waived  # the refusal the own-host exemption set aside, if any
        self._socket: socket.socket | None = None  # looked up once, for ``is_readable``

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # The pool hands a kept-alive connection to the next request for its host, from
        # whichever feed now holds the client; a redirect of another feed may not ride on
        # a connection that only the first feed's own host could open.
        if self._waived is not None and _own_host.get() != self._host:
            raise FetchError(self._waived)
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # httpcore passes the URL's host name here, so SNI and certificate checks are
        # against the name even though the socket was opened to an address.
        inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _GuardedStream(inner, self._host, self._waived)

    def get_extra_info(self, info: str) -> Any:
        # The pool asks "is_readable" of an idle connection before every request (a
        # connection the server closed reads as readable). anyio builds a table of all
        # its attributes to answer each question, so the socket is asked for once and
        # polled here: the same answer, without the table.
        if info == "is_readable":
            if self._socket is None:
                self._socket = self._inner.get_extra_info("socket")
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


class _CookieJar(httpx.Cookies):
    """A client's cookies, as httpx keeps them; an answer that sets none is not read.

    httpx hands every answer to ``http.cookiejar``, wrapped as a urllib request and
    response, which then finds no ``Set-Cookie`` (feeds seldom send one): about a
    twentieth of a 304's CPU. Without either header the jar would not change."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once (data, or the end of a closed connection);
    a socket that is gone counts as readable, so its connection is dropped."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to checked addresses, and to exactly those addresses."""

    def __init__(self, allowed: tuple[address.Network, ...], resolver: Resolver) -> None:
        self._allowed = allowed
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        found = await self._addresses(host, port, timeout)
        own = host == _own_host.get()
        if not own:
            refused = address.refusal(host, found, self._allowed)
            if refused is not None:
                raise FetchError(refused)
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for ip in found:  # in the resolver's order; the next one if one cannot be reached
            try:
                stream = await self._inner.connect_tcp(
                    str(ip),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            waived = address.refusal(host, [ip], self._allowed) if own else None
            return _GuardedStream(stream, host, waived)
        raise failure

    async def _addresses(
        self, host: str, port: int, timeout: float | None
    ) -> list[address.Address]:
        try:
            return [ip_address(host)]  # a literal address: nothing to resolve
        except ValueError:
            pass
        try:
            async with asyncio.timeout(timeout):
                answers = await self._resolve(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no answer for {host} in time") from None
        except OSError as exc:  # socket.gaierror: no such name, no DNS server
            raise httpcore.ConnectError(str(exc)) from exc
        return [ip_address(answer) for answer in answers]

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class Fetcher:
    """Fetches feeds with bounded concurrency. Use as ``async with Fetcher(...) as f``."""

    def __init__(self, settings: FetchSettings, *, resolver: Resolver = system_resolver) -> None:
        self.settings = settings
        self._ssl = ssl.create_default_context()
        self._backend = _GuardedBackend(address.parse_networks(settings.allow_networks), resolver)
        self._idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        self._clients: list[httpx.AsyncClient] = []
        self._shared_slots = asyncio.Semaphore(settings.concurrency)

    def _client(self, connections: int) -> httpx.AsyncClient:
        s = self.settings
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        transport = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits, trust_env=False)
        # httpx 0.28 takes no network backend, so its pool is replaced by one built with
        # ours and the settings httpx itself would pass (its 5 s keep-alive expiry too).
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=self._ssl,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self._backend,
        )
        client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
            follow_redirects=True,
            max_redirects=s.max_redirects,
            headers={"User-Agent": s.user_agent, "Accept": ACCEPT},
            trust_env=False,
        )
        # httpx's setter would copy the jar into a plain ``Cookies``, losing the shortcut.
        client._cookies = _CookieJar()
        return client

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
            url, host = _target(feed.url)
            exempt = _own_host.set(host)
            try:
                async with asyncio.timeout(self.settings.timeout):
                    result = await self._get(client, url, state)
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
            finally:
                _own_host.reset(exempt)
            elapsed = time.monotonic() - started
        return FetchResult(**{**result.__dict__, "elapsed": elapsed})

    async def _get(
        self, client: httpx.AsyncClient, url: httpx.URL | str, state: FeedState
    ) -> FetchResult:
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
                    headers={k.lower(): v for k, v in response.headers.items()},  # max-age
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


@lru_cache(maxsize=65536)
def _target(url: str) -> tuple[httpx.URL | str, str | None]:
    """A feed's URL parsed once for all its polls, and its own host as httpcore will name
    it to the backend (lower case, IDNA encoded, IPv6 without brackets; None when it is
    not ASCII): httpx would otherwise parse the same text twice on every request, about a
    tenth of a 304's CPU.
    A URL httpx cannot read stays text, so its request fails as it always did.
    ``httpx.URL`` is immutable, so every poll may share it."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url, None
    try:
        return parsed, parsed.raw_host.decode("ascii")
    except UnicodeDecodeError:
        return parsed, None


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
