"""Deadlines through the API and the clock worker, with a moved clock: policies, warnings, breaches,
pauses, escalation, and several workers sweeping at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tests.api.test_contract import assert_problem
from workorders.models import WorkOrder
from workorders.workers import clock as clock_jobs

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock

    Job = Callable[..., Awaitable[int]]


async def run(app: Any, job: Job) -> int:
    async with app.state.db.writer() as session, session.begin():
        return await job(session, app.state.clock, app.state.settings)


async def timeline(client: httpx.AsyncClient, order_id: str, reader: Person) -> list[dict]:
    response = await client.get(f"/v1/work-orders/{order_id}/events", headers=reader.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def next_look(app: Any, order_id: str) -> datetime | None:
    """When the deadline sweep will next look at the order (its `sla_check_at`), in UTC."""
    async with app.state.db.reader() as session:
        check_at = await session.scalar(
            select(WorkOrder.sla_check_at).where(WorkOrder.id == order_id)
        )
    return check_at.astimezone(UTC) if check_at is not None else None


def of_type(events: list[dict], type_: str) -> list[dict]:
    return [e for e in events if e["type"] == type_]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_new_property_starts_with_the_default_policies(
    client: httpx.AsyncClient, community: Community
) -> None:
    response = await client.get("/v1/sla-policies", headers=community.manager.headers)
    assert response.status_code == 200, response.text
    policies = {p["priority"]: p for p in response.json()["items"]}
    assert set(policies) == {"urgent", "high", "normal", "low"}
    assert policies["urgent"]["respond_within"] == "PT15M"
    assert policies["urgent"]["start_within"] == "PT30M"
    assert policies["normal"]["resolve_within"] == "P3D"
    assert policies["low"]["category"] is None
    owner = await client.get("/v1/sla-policies", headers=community.owner.headers)
    assert_problem(owner, 403, "forbidden")


async def test_urgent_order_must_be_answered_within_15_minutes(
    community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "电梯困人了，有人被关在里面！")
    assert order["priority"] == "urgent"
    respond_by = at(order["sla"]["respond_by"]) - at(order["created_at"])
    assert timedelta(0) < respond_by <= timedelta(minutes=15)


async def test_category_policy_wins_and_only_the_manager_sets_policies(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    body = {
        "priority": "normal",
        "category": "garbage",
        "respond_within": "PT1H",
        "start_within": "PT3H",
        "resolve_within": "PT6H",
    }
    refused = await client.post(
        "/v1/sla-policies", json=body, headers=community.eng_supervisor.headers
    )
    assert_problem(refused, 403, "forbidden")
    created = await client.post("/v1/sla-policies", json=body, headers=community.manager.headers)
    assert created.status_code == 201, created.text
    again = await client.post("/v1/sla-policies", json=body, headers=community.manager.headers)
    assert again.status_code == 409
    bad = await client.post(
        "/v1/sla-policies", json=body | {"start_within": "PT10M"}, headers=community.manager.headers
    )
    assert_problem(bad, 422, "validation-error")

    order = await file_order(
        community.cs, "3栋楼下垃圾桶满了", category="garbage", priority="normal"
    )
    assert at(order["sla"]["resolve_by"]) - at(order["created_at"]) == timedelta(hours=6)
    other = await file_order(community.cs, "路灯不亮", category="electrical", priority="high")
    assert at(other["sla"]["resolve_by"]) - at(other["created_at"]) == timedelta(hours=24)

    policy_id = created.json()["id"]
    patched = await client.patch(
        f"/v1/sla-policies/{policy_id}",
        json={"resolve_within": "P1D"},
        headers=community.manager.headers,
    )
    assert patched.json()["resolve_within"] == "P1D"
    deleted = await client.delete(
        f"/v1/sla-policies/{policy_id}", headers=community.manager.headers
    )
    assert deleted.status_code == 204


async def test_warning_and_breach_fire_once_each_and_escalate_supervisor_then_manager(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    order = await file_order(community.cs, "楼道灯坏了", category="electrical", priority="high")
    oid = order["id"]  # high: respond 30 min, start 2 h
    assert await run(app, clock_jobs.sweep_deadlines) == 0

    clock.advance(timedelta(minutes=23))
    assert await run(app, clock_jobs.sweep_deadlines) == 0
    clock.advance(timedelta(minutes=1))  # 24 min = 80% of 30
    assert await run(app, clock_jobs.sweep_deadlines) == 1
    assert await run(app, clock_jobs.sweep_deadlines) == 0
    events = await timeline(client, oid, community.manager)
    [warning] = of_type(events, "work_order.sla_warning")
    assert warning["data"]["deadline"] == "respond"
    assert warning["actor"]["type"] == "system"

    clock.advance(timedelta(minutes=6))  # 30 min: the respond deadline passes
    assert await run(app, clock_jobs.sweep_deadlines) == 1
    assert await run(app, clock_jobs.sweep_deadlines) == 0
    read = (await client.get(f"/v1/work-orders/{oid}", headers=community.manager.headers)).json()
    assert read["sla"]["breached"] == ["respond"]
    assert read["escalation_level"] == 1
    [breach] = of_type(await timeline(client, oid, community.manager), "work_order.sla_breached")
    assert breach["data"]["deadline"] == "respond"
    assert breach["data"]["escalated_to"] == "supervisor"
    assert breach["data"]["notify"] == [community.eng_supervisor.id]

    clock.advance(timedelta(hours=2))  # the start deadline passes too: the manager hears of it
    await run(app, clock_jobs.sweep_deadlines)
    breaches = of_type(await timeline(client, oid, community.manager), "work_order.sla_breached")
    assert [b["data"]["deadline"] for b in breaches] == ["respond", "start"]
    assert breaches[1]["data"]["escalated_to"] == "manager"
    assert breaches[1]["data"]["notify"] == [community.manager.id]
    assert breaches[1]["data"]["escalation_level"] == 2


async def test_a_new_order_waits_for_the_sweep_until_its_first_warning(
    app: Any, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    """Filing sets the sweep's first look at the order's first warning: the sweep does not load,
    check and write back every new order at once only to learn that."""
    order = await file_order(community.cs, "楼道灯坏了", category="electrical", priority="high")
    assert await next_look(app, order["id"]) == at(order["created_at"]) + timedelta(minutes=24)
    due = select(WorkOrder.id).where(WorkOrder.sla_check_at <= clock.now())
    async with app.state.db.reader() as session:
        assert (await session.scalars(due)).all() == []


async def test_after_an_action_the_order_waits_for_the_sweep_until_its_next_warning(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    """An action sets the sweep's next look at what can fire next: claimed (answered) at once, a
    high order's next warning is the start clock's, 80% of two hours. A warning the sweep has
    fired is not on the order: after the next action the sweep looks at once, and fires nothing
    twice."""
    order = await file_order(community.cs, "楼道灯坏了", category="electrical", priority="high")
    oid = order["id"]
    claimed = await client.post(
        f"/v1/work-orders/{oid}/claim", json={}, headers=community.engineer.headers
    )
    assert claimed.status_code == 200, claimed.text
    assert await next_look(app, oid) == at(order["created_at"]) + timedelta(minutes=96)

    clock.advance(timedelta(minutes=96))  # the start clock's warning
    assert await run(app, clock_jobs.sweep_deadlines) == 1
    escalated = await client.post(
        f"/v1/work-orders/{oid}/escalate",
        json={"reason": "还没开工"},
        headers=community.manager.headers,
    )
    assert escalated.status_code == 200, escalated.text
    assert await run(app, clock_jobs.sweep_deadlines) == 0  # looked at once: nothing new
    clock.advance(timedelta(minutes=24))  # two hours: the start deadline passes
    assert await run(app, clock_jobs.sweep_deadlines) == 1
    events = await timeline(client, oid, community.manager)
    assert [e["data"]["deadline"] for e in of_type(events, "work_order.sla_warning")] == ["start"]
    assert [e["data"]["deadline"] for e in of_type(events, "work_order.sla_breached")] == ["start"]


async def test_time_on_hold_does_not_count(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    order = await file_order(community.cs, "楼道灯坏了", category="electrical", priority="urgent")
    oid = order["id"]  # urgent: resolve within 4 h
    for action, body in (("claim", {}), ("start", {}), ("hold", {"reason": "等配件"})):
        response = await client.post(
            f"/v1/work-orders/{oid}/{action}", json=body, headers=community.engineer.headers
        )
        assert response.status_code == 200, response.text
    clock.advance(timedelta(hours=5))  # past the resolve deadline, but on hold
    assert await run(app, clock_jobs.sweep_deadlines) == 0
    resumed = await client.post(
        f"/v1/work-orders/{oid}/resume", json={}, headers=community.engineer.headers
    )
    sla = resumed.json()["sla"]
    assert at(sla["resolve_by"]) - at(order["sla"]["resolve_by"]) == timedelta(hours=5)
    assert sla["paused_for"] == "PT5H"

    clock.advance(timedelta(hours=3, minutes=11))  # 3 h 11 min of 4 h worked: under 80%
    assert await run(app, clock_jobs.sweep_deadlines) == 0
    clock.advance(timedelta(minutes=1))  # 3 h 12 min = 80%
    assert await run(app, clock_jobs.sweep_deadlines) == 1
    [warning] = of_type(await timeline(client, oid, community.manager), "work_order.sla_warning")
    assert warning["data"]["deadline"] == "resolve"


async def test_high_priority_complaint_goes_to_the_manager_at_once(
    app: Any, client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(
        community.cs,
        "投诉保安态度恶劣",
        kind="complaint",
        category="service_complaint",
        priority="high",
    )
    await run(app, clock_jobs.sweep_deadlines)
    await run(app, clock_jobs.sweep_deadlines)
    [escalated] = of_type(
        await timeline(client, order["id"], community.manager), "work_order.escalated"
    )
    assert escalated["data"]["escalated_to"] == "manager"
    assert escalated["data"]["escalation_level"] == 2
    assert escalated["data"]["notify"] == [community.manager.id]


async def test_two_workers_sweeping_at_once_fire_each_event_once(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    orders = [
        await file_order(community.cs, f"{n}号楼路灯坏了", category="electrical", priority="high")
        for n in range(6)
    ]
    clock.advance(timedelta(minutes=25))
    warned = await asyncio.gather(*(run(app, clock_jobs.sweep_deadlines) for _ in range(2)))
    clock.advance(timedelta(minutes=10))
    breached = await asyncio.gather(*(run(app, clock_jobs.sweep_deadlines) for _ in range(2)))
    assert sum(warned) == 6
    assert sum(breached) == 6
    for order in orders:
        events = await timeline(client, order["id"], community.manager)
        assert len(of_type(events, "work_order.sla_warning")) == 1
        assert len(of_type(events, "work_order.sla_breached")) == 1


async def test_unconfirmed_resolved_order_closes_after_72_hours(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    order = await file_order(community.owner, "卫生间下水道堵了")
    oid = order["id"]
    for action, body in (("claim", {}), ("start", {}), ("resolve", {"resolution": "疏通完毕"})):
        response = await client.post(
            f"/v1/work-orders/{oid}/{action}", json=body, headers=community.engineer.headers
        )
        assert response.status_code == 200, response.text
    clock.advance(timedelta(hours=71, minutes=59))
    assert await run(app, clock_jobs.close_unconfirmed) == 0
    clock.advance(timedelta(minutes=1))
    assert await run(app, clock_jobs.close_unconfirmed) == 1
    assert await run(app, clock_jobs.close_unconfirmed) == 0
    read = (await client.get(f"/v1/work-orders/{oid}", headers=community.owner.headers)).json()
    assert read["status"] == "closed"
    [closed] = of_type(await timeline(client, oid, community.owner), "work_order.closed")
    assert closed["actor"] == {"type": "system", "id": None}
    assert closed["data"]["previous_status"] == "resolved"


async def test_settings_hold_the_calendar_and_return_visit_policy(
    client: httpx.AsyncClient, community: Community
) -> None:
    calendar = {"hours": {"mon": [["08:30", "17:30"]]}, "holidays": ["2026-12-07"]}
    body = {"return_visit_policy": "always", "calendar": calendar}
    refused = await client.patch("/v1/sla-settings", json=body, headers=community.cs.headers)
    assert_problem(refused, 403, "forbidden")
    response = await client.patch("/v1/sla-settings", json=body, headers=community.manager.headers)
    assert response.status_code == 200, response.text
    read = (await client.get("/v1/sla-settings", headers=community.cs.headers)).json()
    assert read["return_visit_policy"] == "always"
    assert read["calendar"]["hours"] == {"mon": [["08:30:00", "17:30:00"]]}
    assert read["auto_close_after"] == "P3D"
    bad = await client.patch(
        "/v1/sla-settings",
        json={"calendar": {"hours": {"mon": [["18:00", "09:00"]]}}},
        headers=community.manager.headers,
    )
    assert_problem(bad, 422, "validation-error")
