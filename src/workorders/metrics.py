"""Prometheus metrics: the HTTP layer's, as pure ASGI middleware (no per-request task or body copy),
and SQLite's write turns (`db.WriteTurns`)."""

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

# SQLite takes one writer at a time: the time writers queue for the write lock and hold it says how
# near writes are to the most the database will take (held time summed over a span, divided by the
# span: the share of it the lock was taken). Buckets from half a millisecond: a filing holds it for
# a few. No series is observed on PostgreSQL.
_TURN_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
WRITE_TURN_WAIT = Histogram(
    "workorders_sqlite_write_turn_wait_seconds",
    "Time a SQLite writer queued for its turn at the write lock",
    buckets=_TURN_BUCKETS,
)
WRITE_TURN_HELD = Histogram(
    "workorders_sqlite_write_turn_held_seconds",
    "Time a SQLite writer held its turn, from taking it to its connection's return to the pool",
    buckets=_TURN_BUCKETS,
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
