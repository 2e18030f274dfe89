"""The follower's hand-over to one live stream: its batches, the keep-alive it is owed when it has had
nothing for a heartbeat, and the news that it fell too far behind, which must always fit; and a batch
handed to several streams, written once for each audience."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from workorders.api.events import _wire
from workorders.domain.actors import Principal, Role
from workorders.services.fanout import BACKLOG, Batch, Interest, Note, Subscriber
from workorders.services.feed import Position

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy import Row

HEARTBEAT = 15.0
AFTER = Position(0, 1)
# offer() only counts and forwards what it is given.
BATCH = Batch([cast("Row[Any]", object())])
NOTHING = Batch([])


def _subscriber(quiet_since: float = 100.0) -> Subscriber:
    interest = Interest(Principal(Role.MANAGER, "prop_1"))
    return Subscriber(interest, Position(0, 0), quiet_since=quiet_since)


def _drained(subscriber: Subscriber) -> list[object]:
    items: list[object] = []
    while not subscriber.queue.empty():
        items.append(subscriber.queue.get_nowait())
    return items


def test_a_batch_it_wants_is_handed_over_and_restarts_its_quiet() -> None:
    subscriber = _subscriber()

    assert subscriber.offer(BATCH, AFTER, now=200.0, heartbeat=HEARTBEAT)

    assert _drained(subscriber) == [(BATCH, AFTER)]
    assert subscriber.quiet_since == 200.0


def test_nothing_wanted_within_a_heartbeat_only_moves_its_position() -> None:
    subscriber = _subscriber(quiet_since=100.0)

    assert subscriber.offer(NOTHING, AFTER, now=100.0 + HEARTBEAT - 0.1, heartbeat=HEARTBEAT)

    assert _drained(subscriber) == [(NOTHING, AFTER)]
    assert subscriber.quiet_since == 100.0


def test_a_heartbeat_without_anything_wanted_brings_a_keep_alive_once() -> None:
    subscriber = _subscriber(quiet_since=100.0)
    due = 100.0 + HEARTBEAT

    assert subscriber.offer(NOTHING, AFTER, now=due, heartbeat=HEARTBEAT)
    assert subscriber.offer(NOTHING, AFTER, now=due + 1.0, heartbeat=HEARTBEAT)

    assert _drained(subscriber) == [Note.QUIET, (NOTHING, AFTER), (NOTHING, AFTER)]
    assert subscriber.quiet_since == due


def test_a_full_queue_refuses_and_the_news_that_it_fell_behind_still_fits() -> None:
    subscriber = _subscriber()
    for _ in range(BACKLOG):
        assert subscriber.offer(BATCH, AFTER, now=200.0, heartbeat=HEARTBEAT)

    assert not subscriber.offer(BATCH, AFTER, now=200.0, heartbeat=HEARTBEAT)
    subscriber.drop()

    # What waited is read again from the database from the stream's own position.
    assert _drained(subscriber) == [Note.BEHIND]


async def test_a_batch_is_written_once_per_audience_and_owners_get_the_owners_copy() -> None:
    reason = "这家业主太难缠"
    declined = SimpleNamespace(
        id="evt_1",
        property_id="prop_1",
        work_order_id="wo_1",
        type="work_order.declined",
        actor_type="staff",
        actor_id="stf_1",
        data={"status": "queued", "queue": "engineering", "reason": reason},
        occurred_at=datetime(2026, 12, 5, tzinfo=UTC),
        txid=0,
        seq=7,
    )
    batch = Batch([cast("Row[Any]", declined)])

    async def written(for_owner: bool) -> bytes:
        async def handed() -> AsyncIterator[Batch | None]:
            yield batch

        [wire] = [chunk async for chunk in _wire(handed(), for_owner=for_owner)]
        return wire

    staff, owners, again = await written(False), await written(True), await written(False)

    assert reason.encode() in staff
    assert reason.encode() not in owners and b'"status":"queued"' in owners
    assert again is staff  # the second stream of an audience gets what the first made
