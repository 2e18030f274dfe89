"""A live stream too slow to keep up loses its queue and reads what it missed from the database: it
never waits for batches that will not come, and it gets every event once, in order.

Driven through `fanout.stream` on the app's own follower, with a backlog of two batches: a real
client that stops reading fills the sockets' buffers long before a hundred batches wait."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from workorders.domain.actors import Principal, Role
from workorders.services import fanout, feed

if TYPE_CHECKING:
    import pytest

    from tests.conftest import Community, FileOrder
    from workorders.services.feed import Position

WAIT = 10.0
ORDERS = 6


async def _moved(follower: fanout.Follower, since: Position) -> None:
    """Until the follower has read past `since` (it hands each read to its subscribers at once)."""
    async with asyncio.timeout(WAIT):
        while await follower.now() == since:  # noqa: ASYNC110 - the follower offers no event to wait on
            await asyncio.sleep(0.01)


async def test_a_stream_that_falls_behind_catches_up_from_the_database(
    app: Any, community: Community, file_order: FileOrder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "BACKLOG", 2)
    follower: fanout.Follower = app.state.follower
    interest = fanout.Interest(Principal(Role.MANAGER, "default"))
    batches = fanout.stream(app.state.db, follower, interest, start=await follower.now())
    try:
        first = asyncio.create_task(anext(batches))
        await asyncio.sleep(0.05)  # subscribed
        filed = [(await file_order(community.owner, "厨房水龙头漏水"))["id"]]
        opening = await asyncio.wait_for(first, WAIT)
        seen = list(opening.events) if opening is not None else []

        # The stream is parked at its yield: every batch the follower reads now waits in its queue,
        # until the third finds the queue full.
        for n in range(ORDERS - 1):
            since = await follower.now()
            filed.append((await file_order(community.owner, f"第{n + 2}个报修：门锁坏了"))["id"])
            await _moved(follower, since)

        async with asyncio.timeout(WAIT):
            while not set(filed) <= {e.work_order_id for e in seen}:
                batch = await anext(batches)
                seen += batch.events if batch is not None else []
    finally:
        await batches.aclose()

    positions = [feed.position_of(event) for event in seen]
    assert positions == sorted(positions), "in order"
    assert len({event.id for event in seen}) == len(seen), "each event once"
    assert {event.work_order_id for event in seen} == set(filed)
