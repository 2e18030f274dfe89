"""Rate limits: sliding windows (the `limits` library), counted in memory or, shared by replicas, in Redis.

The sliding window counter keeps two counters per key (this window and the last, weighted by how much of
it still overlaps): constant work and memory per request. The moving window it replaced kept a timestamp
per request, which the memory storage inserts at the head of a list and expires through a thread: about
100 us of CPU for every request, on every request.

The limits are named; `WORKORDERS_RATE_LIMITS` sets any of them (`create_order=20/hour;request=600/minute`):

- `request`: requests per token;
- `auth_failure`: refused authentications per client address (checked before a token is even looked at,
  so a prober guessing keys is slowed down whatever it sends);
- `create_order`: orders an owner files;
- `comment`: comments per order and caller.

The per-operation limits are declared in one table (`ROUTE_LIMITS`) and applied where the caller becomes
known (api/deps.py), so an endpoint needs no code of its own to be limited.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from workorders.domain.actors import Principal, Role
from workorders.errors import N_, ServiceError, _
from workorders.rate_limit_memory import MemoryCounterStorage

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from starlette.requests import Request

    from workorders.config import Settings

log = logging.getLogger(__name__)

DEFAULTS = {
    "create_order": "20/hour",
    "request": "600/minute",
    "auth_failure": "30/minute",
    "comment": "30/hour",
}


class RateLimited(ServiceError):
    status = 429
    slug = "rate-limited"
    title = N_("Too many requests")


def parse_limits(spec: str) -> dict[str, RateLimitItem]:
    """`name=N/period;…` over the defaults; an unknown name or a malformed limit refuses to start
    (naming the setting, not echoing it)."""
    chosen = dict(DEFAULTS)
    for part in spec.split(";"):
        if not part.strip():
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in DEFAULTS or not value.strip():
            raise ValueError(f"unknown or empty limit (known: {', '.join(DEFAULTS)})")
        chosen[name] = value.strip()
    try:
        return {name: parse(value) for name, value in chosen.items()}
    except ValueError:
        raise ValueError("a limit is not of the form N/period, e.g. 20/hour") from None


@dataclass(frozen=True)
class RouteLimit:
    name: str
    # The counter's key for this caller on this request; None: the limit does not apply to them.
    key: Callable[[Principal, Mapping[str, str]], str | None]


def _owner_filing(principal: Principal, _params: Mapping[str, str]) -> str | None:
    return f"{principal.property_id}:{principal.sub}" if principal.role is Role.OWNER else None


def _commenter(principal: Principal, params: Mapping[str, str]) -> str | None:
    who = principal.sub or str(principal.role)
    return f"{principal.property_id}:{params.get('order_id')}:{who}"


# operationId -> the limit a request on it counts against, beyond `request`.
ROUTE_LIMITS: dict[str, RouteLimit] = {
    "createWorkOrder": RouteLimit("create_order", _owner_filing),
    "createWorkOrderComment": RouteLimit("comment", _commenter),
}


# The limits asked "exhausted?" before a request is counted (`refuse_if_exhausted`), and how many
# keys of theirs a process remembers before it forgets the stale ones.
_CHECKED_FIRST = frozenset({"auth_failure"})
_REMEMBERED = 10_000


class RateLimiter:
    def __init__(self, settings: Settings, *, key_prefix: str = "workorders") -> None:
        self.limits = parse_limits(settings.rate_limits)
        if settings.redis_url:
            url = settings.redis_url
            if not url.startswith("async+"):
                url = "async+" + url
            storage = storage_from_string(
                url, implementation="redispy", key_prefix=key_prefix, wrap_exceptions=True
            )
        else:
            # Not the library's `async+memory://`: its expiry walks every key on nearly every count
            # (rate_limit_memory.py).
            storage = MemoryCounterStorage()
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(storage)
        # In memory, every count is this process's own: when it last counted against a limit of
        # `_CHECKED_FIRST` and a key (a sliding window weighs the previous window, so a count matters
        # for two windows). `refuse_if_exhausted` answers "not exhausted" from it without asking the
        # storage when nothing was counted, which was half of the limiter's CPU on every request
        # (the auth-failure check of an address that never failed). It still earns its place with
        # the storage of rate_limit_memory.py: 0.25 us per check against 2.8 us asking the strategy.
        # Redis holds the other replicas' counts too, so there the storage is always asked.
        self._counted: dict[tuple[str, str], float] | None = None if settings.redis_url else {}
        self._forget_at = _REMEMBERED

    async def hit(self, name: str, key: str) -> None:
        """Count one against `name` for `key`; 429 when the window is full."""
        item = self.limits[name]
        if self._counted is not None and name in _CHECKED_FIRST:
            self._remember(name, key)
        try:
            allowed = await self.strategy.hit(item, name, key)
        except StorageError:
            # Redis down: serve unlimited rather than refuse everyone; say so loudly.
            log.warning("rate-limit storage unavailable; %s not counted", name)
            return
        if not allowed:
            await self._refuse(name, key)

    async def refuse_if_exhausted(self, name: str, key: str) -> None:
        """429 when `name` is exhausted for `key`, without counting."""
        item = self.limits[name]
        if self._counted is not None and name in _CHECKED_FIRST:
            last = self._counted.get((name, key))
            if last is None or time.monotonic() - last > 2 * item.get_expiry():
                return
        try:
            exhausted = not await self.strategy.test(item, name, key)
        except StorageError:
            log.warning("rate-limit storage unavailable; %s not checked", name)
            return
        if exhausted:
            await self._refuse(name, key)

    def _remember(self, name: str, key: str) -> None:
        assert self._counted is not None
        now = time.monotonic()
        if len(self._counted) >= self._forget_at:
            # Many addresses failing: forget those whose counts no longer matter, and look again
            # only when as many again have come (a sweep per failure would be the prober's lever).
            self._counted = {
                counted: at
                for counted, at in self._counted.items()
                if now - at <= 2 * self.limits[counted[0]].get_expiry()
            }
            self._forget_at = max(_REMEMBERED, 2 * len(self._counted))
        self._counted[name, key] = now

    async def _refuse(self, name: str, key: str) -> None:
        item = self.limits[name]
        try:
            stats = await self.strategy.get_window_stats(item, name, key)
            retry_after, remaining = (
                max(1, math.ceil(stats.reset_time - time.time())),
                stats.remaining,
            )
        except StorageError:
            retry_after, remaining = int(item.get_expiry()), 0
        error = RateLimited(
            _(
                "the {name} limit ({limit}) is reached; try again in {seconds} s",
                name=name.replace("_", " "),
                limit=item,
                seconds=retry_after,
            )
        )
        error.headers.update(
            {
                "Retry-After": str(retry_after),
                "RateLimit-Limit": str(item.amount),
                "RateLimit-Remaining": str(max(0, remaining)),
                "RateLimit-Reset": str(retry_after),
            }
        )
        raise error

    async def on_request(self, request: Request, principal: Principal, token: str) -> None:
        """The limits of an authenticated request: per token, and the route's own."""
        await self.hit("request", _token_key(token))
        operation = getattr(request.scope.get("route"), "operation_id", None)
        rule = ROUTE_LIMITS.get(operation) if operation else None
        if rule is not None:
            key = rule.key(principal, request.path_params)
            if key is not None:
                await self.hit(rule.name, key)

    async def close(self) -> None:
        # Redis connections belong to the storage; memory needs nothing.
        closer = getattr(self.storage, "aclose", None) or getattr(self.storage, "close", None)
        if closer is not None:
            result = closer()
            if hasattr(result, "__await__"):
                await result


@lru_cache(maxsize=10_000)
def _token_key(token: str) -> str:
    """The `request` limit's key for a token: a digest, so the storage (Redis) never holds tokens.
    Kept per token, as a client sends the same one with every request."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
