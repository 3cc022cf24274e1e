"""Which addresses a redirect may lead to: the pure half of the fetch stage's SSRF guard.

    redirect host --resolve (fetch)--> addresses --refusal(host, addresses, allowed)--> None | line

A feed's own configured host is the operator's choice and ``fetch`` never asks about it.
Every other host must resolve to public addresses only, or to addresses inside
``fetch.allow_networks``; otherwise ``fetch`` connects to none of them and the feed
records the one line ``refusal`` returns. Standard library only: ``fetch`` resolves and
connects, this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

HINT = "allow it with fetch.allow_networks"

# The IANA special-purpose registries, as blocks no feed server on the internet can be
# in. Python's flags are asked as well (``kind``), but they differ between patch releases
# (3.11.7 calls multicast and fec0::/10 "global"), so this table keeps the answer the
# same on every Python.
_BLOCKS: tuple[tuple[Network, str], ...] = tuple(
    (ip_network(block), name)
    for block, name in (
        ("0.0.0.0/8", "unspecified"),  # Linux connects 0.0.0.0 to the local host
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared"),  # carrier-grade NAT
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),  # cloud metadata answers at 169.254.169.254
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # 255.255.255.255, the broadcast address, with it
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "private"),  # NAT64 for local use
        ("100::/64", "discard-only"),
        ("2001::/23", "reserved"),  # IETF protocol assignments: Teredo, ORCHID, ...
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique-local"),  # fd00:ec2::254 is cloud metadata over IPv6
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
_UNICAST = ip_network("2000::/3")  # all IPv6 unicast handed out so far
_NAT64 = ip_network("64:ff9b::/96")


def parse_networks(texts: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "fd00::/8"]`` -> networks; a bare address is its own /32 or /128.

    Raises ``ValueError`` for anything else (``config`` reports it with the key path)."""
    return tuple(ip_network(text.strip(), strict=False) for text in texts)


def kind(address: Address) -> str | None:
    """What sort of non-public address this is ("loopback", "private", ...); None if public."""
    if isinstance(address, IPv6Address):
        # IPv6 forms that carry an IPv4 address reach that address: ::ffff:a.b.c.d is
        # a.b.c.d itself to a dual-stack socket, 64:ff9b::a.b.c.d goes through the NAT64
        # gateway (an IPv6-only host reaches every IPv4 site so), 2002:AABB:CCDD:: through a
        # 6to4 relay. The first two are judged as the IPv4 address they carry; a 6to4
        # address is refused when its IPv4 address would be, else judged as itself.
        if address.ipv4_mapped is not None:
            inner = kind(address.ipv4_mapped)
            return None if inner is None else f"IPv4-mapped {inner}"
        if address in _NAT64:
            inner = kind(IPv4Address(int(address) & 0xFFFFFFFF))
            return None if inner is None else f"NAT64 {inner}"
        if address.sixtofour is not None:
            inner = kind(address.sixtofour)
            if inner is not None:
                return f"6to4 {inner}"
    for block, name in _BLOCKS:
        if address in block:
            return name
    if isinstance(address, IPv6Address) and address not in _UNICAST:
        return "reserved"
    # A second opinion, for blocks registered after the table above was written.
    if address.is_multicast:
        return "multicast"
    if not address.is_global:
        return "non-global"
    return None


def refused_kind(address: Address, allowed: Sequence[Network]) -> str | None:
    """``kind(address)``, unless ``allowed`` holds the address: then None."""
    found = kind(address)
    if found is None:
        return None
    mapped = address.ipv4_mapped if isinstance(address, IPv6Address) else None
    for network in allowed:
        if address in network or (mapped is not None and mapped in network):
            return None
    return found


def refusal(host: str, addresses: Iterable[Address], allowed: Sequence[Network]) -> str | None:
    """Why a redirect to ``host``, resolved to ``addresses``, may not be followed; None
    when every address is public or allowed.

    One refused address refuses the host, even beside public ones: a name answering with
    a public and a private address is how DNS rebinding starts."""
    for address in addresses:
        found = refused_kind(address, allowed)
        if found is not None:
            return message(host, address, found)
    return None


def message(host: str, address: Address, found: str) -> str:
    """The feed's one-line error: which host, which address, what kind, and the way out."""
    what = f"{_article(found)} {found} address"
    if not _is_literal(host, address):
        what = f"{address}, {what}"
    return f"refused: redirect to {host} ({what}); {HINT}"


def _is_literal(host: str, address: Address) -> bool:
    try:
        return ip_address(host) == address
    except ValueError:
        return False


def _article(word: str) -> str:
    vowel = word[:1].lower() in ("a", "e", "i", "o", "u") and not word.startswith("uni")
    return "an" if vowel else "a"
