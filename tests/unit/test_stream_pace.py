"""The live stream follower's pace: however often commits wake it, it reads the feed once every `PACE`
at most, so one read and one write per stream serve every event of the interval; woken after a quiet
spell it reads at once (after the signal's settling); a full page is read on at once. And the signal's
`wait(until=...)` that both followers pace themselves with; and a stream that joins a round read
without the orders' access is sent to read that round itself."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from workorders.config import Settings
from workorders.domain.actors import Principal, Role
from workorders.services import fanout, feed
from workorders.services.fanout import PACE, Follower, Interest
from workorders.services.live import EventSignal


class _Session:
    """What `db.transaction` asks of a session: to begin, and to end (commit and close); its `info`
    says whether it wrote events."""

    sync_session = SimpleNamespace(begin=lambda: None, info={})

    async def run_sync(self, _end: Any, **_: Any) -> None:
        return None


class _Database:
    """What the follower asks of the database: reader sessions, each in a transaction."""

    def reader(self) -> _Session:
        return _Session()


class Reads:
    """Stands in for `feed.read`: counts the reads and when they happened; the first `full` find a
    full page."""

    def __init__(self, full: int = 0) -> None:
        self.at: list[float] = []
        self.full = full

    async def __call__(
        self, _session: Any, *, after: feed.Position, limit: int, **_: Any
    ) -> feed.Page:
        self.at.append(asyncio.get_running_loop().time())
        event = SimpleNamespace(type="work_order.created", work_order_id=None, property_id="prop_1")
        events = [event] * limit if len(self.at) <= self.full else []
        return feed.Page(events, after, held_back=False)  # type: ignore[arg-type]


@pytest.fixture
def signal() -> EventSignal:
    return EventSignal(Settings(database_url="sqlite+aiosqlite:///:memory:"), settle=0.0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    counted = Reads()

    async def no_orders(_session: Any, _events: Any) -> dict[str, Any]:
        return {}

    async def head(_session: Any) -> feed.Position:
        return feed.Position(0, 0)

    monkeypatch.setattr(feed, "read", counted)
    monkeypatch.setattr(feed, "head", head)
    monkeypatch.setattr(fanout, "_orders", no_orders)
    return counted


async def _following(signal: EventSignal) -> tuple[Follower, fanout.Subscriber]:
    follower = Follower(_Database(), signal, poll=30.0, heartbeat=30.0)  # type: ignore[arg-type]
    interest = Interest(Principal(Role.MANAGER, "prop_1"), types=("nothing.*",))
    return follower, await follower.subscribe(interest)


async def test_a_wake_every_10_ms_is_one_read_per_pace(signal: EventSignal, reads: Reads) -> None:
    follower, _subscriber = await _following(signal)
    try:
        for _ in range(100):
            await asyncio.sleep(0.01)
            signal.wake()
    finally:
        await follower.stop()
    # One read at the start, then one per PACE: never one per wake (100 of them).
    assert 2 <= len(reads.at) <= 1 + 1.0 / PACE + 1


async def test_woken_after_a_quiet_spell_it_reads_at_once(
    signal: EventSignal, reads: Reads
) -> None:
    follower, _subscriber = await _following(signal)
    try:
        await asyncio.sleep(PACE + 0.1)
        woken = asyncio.get_running_loop().time()
        signal.wake()
        await asyncio.sleep(PACE / 2)
    finally:
        await follower.stop()
    assert len(reads.at) == 2
    assert reads.at[1] - woken < PACE / 2


async def test_a_full_page_is_read_on_at_once(
    signal: EventSignal, reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "PACE", 10.0)  # the pace would hold it back
    reads.full = 20
    follower, subscriber = await _following(signal)
    try:
        await asyncio.sleep(0.3)
    finally:
        await follower.stop()
    assert len(reads.at) == 21
    assert subscriber.queue.qsize() == 21  # every page handed over (nothing wanted in any)


async def test_wait_woken_returns_true_but_not_before_until(signal: EventSignal) -> None:
    loop = asyncio.get_running_loop()
    token = signal.token()
    loop.call_later(0.01, signal.wake)
    started = loop.time()

    assert await signal.wait(token, 5.0, until=started + 0.2)
    assert loop.time() - started >= 0.2


async def test_wait_unwoken_returns_false_at_the_later_of_seconds_and_until(
    signal: EventSignal,
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()

    assert not await signal.wait(signal.token(), 0.05, until=started + 0.2)
    assert loop.time() - started >= 0.2
    started = loop.time()
    assert not await signal.wait(signal.token(), 0.1, until=started)
    assert 0.1 <= loop.time() - started < 0.2


class _JoinAtTheEnd(_Database):
    """A database whose second transaction (the follower's first round; the first reads the feed's
    head), as it ends, lets another stream join: after the round decided whether to read the
    orders, before it hands its batches over."""

    def __init__(self, join: Any) -> None:
        self.joins = [None, join]

    def reader(self) -> _Session:
        join = self.joins.pop(0) if self.joins else None

        class Ending(_Session):
            async def run_sync(self, _end: Any, **_: Any) -> None:
                if join is not None:
                    await join()

        return Ending()


async def test_an_owner_joining_a_round_read_without_the_orders_reads_it_from_the_database(
    signal: EventSignal, reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    async def orders(_session: Any, events: list[Any]) -> dict[str, Any]:
        asked.append(len(events))
        return {}

    monkeypatch.setattr(fanout, "_orders", orders)
    owners = Interest(Principal(Role.OWNER, "prop_1", sub="own_1"))
    joined: list[fanout.Subscriber] = []

    async def join() -> None:
        joined.append(await follower.subscribe(owners))

    follower = Follower(_JoinAtTheEnd(join), signal, poll=30.0, heartbeat=30.0)  # type: ignore[arg-type]
    manager = Interest(Principal(Role.MANAGER, "prop_1"))
    try:
        await follower.subscribe(manager)  # sees the whole property: the round reads no orders
        await asyncio.sleep(0.05)
        [owner] = joined
        # The owner's stream was not handed a batch filtered without its orders: it was told to
        # read the round's events itself, from its own position (as a stream that fell behind).
        assert [owner.queue.get_nowait()] == [fanout.Note.BEHIND]
        assert asked == []
        # A round with an owner's stream among its subscribers reads the orders.
        await follower.subscribe(owners)
        signal.wake()
        await asyncio.sleep(PACE + 0.1)
        assert asked
    finally:
        await follower.stop()
