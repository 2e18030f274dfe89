"""Where webhooks may go: public http(s) addresses only, whatever spelling an address hides behind.

Pure: parsing and address classification, no resolution (services/egress.py resolves names).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Networks Python's flags do not all catch: carrier-grade NAT, benchmarking, NAT64 and 6to4 wrappers.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in ("100.64.0.0/10", "198.18.0.0/15", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16")
)


class RefusedUrl(ValueError):
    """The URL is malformed or points somewhere webhooks may not go; the message says why."""


def parse(url: str) -> SplitResult:
    """The URL's parts, when it is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise RefusedUrl(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise RefusedUrl("only http and https URLs are accepted")
    if not parts.hostname:
        raise RefusedUrl("the URL has no host")
    if parts.username or parts.password:
        raise RefusedUrl("credentials in the URL are not accepted; sign with the secret instead")
    return parts


def literal_address(host: str) -> IPAddress | None:
    """The address a host names by itself, in any spelling a resolver accepts: dotted, decimal
    (`2130706433`), octal (`0177.0.0.1`), hex, shortened (`127.1`), IPv6 (`[::1]`). None for a name."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    try:
        # inet_aton is the C library's own parser for the historical IPv4 forms; no network I/O.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def refusal(address: IPAddress) -> str | None:
    """Why webhooks may not go to `address`, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return refusal(embedded)
    checks = (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, ipaddress.IPv6Address) and address in _ULA, "unique-local"),
        (address.is_private, "private"),
        (address.is_unspecified, "unspecified"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (
            any(address in net for net in _EXTRA_BLOCKED if net.version == address.version),
            "private",
        ),
    )
    for hit, kind in checks:
        if hit:
            return f"{address} is a {kind} address"
    return None


_ULA = ipaddress.IPv6Network("fc00::/7")
