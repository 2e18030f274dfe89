"""Issue 10, finding 9: a webhook goes to the very address that was checked (no DNS rebinding)."""

from __future__ import annotations

import asyncio
import base64
import http.server
import socket
import threading
from typing import Any

import httpx
import pytest

from workorders.clock import ManualClock
from workorders.config import Settings
from workorders.domain.egress import RefusedUrl
from workorders.services import egress
from workorders.services.webhook_delivery import Outgoing
from workorders.workers.deliveries import DeliveryWorker

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()


def outgoing(url: str) -> Outgoing:
    return Outgoing(1, "dlv_1", "lease", "whe_1", url, (SECRET,), "evt_1", '{"type":"x"}')


def worker(settings: Settings, http: httpx.AsyncClient | None = None) -> DeliveryWorker:
    from datetime import UTC, datetime

    return DeliveryWorker(None, settings, ManualClock(datetime.now(UTC)), http=http)  # type: ignore[arg-type]


class Rebinding:
    """A resolver that answers a public address first and loopback afterwards (a rebinding attack)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, host: str, *_args: Any, **_kwargs: Any) -> list[Any]:
        self.calls += 1
        address = "93.184.216.34" if self.calls == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]


async def test_a_name_resolving_to_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(RefusedUrl, match="loopback"):
        await egress.pin("http://localhost:8080/hook", allow_private=False)
    seen: list[httpx.Request] = []
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200))
    )
    outcome = await worker(Settings(), client).send(outgoing("http://localhost:8080/hook"))
    assert outcome.status_code is None and "loopback" in (outcome.error or "")
    assert seen == []
    pinned = await egress.pin("http://localhost:8080/hook", allow_private=True)
    assert pinned.address.is_loopback


async def test_the_send_is_pinned_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = Rebinding()
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolver)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    outcome = await worker(Settings(), client).send(outgoing("https://hooks.example.com:8443/crm"))
    assert outcome.status_code == 200, outcome
    [request] = seen
    assert resolver.calls == 1  # resolved once: nothing resolves the name again to connect
    assert request.url.host == "93.184.216.34" and request.url.port == 8443
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


class _Hook(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        type(self).seen.append((self.headers["host"], self.client_address[0]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


async def test_a_real_send_connects_to_the_pinned_address_with_the_name_as_host() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        sender = worker(Settings(webhook_allow_private_urls=True))
        try:
            outcome = await sender.send(outgoing(f"http://localhost:{port}/hook"))
        finally:
            await sender.http.aclose()
        assert outcome.status_code == 204, outcome
        assert _Hook.seen == [(f"localhost:{port}", "127.0.0.1")]
    finally:
        server.shutdown()
        await asyncio.to_thread(thread.join)
