"""The egress policy at work: resolve a webhook URL's host and refuse non-public addresses.

Checked when an endpoint is created or changed (422) and again before every send, since a name can
start resolving elsewhere after it was accepted. A send connects to the very address it checked
(`pin`): resolving the name once more at connect time would leave a DNS-rebinding window. `WORKORDERS_WEBHOOK_ALLOW_PRIVATE_URLS` lifts the
address check (tests, local development); the URL's shape is always checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlunsplit

from workorders.domain.egress import IPAddress, RefusedUrl, literal_address, parse, refusal
from workorders.errors import ValidationFailed


async def resolve(host: str) -> list[IPAddress]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RefusedUrl(f"{host} does not resolve ({exc.strerror or exc})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = literal_address(str(sockaddr[0]))
        if address is not None:
            addresses.append(address)
    if not addresses:
        raise RefusedUrl(f"{host} does not resolve to an address")
    return addresses


async def check(url: str, *, allow_private: bool) -> None:
    """Raise RefusedUrl when webhooks may not be sent to `url`."""
    parts = parse(url)
    if allow_private:
        return
    assert parts.hostname is not None  # parse() guarantees it
    for address in await resolve(parts.hostname):
        reason = refusal(address)
        if reason is not None:
            raise RefusedUrl(
                f"{parts.hostname} resolves to {reason}; webhooks only go to public addresses"
            )


async def require_allowed(url: str, *, allow_private: bool) -> None:
    """`check` for a request: a refusal is a 422 on `url`."""
    try:
        await check(url, allow_private=allow_private)
    except RefusedUrl as refused:
        raise ValidationFailed.on("url", str(refused)) from None


@dataclass(frozen=True)
class Pinned:
    """Where a send goes: the checked address, with the name kept for `Host` and for TLS."""

    url: str  # the URL with its host replaced by `address`
    host: str  # the Host header: the name (and port) the URL gave
    server_name: str | None  # TLS server name and certificate check (https to a name)
    address: IPAddress

    @property
    def extensions(self) -> dict[str, Any]:
        return {"sni_hostname": self.server_name} if self.server_name else {}


async def pin(url: str, *, allow_private: bool) -> Pinned:
    """Resolve `url`'s host once, check every address it resolves to, and pin the send to one."""
    parts = parse(url)
    hostname = parts.hostname
    assert hostname is not None  # parse() guarantees it
    addresses = await resolve(hostname)
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise RefusedUrl(
                    f"{hostname} resolves to {reason}; webhooks only go to public addresses"
                )
    # IPv4 first: a receiver on a dual-stack name most often listens there.
    address = sorted(addresses, key=lambda a: a.version)[0]
    netloc = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    if parts.port is not None:
        netloc += f":{parts.port}"
    host = parts.netloc.rpartition("@")[2]
    is_name = literal_address(hostname) is None
    server_name = hostname if parts.scheme.lower() == "https" and is_name else None
    return Pinned(urlunsplit(parts._replace(netloc=netloc)), host, server_name, address)
