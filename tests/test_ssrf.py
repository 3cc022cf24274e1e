"""Feeds and their redirects do not reach private or local addresses (issue 9, item 3).

A feed's own configured host is the operator's choice and is always fetched. Any other
host a redirect leads to must resolve to public addresses only, or to addresses inside
``fetch.allow_networks``; otherwise nothing is sent to it and the feed records one line.
All of 127.0.0.0/8 is loopback, so real servers on 127.0.0.1, 127.0.0.2 and 127.0.0.3
stand in for the public feed, the LAN host and another private host. Names are resolved
by an injected resolver (``.test`` names, RFC 6761, which the system cannot resolve).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from monitor import address
from monitor.cli import cli
from monitor.fetch import Fetcher, FetchSettings
from monitor.records import FeedConfig, FeedState, FetchResult
from tests.conftest import FEEDS, write_config

FEED = (FEEDS / "spiegel.xml").read_bytes()
HINT = "allow it with fetch.allow_networks"


def refused(target: str, detail: str) -> str:
    return f"refused: redirect to {target} ({detail}); {HINT}"


# --- real servers on loopback addresses --------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class Site:
    """An HTTP/1.1 keep-alive server on one address: ``/feed`` serves a feed, and
    ``routes`` maps other paths to a ``Location`` answered with ``302``."""

    def __init__(self, host: str, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        self.connections = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:  # once per accepted connection
                site.connections += 1
                super().setup()

            def do_GET(self) -> None:
                site.requests.append((self.path, self.headers.get("Host", "")))
                if self.path in site.routes:
                    self.answer(302, b"", {"Location": site.routes[self.path]})
                elif self.path == "/feed":
                    self.answer(200, FEED, {"Content-Type": "application/rss+xml"})
                else:
                    self.answer(404, b"not found", {})

            def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = _Server((host, 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/feed", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sites() -> Iterator[dict[str, Site]]:
    """``public`` on 127.0.0.1 (where the feeds are), ``lan`` on 127.0.0.2, ``other``
    on 127.0.0.3, and ``public2``, a second port on 127.0.0.1."""
    made = {
        "public": Site("127.0.0.1"),
        "public2": Site("127.0.0.1"),
        "lan": Site("127.0.0.2"),
        "other": Site("127.0.0.3"),
    }
    yield made
    for site in made.values():
        site.close()


def feed(url: str, name: str = "feed") -> FeedConfig:
    return FeedConfig(name=name, url=url, interval=timedelta(minutes=15), outlet=name)


class Resolver:
    """A DNS stand-in: name -> addresses, counting the questions asked."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"no such name: {host}")
        return self.answers[host]


def fetch_in_turn(
    urls: Sequence[str],
    *,
    allow: Sequence[str] = (),
    resolver: Resolver | None = None,
    shared_client: bool = False,
    concurrency: int = 1,
    connect_timeout: float = 3.0,
) -> list[FetchResult]:
    """Fetch ``urls`` one after another with one ``Fetcher``, as one pass would."""
    settings = FetchSettings(
        concurrency=concurrency,
        timeout=5.0,
        connect_timeout=connect_timeout,
        shared_client=shared_client,
        allow_networks=tuple(allow),
    )

    async def run() -> list[FetchResult]:
        results = []
        kwargs = {} if resolver is None else {"resolver": resolver}
        async with Fetcher(settings, **kwargs) as fetcher:
            for url in urls:
                results.append(await fetcher.fetch(feed(url), FeedState()))
        return results

    return asyncio.run(run())


def fetch_one(url: str, **kwargs: object) -> FetchResult:
    return fetch_in_turn([url], **kwargs)[0]  # type: ignore[arg-type]


# --- redirects ----------------------------------------------------------------------


def test_a_redirect_to_a_lan_address_is_refused_and_never_reaches_it(
    sites: dict[str, Site],
) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed")
    result = fetch_one(public.url("/moved"))
    assert result.status == "error"
    assert result.error == refused("127.0.0.2", "a loopback address")
    assert result.body == b"" and result.http_status is None
    assert lan.requests == [] and lan.connections == 0  # not even a TCP handshake


@pytest.mark.parametrize(
    "allow",
    [["127.0.0.2/32"], ["127.0.0.0/8"], ["10.0.0.0/8", "127.0.0.2/31"]],
    ids=["exact", "wider", "one-of-several"],
)
def test_a_redirect_into_an_allowed_network_is_followed(
    sites: dict[str, Site], allow: list[str]
) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed")
    result = fetch_one(public.url("/moved"), allow=allow)
    assert result.status == "ok", result.error
    assert result.body == FEED and result.final_url == lan.url("/feed")
    assert lan.requests == [("/feed", f"127.0.0.2:{lan.port}")]


def test_an_allow_list_for_other_networks_does_not_let_it_through(
    sites: dict[str, Site],
) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed")
    result = fetch_one(public.url("/moved"), allow=["127.0.0.3/32", "::1/128"])
    assert result.error == refused("127.0.0.2", "a loopback address")
    assert lan.requests == []


def test_a_feed_configured_on_a_lan_address_is_fetched(sites: dict[str, Site]) -> None:
    lan = sites["lan"]
    result = fetch_one(lan.url("/feed"))
    assert result.status == "ok", result.error
    assert result.body == FEED


@pytest.mark.parametrize(
    "target",
    ["same-port", "other-port", "two-hops"],
)
def test_redirects_within_the_feeds_own_host_are_followed(
    sites: dict[str, Site], target: str
) -> None:
    public, public2 = sites["public"], sites["public2"]
    public.routes["/old"] = {
        "same-port": public.url("/feed"),
        "other-port": public2.url("/feed"),
        "two-hops": public.url("/older"),
    }[target]
    public.routes["/older"] = public2.url("/feed")
    result = fetch_one(public.url("/old"))
    assert result.status == "ok", result.error
    assert result.body == FEED


def test_every_hop_is_checked_not_only_the_first(sites: dict[str, Site]) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/a"] = public.url("/b")
    public.routes["/b"] = lan.url("/feed")
    result = fetch_one(public.url("/a"))
    assert result.error == refused("127.0.0.2", "a loopback address")
    assert [path for path, _ in public.requests] == ["/a", "/b"]
    assert lan.requests == []


def test_a_lan_feed_cannot_bounce_to_another_private_host(sites: dict[str, Site]) -> None:
    lan, other = sites["lan"], sites["other"]
    lan.routes["/moved"] = other.url("/feed")
    result = fetch_one(lan.url("/moved"))
    assert result.error == refused("127.0.0.3", "a loopback address")
    assert other.requests == []


@pytest.mark.parametrize(
    ("host", "detail"),
    [
        ("0.0.0.0", "an unspecified address"),  # Linux connects 0.0.0.0 to the local host
        ("[::ffff:127.0.0.2]", "an IPv4-mapped loopback address"),
    ],
    ids=["zero", "ipv4-mapped"],
)
def test_other_spellings_of_local_addresses_are_refused(
    sites: dict[str, Site], host: str, detail: str
) -> None:
    public, public2 = sites["public"], sites["public2"]
    lan = sites["lan"]
    target = lan if host.startswith("[") else public2
    public.routes["/moved"] = target.url("/feed", host=host)
    result = fetch_one(public.url("/moved"))
    assert result.error == refused(host.strip("[]"), detail)
    assert target.requests == []


def test_localhost_is_refused_as_a_redirect_target(sites: dict[str, Site]) -> None:
    public, public2 = sites["public"], sites["public2"]
    public.routes["/moved"] = public2.url("/feed", host="localhost")
    result = fetch_one(public.url("/moved"))
    # The system's resolver answers; 127.0.0.1 or ::1 first depends on /etc/hosts.
    assert str(result.error).startswith("refused: redirect to localhost (")
    assert str(result.error).endswith(f", a loopback address); {HINT}")
    assert public2.requests == []


# --- names: the address checked is the address connected to ------------------------


def test_a_name_that_resolves_to_a_lan_address_is_refused(sites: dict[str, Site]) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed", host="intranet.test")
    dns = Resolver({"intranet.test": ["127.0.0.2"]})
    result = fetch_one(public.url("/moved"), resolver=dns)
    assert result.error == refused("intranet.test", "127.0.0.2, a loopback address")
    assert dns.asked == ["intranet.test"]
    assert lan.connections == 0


def test_an_allowed_name_is_connected_at_the_address_that_was_checked(
    sites: dict[str, Site],
) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed", host="intranet.test")
    dns = Resolver({"intranet.test": ["127.0.0.2"]})
    result = fetch_one(public.url("/moved"), resolver=dns, allow=["127.0.0.2/32"])
    assert result.status == "ok", result.error
    # The system cannot resolve intranet.test: the request reached 127.0.0.2 because the
    # connection went to the address the check saw, not to a second lookup of the name.
    assert lan.requests == [("/feed", f"intranet.test:{lan.port}")]
    assert dns.asked == ["intranet.test"]


def test_one_private_answer_among_allowed_ones_refuses_the_name(sites: dict[str, Site]) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed", host="mixed.test")
    dns = Resolver({"mixed.test": ["127.0.0.2", "127.0.0.3"]})
    result = fetch_one(public.url("/moved"), resolver=dns, allow=["127.0.0.2/32"])
    assert result.error == refused("mixed.test", "127.0.0.3, a loopback address")
    assert lan.connections == 0


def test_a_feeds_own_name_is_fetched_whatever_it_resolves_to(sites: dict[str, Site]) -> None:
    lan = sites["lan"]
    dns = Resolver({"feeds.test": ["127.0.0.2"]})
    results = fetch_in_turn([lan.url("/feed", host="feeds.test")] * 2, resolver=dns)
    assert [r.status for r in results] == ["ok", "ok"]
    # One resolution per new connection, and the second fetch reused the first's.
    assert dns.asked == ["feeds.test"] and lan.connections == 1


def test_a_name_that_does_not_resolve_is_a_connect_error(sites: dict[str, Site]) -> None:
    public = sites["public"]
    result = fetch_one(public.url("/feed", host="nowhere.test"), resolver=Resolver({}))
    assert result.status == "error"
    assert result.error == "cannot connect: no such name: nowhere.test"


def test_a_resolver_that_never_answers_is_a_connect_timeout(sites: dict[str, Site]) -> None:
    never = asyncio.Event()

    async def silent(host: str, port: int) -> list[str]:
        await never.wait()
        return []

    url = sites["public"].url("/feed", host="slow.test")
    result = fetch_one(url, resolver=silent, connect_timeout=0.2)
    assert result.error == "connection timed out: no answer for slow.test in time"


def test_a_feed_on_localhost_is_fetched(sites: dict[str, Site]) -> None:
    public = sites["public"]
    result = fetch_one(public.url("/feed", host="localhost"))
    assert result.status == "ok", result.error
    assert public.requests == [("/feed", f"localhost:{public.port}")]


@pytest.fixture
def tls_lan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """An HTTPS server on 127.0.0.2 whose certificate names secure.test, from a test CA
    that the fetcher trusts (OpenSSL reads SSL_CERT_FILE when the context is made)."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("secure.test").configure_cert(context)
    site = Site("127.0.0.2", tls=context)
    yield site
    site.close()


def test_https_verifies_the_name_while_connecting_to_the_checked_address(
    tls_lan: Site,
) -> None:
    dns = Resolver({"secure.test": ["127.0.0.2"]})
    by_name = fetch_one(tls_lan.url("/feed", host="secure.test"), resolver=dns)
    assert by_name.status == "ok", by_name.error
    # The certificate names secure.test, not 127.0.0.2: verification is still on, and
    # it was against the name (SNI too), although the socket went to the address.
    by_address = fetch_one(tls_lan.url("/feed"), resolver=dns)
    assert by_address.status == "error"
    assert "certificate verify failed" in str(by_address.error)


# --- kept-alive connections ---------------------------------------------------------


@pytest.mark.parametrize("shared_client", [False, True], ids=["small-clients", "shared-client"])
def test_a_connection_kept_for_a_lan_feed_serves_no_other_feeds_redirect(
    sites: dict[str, Site], shared_client: bool
) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed")
    results = fetch_in_turn(
        [lan.url("/feed"), lan.url("/feed"), public.url("/moved"), lan.url("/feed")],
        shared_client=shared_client,
        concurrency=1 if not shared_client else 4,
    )
    assert [r.status for r in results] == ["ok", "ok", "error", "ok"]
    assert results[2].error == refused("127.0.0.2", "a loopback address")
    # Only the LAN feed's own three fetches reached the LAN host, over at most two
    # connections: reuse by the same feed, which the bench measures, still works.
    assert [path for path, _ in lan.requests] == ["/feed", "/feed", "/feed"]
    assert lan.connections <= 2


# --- through a real poll: the refusal is the feed's last error ----------------------


def _feeds(config: Path) -> dict[str, dict[str, object]]:
    out = CliRunner().invoke(cli, ["--config", str(config), "feeds", "--json"]).output
    return {f["name"]: f for f in json.loads(out)}


def _poll(config: Path) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_poll_records_the_refusal_on_the_feed(tmp_path: Path, sites: dict[str, Site]) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed")
    config = write_config(tmp_path, {"sneaky": public.url("/moved"), "lan": lan.url("/feed")})
    assert "1 ok, 0 not modified, 1 failed" in _poll(config)
    health = _feeds(config)
    assert health["sneaky"]["last_error"] == refused("127.0.0.2", "a loopback address")
    assert health["sneaky"]["failures"] == 1
    assert health["lan"]["failures"] == 0 and health["lan"]["entries"]
    assert lan.requests == [("/feed", f"127.0.0.2:{lan.port}")]  # the LAN feed's own
    table = CliRunner().invoke(cli, ["--config", str(config), "feeds"]).output
    assert "refused: redirect to 127.0.0.2" in table


def test_fetch_allow_networks_in_the_config_lets_the_redirect_through(
    tmp_path: Path, sites: dict[str, Site]
) -> None:
    public, lan = sites["public"], sites["lan"]
    public.routes["/moved"] = lan.url("/feed")
    config = write_config(tmp_path, {"sneaky": public.url("/moved")})
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("[fetch]\n", '[fetch]\nallow_networks = ["127.0.0.2/32"]\n', 1),
        encoding="utf-8",
    )
    assert "1 ok, 0 not modified, 0 failed" in _poll(config)
    assert _feeds(config)["sneaky"]["last_error"] is None
    assert lan.requests == [("/feed", f"127.0.0.2:{lan.port}")]


# --- the pure decision --------------------------------------------------------------

# Special-purpose blocks from the IANA IPv4 and IPv6 special-purpose address registries,
# written out here independently of monitor/address.py: no feed server can be in them.
SPECIAL = [
    ip_network(n)
    for n in [
        *["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"],
        *["172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16"],
        *["198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4"],
        *["::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32"],
        *["3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"],
    ]
]

addresses = st.ip_addresses()
networks = st.builds(
    lambda a, bits: ip_network(f"{a}/{bits % (a.max_prefixlen + 1)}", strict=False),
    addresses,
    st.integers(0, 128),
)
network_lists = st.lists(networks, max_size=4)


@st.composite
def special_addresses(draw: st.DrawFn) -> IPv4Address | IPv6Address:
    block = draw(st.sampled_from(SPECIAL))
    offset = draw(st.integers(0, block.num_addresses - 1))
    return block.network_address + offset


def allowed_by(a: IPv4Address | IPv6Address, nets: Sequence[address.Network]) -> bool:
    return any(a.version == n.version and a in n for n in nets)


@given(special_addresses(), network_lists)
def test_special_addresses_are_refused_unless_listed(
    a: IPv4Address | IPv6Address, nets: list[address.Network]
) -> None:
    verdict = address.refusal(str(a), [a], nets)
    if allowed_by(a, nets):
        assert verdict is None
    else:
        assert verdict is not None and verdict.startswith(f"refused: redirect to {a} (")


def _embeds_a_global_ipv4(a: IPv4Address | IPv6Address) -> bool:
    """::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach a.b.c.d, which Python judges alone."""
    if not isinstance(a, IPv6Address):
        return False
    if a.ipv4_mapped is not None:
        return a.ipv4_mapped.is_global and not a.ipv4_mapped.is_multicast
    if a in ip_network("64:ff9b::/96"):
        inner = IPv4Address(int(a) & 0xFFFFFFFF)
        return inner.is_global and not inner.is_multicast
    return False


@given(addresses, network_lists)
def test_whatever_python_calls_local_is_refused_unless_listed(
    a: IPv4Address | IPv6Address, nets: list[address.Network]
) -> None:
    local = (
        not a.is_global
        or a.is_private
        or a.is_loopback
        or a.is_link_local
        or a.is_multicast
        or a.is_reserved
        or a.is_unspecified
        or getattr(a, "is_site_local", False)
    ) and not _embeds_a_global_ipv4(a)
    if local and not allowed_by(a, nets):
        assert address.kind(a) is not None
        assert address.refusal(str(a), [a], nets) is not None


@given(addresses, network_lists)
def test_an_address_inside_an_allowed_network_is_never_refused(
    a: IPv4Address | IPv6Address, nets: list[address.Network]
) -> None:
    nets = [*nets, ip_network(a)]
    assert address.refusal(str(a), [a], nets) is None


@given(addresses, network_lists, network_lists)
def test_allowing_more_never_refuses_more(
    a: IPv4Address | IPv6Address, nets: list[address.Network], more: list[address.Network]
) -> None:
    if address.refusal(str(a), [a], nets) is None:
        assert address.refusal(str(a), [a], nets + more) is None


@given(st.ip_addresses(v=4), network_lists)
def test_an_ipv4_mapped_address_is_judged_as_the_ipv4_address(
    a: IPv4Address, nets: list[address.Network]
) -> None:
    mapped = IPv6Address(f"::ffff:{a}")
    assert (address.kind(mapped) is None) == (address.kind(a) is None)
    if address.refusal(str(a), [a], nets) is None:
        assert address.refusal(str(mapped), [mapped], nets) is None


@given(st.ip_addresses(v=4), st.sampled_from(["2002", "64:ff9b"]))
def test_an_address_that_embeds_a_local_ipv4_is_refused(a: IPv4Address, prefix: str) -> None:
    # 6to4 (2002:AABB:CCDD::) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address inside.
    if prefix == "2002":
        wrapped = IPv6Address((0x2002 << 112) | (int(a) << 80))
    else:
        wrapped = IPv6Address(int(IPv6Address("64:ff9b::")) | int(a))
    if address.kind(a) is not None:
        assert address.kind(wrapped) is not None


@given(addresses)
def test_public_addresses_are_allowed(a: IPv4Address | IPv6Address) -> None:
    outside = not any(a.version == n.version and a in n for n in SPECIAL)
    unicast6 = a.version == 4 or a in ip_network("2000::/3")
    embeds = isinstance(a, IPv6Address) and (
        a.sixtofour is not None or a in ip_network("64:ff9b::/96")
    )
    if outside and unicast6 and a.is_global and not a.is_multicast and not embeds:
        assert address.kind(a) is None
        assert address.refusal(str(a), [a], []) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fd00:ec2::254", "unique-local"),  # cloud metadata over IPv6
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.31.255.255", "private"),
        ("100.64.0.1", "shared"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("255.255.255.255", "reserved"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
        ("2002:7f00:1::", "6to4 loopback"),
        ("64:ff9b::a00:1", "NAT64 private"),
        ("64:ff9b::808:808", None),  # how an IPv6-only host with DNS64 sees 8.8.8.8
        ("::127.0.0.1", "reserved"),  # the deprecated IPv4-compatible form
        ("192.0.2.7", "documentation"),
    ],
)
def test_kinds_of_address(text: str, kind: str | None) -> None:
    assert address.kind(ip_address(text)) == kind


@pytest.mark.parametrize(
    ("host", "found", "expected"),
    [
        ("127.0.0.2", ["127.0.0.2"], refused("127.0.0.2", "a loopback address")),
        ("lan.test", ["192.168.0.9"], refused("lan.test", "192.168.0.9, a private address")),
        ("x.test", ["8.8.8.8", "10.0.0.1"], refused("x.test", "10.0.0.1, a private address")),
        ("::", ["::"], refused("::", "an unspecified address")),
        ("u.test", ["fd00::1"], refused("u.test", "fd00::1, a unique-local address")),
        ("news.test", ["8.8.8.8", "2606:4700:4700::1111"], None),
    ],
)
def test_refusal_messages(host: str, found: list[str], expected: str | None) -> None:
    assert address.refusal(host, [ip_address(a) for a in found], []) == expected


def test_parse_networks() -> None:
    assert address.parse_networks(["10.0.0.0/8", "fd00::/8", "127.0.0.2"]) == (
        ipaddress.IPv4Network("10.0.0.0/8"),
        ipaddress.IPv6Network("fd00::/8"),
        ipaddress.IPv4Network("127.0.0.2/32"),
    )
    with pytest.raises(ValueError):
        address.parse_networks(["not a network"])
