"""Several delivery workers on one database: every event reaches the receiver at least once, no
delivery is ever sent by two workers at the same time, and each order's events arrive in order."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from tests.api.test_webhooks import HOOK, add_endpoint
from tests.api.test_webhooks import open_settings as open_settings  # a fixture
from tests.api.webhook_receiver import Receiver
from workorders.db import Database, new_id
from workorders.models import Event, WorkOrder
from workorders.services.events import order_facts
from workorders.workers.deliveries import DeliveryWorker

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock
    from workorders.config import Settings

WORKERS = 3
EVENTS = 500
ORDERS = 20
WRITERS = 8


async def _write_events(db: Database, orders: list[WorkOrder], count: int, at: Any) -> list[str]:
    """`count` more events on `orders`, in small transactions, as the requests of a busy day would."""
    written = []
    for start in range(0, count, 5):
        async with db.writer() as session, session.begin():
            for n in range(start, min(start + 5, count)):
                order = orders[n % len(orders)]
                event = Event(
                    id=new_id("evt"),
                    property_id=order.property_id,
                    work_order_id=order.id,
                    type="work_order.commented",
                    actor_type="system",
                    data=order_facts(order) | {"visibility": "public"},
                    occurred_at=at,
                )
                session.add(event)
                written.append(event.id)
    return written


async def test_three_workers_deliver_every_event_and_never_one_twice_at_once(
    database_url: str,
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    open_settings: Settings,
    clock: ManualClock,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip(
            "several worker processes sharing one database is the PostgreSQL deployment; on SQLite "
            "the workers run inside the one `serve` process (lease takeover is tested on both)"
        )
    receiver = Receiver()
    await add_endpoint(client, community, receiver, HOOK)
    for n in range(ORDERS):
        await file_order(community.owner, f"第{n}号报修：门锁坏了")
    async with app.state.db.reader() as session:
        orders = list((await session.execute(select(WorkOrder))).scalars())

    databases = [Database(open_settings) for _ in range(WORKERS)]
    clients = [receiver.client() for _ in range(WORKERS)]
    workers = [
        DeliveryWorker(database, open_settings, clock, http=http)
        for database, http in zip(databases, clients, strict=True)
    ]
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        per_writer = (EVENTS - ORDERS) // WRITERS
        batches = await asyncio.gather(
            *(
                _write_events(databases[n % WORKERS], orders, per_writer, clock.now())
                for n in range(WRITERS)
            )
        )
        async with asyncio.timeout(15):
            async with app.state.db.reader() as session:
                expected = set(
                    (
                        await session.execute(
                            select(Event.id).where(Event.type.like("work_order.%"))
                        )
                    ).scalars()
                )
            assert len(expected) >= EVENTS
            await receiver.wait_for(expected)

    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for http in clients:
            await http.aclose()
        for database in databases:
            await database.dispose()

    assert sum(len(b) for b in batches) == EVENTS - ORDERS
    assert receiver.overlapping == 0
    assert set(receiver.ids()) >= expected

    # In order per work order: each event's first delivery comes after those of the order's earlier
    # events, in feed order ((txid, seq) on PostgreSQL; seq on SQLite, where txid is NULL).
    async with app.state.db.reader() as session:
        rows = (
            await session.execute(
                select(Event.id, Event.work_order_id)
                .where(Event.type.like("work_order.%"))
                .order_by(Event.txid, Event.seq)
            )
        ).all()
    first_seen: dict[str, int] = {}
    for position, call in enumerate(receiver.calls):
        first_seen.setdefault(call.webhook_id, position)
    by_order: dict[str, list[str]] = defaultdict(list)
    for event_id, order_id in rows:
        if order_id is not None:
            by_order[order_id].append(event_id)
    assert len(by_order) == ORDERS
    for ids in by_order.values():
        assert sorted(ids, key=first_seen.__getitem__) == ids
