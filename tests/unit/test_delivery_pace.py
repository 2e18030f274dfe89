"""The delivery worker's pace: however often NOTIFY wakes it, it follows the feed once every
`FOLLOW_INTERVAL` at most, so a pass's transactions are shared by the events of the interval; a
full page is read on at once; a page held back by the horizon waits for the pace like any other."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from workorders.clock import SystemClock
from workorders.config import Settings
from workorders.services import feed
from workorders.services.live import EventSignal
from workorders.workers import deliveries
from workorders.workers.deliveries import FOLLOW_INTERVAL, DeliveryWorker


class Counted(DeliveryWorker):
    """A worker whose passes only count themselves (no database): the first `full` passes find a
    full page; the first `held_back` find a few events and more beyond the horizon."""

    def __init__(self, settings: Settings, full: int = 0, held_back: int = 0) -> None:
        super().__init__(
            db=None,  # type: ignore[arg-type]  # never used: the passes below read nothing
            settings=settings,
            clock=SystemClock(),
            signal=EventSignal(settings, settle=0.0),
        )
        self.passes = 0
        self.full = full
        self.held_back = held_back

    async def fan_out(self) -> feed.Page[Any] | None:
        self.passes += 1
        if self.passes <= self.full:
            return feed.Page([object()] * feed.FOLLOW_BATCH, feed.Position(0, 0), held_back=True)
        if self.passes <= self.held_back:
            return feed.Page([object()] * 3, feed.Position(0, 0), held_back=True)
        return feed.Page([], feed.Position(0, 0), held_back=False)

    async def notify(self) -> feed.Page[Any] | None:
        return None


async def _run_for(worker: Counted, seconds: float, wake_every: float | None) -> None:
    follow = asyncio.create_task(worker._follow_loop())
    try:
        elapsed = 0.0
        while elapsed < seconds:
            await asyncio.sleep(wake_every or seconds)
            elapsed += wake_every or seconds
            if wake_every is not None:
                worker.signal.wake()
    finally:
        follow.cancel()
        await asyncio.gather(follow, return_exceptions=True)


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///:memory:")


async def test_a_wake_every_10_ms_is_one_pass_per_interval(settings: Settings) -> None:
    worker = Counted(settings)
    await _run_for(worker, 1.0, wake_every=0.01)
    # One pass at the start, then one per interval: never one per wake (100 of them).
    assert 2 <= worker.passes <= 1 + 1.0 / FOLLOW_INTERVAL + 1


async def test_a_full_page_is_read_on_at_once(settings: Settings, monkeypatch: Any) -> None:
    monkeypatch.setattr(deliveries, "FOLLOW_INTERVAL", 10.0)  # the interval would hold it back
    worker = Counted(settings, full=50)
    await _run_for(worker, 0.5, wake_every=None)
    assert worker.passes > 50


async def test_a_page_held_back_by_the_horizon_is_read_again_at_the_pace(
    settings: Settings,
) -> None:
    """Under load some transaction is always in flight, so nearly every page is held back: reading
    on at once made the worker follow the feed back to back, a few events a pass (round 29 counted
    40 passes a second at 250 filings a second)."""
    worker = Counted(settings, held_back=1000)
    await _run_for(worker, 1.0, wake_every=0.01)
    assert 2 <= worker.passes <= 1 + 1.0 / FOLLOW_INTERVAL + 1
