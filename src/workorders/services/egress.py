"""The egress policy at work: resolve a webhook URL's host and refuse non-public addresses.

Checked when an endpoint is created or changed (422) and again before every send, since a name can
start resolving elsewhere after it was accepted. `WORKORDERS_WEBHOOK_ALLOW_PRIVATE_URLS` lifts the
address check (tests, local development); the URL's shape is always checked.
"""

from __future__ import annotations

import asyncio
import socket

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
