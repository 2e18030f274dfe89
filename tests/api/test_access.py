"""The live stream filters in Python what the lists filter in SQL: `access.sees` must agree with
`access.visible_to` for every kind of caller, or a stream would show (or hide) what a list does not."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tests.conftest import Community, FileOrder
from workorders.db import Database
from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import Department
from workorders.models import WorkOrder
from workorders.services.access import sees, visible_to


async def test_sees_agrees_with_visible_to(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    c = community
    leak = await file_order(c.owner, "厨房水管漏水，地上都是水")
    await file_order(c.neighbour, "楼上装修噪音太大")
    await file_order(c.cs, "业主来电：地下车库有人乱停车")
    claimed = await client.post(
        f"/v1/work-orders/{leak['id']}/claim", json={}, headers=c.engineer.headers
    )
    assert claimed.status_code == 200
    follow_up = await client.post(
        f"/v1/work-orders/{leak['id']}/follow-ups",
        json={"queue": "cleaning", "description": "走廊积水需要清理"},
        headers=c.engineer.headers,
    )
    assert follow_up.status_code == 201, follow_up.text

    principals = [
        Principal(Role.OWNER, "default", sub=c.owner.id),
        Principal(Role.OWNER, "default", sub=c.neighbour.id),
        Principal(Role.STAFF, "default", sub=c.engineer.id, dept=Department.ENGINEERING),
        Principal(Role.STAFF, "default", sub=c.engineer2.id, dept=Department.ENGINEERING),
        Principal(Role.STAFF, "default", sub=c.guard.id, dept=Department.SECURITY),
        Principal(Role.STAFF, "default", sub=c.cleaner.id, dept=Department.CLEANING),
        Principal(Role.STAFF, "default", sub=c.cs.id, dept=Department.CUSTOMER_SERVICE),
        Principal(Role.MANAGER, "default", sub=c.manager.id),
        Principal(Role.MANAGER, "elsewhere", sub=c.manager.id),
    ]
    async with db.reader() as session, session.begin():
        orders = list((await session.execute(select(WorkOrder))).scalars())
        for principal in principals:
            in_sql = set(
                (await session.execute(select(WorkOrder.id).where(visible_to(principal)))).scalars()
            )
            in_python = {
                o.id
                for o in orders
                if sees(
                    principal, o.property_id, (o.owner_id, o.queue, o.assignee_id, o.reporter_id)
                )
            }
            assert in_python == in_sql, principal
