"""A new order's row as the filing writes it (`filing._insert`, one statement on PostgreSQL, three
on SQLite): a column is SQL NULL exactly where the order has no value (a JSON column's missing value
too, not the JSON `null`), and holds the value given where there is one, for orders with and
without the optional fields, an owner's and one filed by staff on an owner's behalf. The order
filing hands back is what it wrote: acted on only once read into the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, select

from tests.conftest import Community, FileOrder
from workorders.auth import DEFAULT_PROPERTY
from workorders.config import Settings
from workorders.db import Database, transaction
from workorders.domain.actors import Principal, Role
from workorders.domain.lifecycle import Action
from workorders.models import WorkOrder
from workorders.schemas import WorkOrderCreate
from workorders.services import transitions, work_orders
from workorders.services.context import Context

_TABLE = cast(Table, WorkOrder.__table__)


async def _stored(db: Database, order_id: str) -> tuple[dict[str, Any], set[str]]:
    """The order's row, and the columns that are SQL NULL in it."""
    query = select(
        *_TABLE.columns, *(c.is_(None).label(f"null_{c.key}") for c in _TABLE.columns)
    ).where(_TABLE.c.id == order_id)
    async with db.read_engine.connect() as connection:
        row = (await connection.execute(query)).one()._mapping
    values = {c.key: row[c] for c in _TABLE.columns}
    return values, {c.key for c in _TABLE.columns if row[f"null_{c.key}"]}


async def test_a_column_is_null_exactly_where_the_new_order_has_no_value(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    c = community
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    full = await file_order(
        c.owner,
        "卫生间的地漏反味，想约个时间上门看看",
        title="地漏反味",
        category="plumbing",
        location={"building": "3", "unit": "2", "room": "1502"},
        preferred_time={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
        },
        contact_phone="13912345678",
    )
    bare = await file_order(c.owner, "楼道灯不亮")
    staff = await client.post(
        "/v1/work-orders",
        json={
            "description": "业主来电：车库入口的道闸抬不起来",
            "owner_id": c.owner.id,
            "contact_phone": "13800001111",
        },
        headers=c.cs.headers,
    )
    assert staff.status_code == 201, staff.text

    shapes = set()
    for order in (full, bare, staff.json()):
        values, nulls = await _stored(db, order["id"])
        assert nulls == {key for key, value in values.items() if value is None}
        assert {"id", "number", "status", "queue", "created_at", "routing"}.isdisjoint(nulls)
        # What no new order has yet (its end, rating, visit, appointment…) is NULL in every one.
        assert {"resolved_at", "closed_at", "rating_score", "appointment", "checklist"} <= nulls
        shapes.add(frozenset(nulls))
    assert len(shapes) == 3, "three orders, each with other columns given"

    values, nulls = await _stored(db, full["id"])
    assert values["contact_phone"] == "13912345678"
    assert values["category"] == "plumbing"
    assert values["location"] == {"building": "3", "unit": "2", "room": "1502"}
    assert values["preferred_time"] is not None
    assert values["title"] == "地漏反味"
    values, nulls = await _stored(db, bare["id"])
    assert {"contact_phone", "preferred_time", "assignee_id"} <= nulls
    # Read back through the API, the bare order is what it always was.
    read = await client.get(f"/v1/work-orders/{bare['id']}", headers=c.owner.headers)
    assert read.json()["contact_phone"] is None
    assert read.json()["preferred_time"] is None


async def test_a_filed_order_is_acted_on_once_read_into_the_session(
    client: httpx.AsyncClient, community: Community, db: Database, settings: Settings
) -> None:
    """Filing hands back what it wrote, not an object of the session (`filing.file`): acting on that
    is refused before anything is written, where a change to it would have been lost at the commit
    with its event recorded; read into the session, the same order is acted on."""
    c = community
    owner = Principal(Role.OWNER, DEFAULT_PROPERTY, c.owner.id)
    manager = Principal(Role.MANAGER, DEFAULT_PROPERTY, c.manager.id)
    async with transaction(db.request_writer) as session:
        now = datetime.now(UTC)
        filed = await work_orders.create(
            Context(session, owner, now, settings), WorkOrderCreate(description="楼道灯不亮")
        )
        as_manager = Context(session, manager, now, settings)
        with pytest.raises(RuntimeError, match="not this session's"):
            await transitions.act(as_manager, filed, Action.ESCALATE, {"reason": "业主催了"})
        held = await session.get(WorkOrder, filed.id)
        assert held is not None
        await transitions.act(as_manager, held, Action.ESCALATE, {"reason": "业主催了"})

    read = await client.get(f"/v1/work-orders/{filed.id}", headers=c.manager.headers)
    assert read.status_code == 200, read.text
    assert read.json()["escalation_level"] == 1
    events = await client.get(f"/v1/work-orders/{filed.id}/events", headers=c.manager.headers)
    assert [e["type"] for e in events.json()["items"]].count("work_order.escalated") == 1
