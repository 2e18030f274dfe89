"""Order numbers (`WO-20261128-0001`): one per order, counted per property and day without gaps, also
when many are filed at once, and written into the order's `work_order.created` event."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder


async def test_orders_filed_at_once_are_numbered_one_after_another(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    first = await file_order(c.owner, "厨房水龙头漏水")
    # Some with an Idempotency-Key: on PostgreSQL those file in a transaction, the others in one
    # statement of their own; both take the same counter.
    keyed = [f"numbers-{n}" for n in range(4)]
    orders = await asyncio.gather(
        *(file_order(c.owner, "卫生间下水道堵了") for _ in range(8)),
        *(
            client.post(
                "/v1/work-orders",
                json={"description": "阳台灯不亮"},
                headers=c.owner.headers | {"Idempotency-Key": key},
            )
            for key in keyed
        ),
    )
    for response in orders[8:]:
        assert not isinstance(response, dict) and response.status_code == 201, response
    bodies = [o if isinstance(o, dict) else o.json() for o in orders]

    prefix, start = first["number"].rsplit("-", 1)
    numbers = sorted(b["number"] for b in bodies)
    assert numbers == [f"{prefix}-{int(start) + n:04d}" for n in range(1, 13)]
    for body in bodies[::3]:
        response = await client.get(
            f"/v1/work-orders/{body['id']}/events", headers=c.manager.headers
        )
        created = response.json()["items"][0]
        assert created["type"] == "work_order.created"
        assert created["data"]["number"] == body["number"]
