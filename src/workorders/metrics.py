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
        # Each label set's series looked up once: `labels()` checks its values and takes a lock on
        # every call, which was half of this middleware's CPU. There are as many as routes,
        # methods and statuses, as in the registry itself.
        self._latency: dict[tuple[str, str], Histogram] = {}
        self._requests: dict[tuple[str, str, int], Counter] = {}

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
            latency = self._latency.get((method, route))
            if latency is None:
                latency = self._latency[method, route] = LATENCY.labels(method, route)
            latency.observe(time.perf_counter() - started)
            requests = self._requests.get((method, route, status))
            if requests is None:
                requests = self._requests[method, route, status] = REQUESTS.labels(
                    method, route, str(status)
                )
            requests.inc()
