"""The in-memory limiter answers "exhausted?" from what this process counted, without asking the
storage when it counted nothing: the answers must be the storage's."""

from __future__ import annotations

import time

import pytest

from workorders import rate_limits
from workorders.config import Settings
from workorders.rate_limit_memory import MemoryCounterStorage
from workorders.rate_limits import RateLimited, RateLimiter


def _limiter(settings: Settings) -> RateLimiter:
    return RateLimiter(
        settings.model_copy(update={"rate_limits": "auth_failure=2/minute", "redis_url": None})
    )


async def test_an_address_is_refused_once_its_failures_fill_the_window(settings: Settings) -> None:
    limiter = _limiter(settings)
    await limiter.refuse_if_exhausted("auth_failure", "10.0.0.1")  # nothing counted: passes
    await limiter.hit("auth_failure", "10.0.0.1")
    await limiter.refuse_if_exhausted("auth_failure", "10.0.0.1")  # one of two: passes
    await limiter.hit("auth_failure", "10.0.0.1")
    with pytest.raises(RateLimited):
        await limiter.refuse_if_exhausted("auth_failure", "10.0.0.1")
    await limiter.refuse_if_exhausted("auth_failure", "10.0.0.2")  # another address: passes


async def test_without_redis_the_counts_are_held_by_the_memory_counter_storage(
    settings: Settings,
) -> None:
    limiter = _limiter(settings)
    assert isinstance(limiter.storage, MemoryCounterStorage)
    await limiter.hit("auth_failure", "10.0.0.1")
    assert len(limiter.storage) == 1
    # Asked directly (as the shortcut never does for a counted address), the storage agrees.
    assert await limiter.strategy.test(limiter.limits["auth_failure"], "auth_failure", "10.0.0.1")
    await limiter.hit("auth_failure", "10.0.0.1")
    assert not await limiter.strategy.test(
        limiter.limits["auth_failure"], "auth_failure", "10.0.0.1"
    )


async def test_forgetting_stale_addresses_keeps_the_counted_ones(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rate_limits, "_REMEMBERED", 3)
    limiter = _limiter(settings)
    for _ in range(2):
        await limiter.hit("auth_failure", "10.0.0.1")
    # An address whose last failure is three minutes old no longer weighs in a one-minute window.
    stale = time.monotonic() - 180
    assert limiter._counted is not None
    limiter._counted.update({("auth_failure", f"10.1.0.{i}"): stale for i in range(5)})
    await limiter.hit("auth_failure", "10.0.0.3")  # past _REMEMBERED: the stale ones go
    assert set(limiter._counted) == {("auth_failure", "10.0.0.1"), ("auth_failure", "10.0.0.3")}
    with pytest.raises(RateLimited):
        await limiter.refuse_if_exhausted("auth_failure", "10.0.0.1")
