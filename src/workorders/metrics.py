"""Prometheus metrics of the HTTP layer, as pure ASGI middleware (no per-request task or body copy)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("workorders_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "workorders_http_request_duration_seconds", "HTTP request duration", ["method", "route"]
)


class RequestMetrics:
    """Counts requests and times them by route template (`/v1/work-orders/{order_id}`), never by raw
    path, so that ids do not explode the label space."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
            REQUESTS.labels(method, route, str(status)).inc()
