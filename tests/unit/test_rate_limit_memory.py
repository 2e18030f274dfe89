"""The rate-limit memory storage: the library's answers, at a cost per count that does not grow with the
keys held, its memory bounded by the keys live in their windows."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from workorders.rate_limit_memory import MemoryCounterStorage

START = 1_700_000_000.0  # seconds since the epoch, 20 s into a minute


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _ours(
    clock: Clock, **options: int
) -> tuple[MemoryCounterStorage, SlidingWindowCounterRateLimiter]:
    storage = MemoryCounterStorage(clock=clock, **options)
    return storage, SlidingWindowCounterRateLimiter(storage)


async def test_a_limit_admits_its_amount_in_a_window_then_refuses() -> None:
    clock = Clock()
    _, strategy = _ours(clock)
    item = parse("5/minute")
    assert [await strategy.hit(item, "request", "a") for _ in range(6)] == [True] * 5 + [False]
    assert not await strategy.test(item, "request", "a")
    assert await strategy.hit(item, "request", "b")  # another key: its own count
    assert not await strategy.hit(parse("5/minute"), "request", "c", cost=6)  # more than the limit


async def test_the_previous_window_weighs_by_its_overlap() -> None:
    clock = Clock(START - START % 60)  # the start of a minute
    _, strategy = _ours(clock)
    item = parse("10/minute")
    for _ in range(10):
        assert await strategy.hit(item, "request", "a")
    # A quarter into the next minute, three quarters of the last one's 10 still count: 7.5 -> 7.
    clock.now += 75
    assert (await strategy.get_window_stats(item, "request", "a")).remaining == 3
    assert [await strategy.hit(item, "request", "a") for _ in range(4)] == [True] * 3 + [False]
    # Two minutes on, the first minute weighs nothing and is no longer held.
    clock.now += 120
    assert (await strategy.get_window_stats(item, "request", "a")).remaining == 10


@pytest.mark.parametrize(
    "strategy_class", [SlidingWindowCounterRateLimiter, FixedWindowRateLimiter]
)
async def test_the_answers_are_the_library_memory_storages(
    strategy_class: type[SlidingWindowCounterRateLimiter | FixedWindowRateLimiter],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same hits at the same times through the same strategy: the same admissions, the same
    `test`, the same window stats (remaining and reset time) as `async+memory://`."""
    clock = Clock()
    # The library's storage and strategies read `time.time()`; ours reads the clock it is given.
    monkeypatch.setattr(time, "time", clock)
    theirs = strategy_class(storage_from_string("async+memory://"))
    ours = strategy_class(MemoryCounterStorage(clock=clock))
    items: list[RateLimitItem] = [parse("7/minute"), parse("3/second"), parse("20/hour")]
    rng = random.Random(20261202)
    admitted = set()
    for step in range(3_000):
        clock.now += rng.choice([0.0, 0.01, 0.3, 1.7, 9.0, 41.0, 130.0])
        item = rng.choice(items)
        key = rng.choice(["a", "b", "c"])
        cost = rng.choice([1, 1, 1, 2])
        answers = []
        for strategy in (theirs, ours):
            answers.append(
                (
                    await strategy.test(item, "request", key, cost=cost),
                    await strategy.hit(item, "request", key, cost=cost),
                    await strategy.get_window_stats(item, "request", key),
                )
            )
        assert answers[0] == answers[1], (step, item, key, cost)
        admitted.add(answers[1][1])
        if step % 10 == 0:
            await asyncio.sleep(
                0
            )  # lets the library's expiry task run, as it would between requests
    assert admitted == {True, False}  # the sequence fills windows, and leaves room in others


async def test_window_stats_tell_the_remaining_and_the_reset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(START - START % 60 + 15)
    monkeypatch.setattr(time, "time", clock)  # the strategy's own "now"
    _, strategy = _ours(clock)
    item = parse("4/minute")
    stats = await strategy.get_window_stats(item, "request", "a")
    assert (stats.reset_time, stats.remaining) == (clock.now, 4)  # nothing counted
    await strategy.hit(item, "request", "a")
    stats = await strategy.get_window_stats(item, "request", "a")
    # Counted 15 s into the minute: the count is kept until the end of the next minute (105 s on),
    # and the reset is when the window slides past it again (45 s on, the end of this minute).
    assert stats.remaining == 3
    assert stats.reset_time == pytest.approx(clock.now + 45)


async def test_clear_and_reset_forget_the_counts() -> None:
    clock = Clock()
    storage, strategy = _ours(clock)
    item = parse("2/minute")
    for key in ("a", "b"):
        await strategy.hit(item, "request", key)
        await strategy.hit(item, "request", key)
    assert not await strategy.hit(item, "request", "a")
    await strategy.clear(item, "request", "a")
    assert await strategy.hit(item, "request", "a")
    assert not await strategy.hit(item, "request", "b")  # untouched
    assert await storage.reset() == 2
    assert len(storage) == 0
    assert await strategy.hit(item, "request", "b")


async def test_a_key_met_expired_is_dropped() -> None:
    clock = Clock()
    storage, _ = _ours(clock)
    assert await storage.incr("k", 10) == 1
    assert await storage.incr("k", 10) == 2
    assert await storage.get_expiry("k") == clock.now + 10
    clock.now += 10
    assert await storage.get("k") == 0
    assert len(storage) == 0
    assert storage.sweeps == 0
    assert await storage.incr("k", 10) == 1  # a new count, a new expiry
    assert await storage.get_expiry("k") == clock.now + 10


async def test_memory_is_bounded_by_the_live_keys() -> None:
    """Keys counted once and never met again go in the sweeps: the map holds at most the floor (or
    twice the live keys), however many keys have come and gone."""
    clock = Clock()
    storage, strategy = _ours(clock, sweep_floor=100)
    item = parse("5/second")  # each window's counter is kept 2 s
    for round_ in range(50):
        for i in range(100):
            await strategy.hit(item, "request", f"{round_}:{i}")
        assert len(storage) <= 100
        clock.now += 10
    assert 0 < storage.sweeps < 50


async def test_sweeps_are_occasional() -> None:
    """A sweep runs only when the map has doubled since the last one: counts on held keys never
    sweep, and growing to 10,000 live keys examines fewer than two keys per key added."""
    clock = Clock()
    storage, strategy = _ours(clock, sweep_floor=100)
    item = parse("1000000/hour")
    for i in range(50):
        await strategy.hit(item, "request", f"k{i}")
    for _ in range(5_000):
        await strategy.hit(item, "request", "k0")
    assert storage.sweeps == 0
    for i in range(50, 10_000):
        await strategy.hit(item, "request", f"k{i}")
    assert len(storage) == 10_000
    assert 0 < storage.sweeps <= 7  # 100, 200, 400, ... 6,400
    assert storage.examined < 2 * 10_000
