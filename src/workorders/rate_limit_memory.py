"""Rate-limit counters in this process's memory, at the same cost per request however many keys are held.

The `limits` library's async memory storage schedules an expiry task on nearly every count it reads or
writes, and each task walks every key it holds: with hits on one key while others are held, 9 us of CPU
per hit with 10 keys, 49 us with 2,000 and 488 us with 20,000. Every authenticated request counts
against its token (and filing an order against its owner, kept two hours), so the cost of each request
grew with the number of tokens and owners seen recently. Its sync storage is no better: a timer thread
started every 10 ms does the same sweep.

This storage is used in its place (Redis, shared by replicas, is left as it is). It keeps the library's
memory semantics for the sliding window counter (the same keys, one per window, kept twice the window
after its first count; the same weighting of the previous window), so the strategy, which stays the
library's, gives the same answers. What differs is expiry: a key is dropped when it is met expired,
and the whole map is swept only when it has grown to twice its size after the last sweep (at least
`SWEEP_FLOOR` keys), amortized O(1) per count, so memory stays bounded by the keys live in their
windows and no task or thread is started.

No lock is needed: on one event loop, an operation reads and writes its counters without an `await`
in between, so no other coroutine can run between the read and the write.
"""

from __future__ import annotations

import time
from math import floor
from typing import TYPE_CHECKING

from limits.aio.storage import SlidingWindowCounterSupport, Storage
from limits.storage.base import TimestampedSlidingWindow

if TYPE_CHECKING:
    from collections.abc import Callable

SWEEP_FLOOR = 10_000


class _Count:
    __slots__ = ("count", "expires_at")

    def __init__(self, count: int, expires_at: float) -> None:
        self.count = count
        self.expires_at = expires_at


class MemoryCounterStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Counters with an expiry, for `SlidingWindowCounterRateLimiter` (and the fixed window, which needs
    only `incr`, `get` and `get_expiry`). Given as an instance to the strategy, not by a URI scheme.

    `clock` is how it reads the time (seconds since the epoch, as the library's storages do); tests
    give their own. `sweeps` and `examined` count the sweeps and the keys they looked at."""

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        clock: Callable[[], float] = time.time,
        sweep_floor: int = SWEEP_FLOOR,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._counts: dict[str, _Count] = {}
        self._clock = clock
        self._sweep_floor = sweep_floor
        self._sweep_at = sweep_floor
        self.sweeps = 0
        self.examined = 0

    def __len__(self) -> int:
        """The keys held, live or not yet met expired."""
        return len(self._counts)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        # Nothing here talks to a server; the library's memory storage names ValueError too.
        return ValueError

    # The counters, in plain functions: the async methods below and the sliding window share them,
    # and none of them awaits, which is what makes each operation atomic on the event loop.

    def _get(self, key: str, now: float) -> int:
        entry = self._counts.get(key)
        if entry is None:
            return 0
        if entry.expires_at <= now:
            del self._counts[key]
            return 0
        return entry.count

    def _incr(self, key: str, expiry: float, amount: int, now: float) -> int:
        entry = self._counts.get(key)
        if entry is None or entry.expires_at <= now:
            if entry is None and len(self._counts) >= self._sweep_at:
                self._sweep(now)
            self._counts[key] = _Count(amount, now + expiry)
            return amount
        entry.count += amount
        if entry.count == amount:
            # As the library's storage: a counter brought back to 0 (`decr`) restarts its expiry.
            entry.expires_at = now + expiry
        return entry.count

    def _sweep(self, now: float) -> None:
        """Drop every expired key; the next sweep comes when the map has doubled again."""
        self.sweeps += 1
        self.examined += len(self._counts)
        self._counts = {key: entry for key, entry in self._counts.items() if entry.expires_at > now}
        self._sweep_at = max(self._sweep_floor, 2 * len(self._counts))

    def _window(
        self, previous_key: str, current_key: str, expiry: int, now: float
    ) -> tuple[int, float, int, float]:
        """The library's memory storage's `_get_sliding_window_info`, formula for formula."""
        previous_count = self._get(previous_key, now)
        current_count = self._get(current_key, now)
        previous_ttl = (1 - (((now - expiry) / expiry) % 1)) * expiry if previous_count else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous_count, previous_ttl, current_count, current_ttl

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._incr(key, expiry, amount, self._clock())

    async def decr(self, key: str, amount: int = 1) -> int:
        now = self._clock()
        entry = self._counts.get(key)
        if entry is None or entry.expires_at <= now:
            self._counts.pop(key, None)
            return 0
        entry.count = max(entry.count - amount, 0)
        return entry.count

    async def get(self, key: str) -> int:
        return self._get(key, self._clock())

    async def get_expiry(self, key: str) -> float:
        now = self._clock()
        entry = self._counts.get(key)
        return entry.expires_at if entry is not None and entry.expires_at > now else now

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        held = len(self._counts)
        self._counts.clear()
        self._sweep_at = self._sweep_floor
        return held

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous_count, previous_ttl, current_count, _ = self._window(
            previous_key, current_key, expiry, now
        )
        if floor(previous_count * previous_ttl / expiry + current_count) + amount > limit:
            return False
        # The library's storage counts, then takes the count back if another hit came in between;
        # none can here (no await between the read above and this write).
        # A window's counter is kept twice the window after its first count, so it still weighs as
        # the previous window throughout the next one.
        self._incr(current_key, 2 * expiry, amount, now)
        return True

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = self._clock()
        return self._window(*self.sliding_window_keys(key, expiry, now), expiry, now)

    async def clear_sliding_window(self, key: str, expiry: int) -> None:
        previous_key, current_key = self.sliding_window_keys(key, expiry, self._clock())
        self._counts.pop(current_key, None)
        self._counts.pop(previous_key, None)
