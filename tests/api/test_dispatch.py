"""Dispatch strategies through the API: who gets the order, who is skipped and why."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

from tests.api.test_contract import assert_problem

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person

LEAK = "卫生间下水道堵了，水排不下去"


async def _set(client: httpx.AsyncClient, person: Person, queue: str, strategy: str) -> None:
    response = await client.put(
        f"/v1/queues/{queue}/dispatch", json={"strategy": strategy}, headers=person.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["strategy"] == strategy


async def _staff(client: httpx.AsyncClient, c: Community, person: Person, **changes: Any) -> None:
    response = await client.patch(f"/v1/staff/{person.id}", json=changes, headers=c.admin.headers)
    assert response.status_code == 200, response.text


async def _events(client: httpx.AsyncClient, c: Community, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/work-orders/{order_id}/events", headers=c.manager.headers)
    return response.json()["items"]


def _turns(c: Community) -> tuple[Person, Person]:
    """The engineers in directory order: by joining time, then id (the test clock stands still)."""
    first, second = sorted((c.engineer, c.engineer2), key=lambda p: p.id or "")
    return first, second


async def _act(client: httpx.AsyncClient, person: Person, oid: str, action: str, body: dict) -> httpx.Response:  # fmt: skip
    return await client.post(f"/v1/work-orders/{oid}/{action}", json=body, headers=person.headers)


async def test_round_robin_takes_turns_and_writes_its_decision(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    first, second = _turns(c)
    await _set(client, c.eng_supervisor, "engineering", "round_robin")

    orders = [await file_order(c.owner, LEAK) for _ in range(3)]

    assert [o["assignee_id"] for o in orders] == [first.id, second.id, first.id]
    assert all(o["status"] == "assigned" for o in orders)
    assigned = [e for e in await _events(client, c, orders[1]["id"]) if e["type"] == "work_order.assigned"]  # fmt: skip
    assert len(assigned) == 1
    assert assigned[0]["actor"] == {"type": "system", "id": None}
    assert assigned[0]["data"]["dispatch"] == {
        "strategy": "round_robin",
        "candidates": [second.id, first.id],
        "excluded": [],
        "chosen": second.id,
    }
    assert orders[0]["sla"]["responded_at"] is not None


async def test_skipped_staff_are_named_with_their_reason(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    await _set(client, c.manager, "engineering", "least_loaded")
    await _staff(client, c, c.engineer, on_duty=False)

    order = await file_order(c.owner, LEAK)

    assert order["assignee_id"] == c.engineer2.id
    assigned = next(e for e in await _events(client, c, order["id"]) if e["type"] == "work_order.assigned")  # fmt: skip
    assert assigned["data"]["dispatch"]["excluded"] == [
        {"staff_id": c.engineer.id, "reason": "off duty"}
    ]


async def test_least_loaded_takes_whoever_has_least_open_work(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    first = await file_order(c.owner, LEAK)
    assert (await _act(client, c.engineer, first["id"], "claim", {})).status_code == 200
    await _set(client, c.eng_supervisor, "engineering", "least_loaded")

    order = await file_order(c.owner, LEAK)

    assert order["assignee_id"] == c.engineer2.id


async def test_nobody_with_the_skill_leaves_it_queued_and_tells_the_supervisor(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    await _set(client, c.eng_supervisor, "engineering", "round_robin")
    lifts = {"name": "电梯需持证", "when": {"keywords": ["电梯"]}, "then": {"queue": "engineering", "skills": ["elevator"]}, "position": 0}  # fmt: skip
    assert (
        await client.post("/v1/routing-rules", json=lifts, headers=c.manager.headers)
    ).is_success

    stuck = await file_order(c.owner, "3号楼电梯按钮失灵")

    assert (stuck["status"], stuck["assignee_id"]) == ("queued", None)
    told = next(e for e in await _events(client, c, stuck["id"]) if e["type"] == "work_order.needs_assignment")  # fmt: skip
    assert told["data"]["notify"] == {"role": "supervisor", "queue": "engineering"}
    assert told["data"]["dispatch"]["excluded"] == [
        {"staff_id": p.id, "reason": "lacks skills: elevator"} for p in _turns(c)
    ]
    # The supervisor's own view of the order shows it waiting, and they can hand it out by hand.
    seen = await client.get(f"/v1/work-orders/{stuck['id']}", headers=c.eng_supervisor.headers)
    assert "assign" in seen.json()["allowed_actions"]

    await _staff(client, c, c.engineer2, skills=["elevator"])
    assert (await file_order(c.owner, "电梯门关不上"))["assignee_id"] == c.engineer2.id


async def test_a_decline_goes_to_someone_else_never_straight_back(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    first, second = _turns(c)
    await _set(client, c.eng_supervisor, "engineering", "round_robin")
    order = await file_order(c.owner, LEAK)
    assert order["assignee_id"] == first.id

    declined = await _act(client, first, order["id"], "decline", {"reason": "不在小区"})

    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["assignee_id"]) == ("assigned", second.id)
    again = await _act(client, second, order["id"], "decline", {"reason": "工具不够"})
    assert (again.json()["status"], again.json()["assignee_id"]) == ("queued", None)
    events = await _events(client, c, order["id"])
    assert [e["type"] for e in events] == [
        "work_order.created",
        "work_order.assigned",
        "work_order.declined",
        "work_order.assigned",
        "work_order.declined",
        "work_order.needs_assignment",
    ]
    assert events[2]["data"]["reason"] == "不在小区"
    assert events[3]["data"]["dispatch"]["excluded"] == [
        {"staff_id": first.id, "reason": "declined this order"}
    ]
    assert events[5]["data"]["dispatch"]["excluded"] == [
        {"staff_id": p.id, "reason": "declined this order"} for p in (first, second)
    ]


async def test_claims_need_duty_and_room_and_a_claim_queue(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    await _staff(client, c, c.engineer, max_open=1)
    first, second = await file_order(c.owner, LEAK), await file_order(c.owner, LEAK)
    assert (await _act(client, c.engineer, first["id"], "claim", {})).status_code == 200

    full = assert_problem(await _act(client, c.engineer, second["id"], "claim", {}), 403)
    assert full["detail"] == "您不能接此工单：您手上的工单已满（1/1）"
    english = await client.post(
        f"/v1/work-orders/{second['id']}/claim",
        json={},
        headers=c.engineer.headers | {"Accept-Language": "en"},
    )
    assert "you are at capacity (1/1 open)" in assert_problem(english, 403)["detail"]

    await _staff(client, c, c.engineer2, on_duty=False)
    away = assert_problem(await _act(client, c.engineer2, second["id"], "claim", {}), 403)
    assert away["detail"] == "您不能接此工单：您不在班"

    await _set(client, c.eng_supervisor, "engineering", "manual")
    await _staff(client, c, c.engineer2, on_duty=True)
    manual = await file_order(c.owner, LEAK)
    seen = await client.get(f"/v1/work-orders/{manual['id']}", headers=c.engineer2.headers)
    assert "claim" not in seen.json()["allowed_actions"]
    assert_problem(await _act(client, c.engineer2, manual["id"], "claim", {}), 403)
    assigned = await _act(client, c.eng_supervisor, manual["id"], "assign", {"assignee_id": c.engineer2.id})  # fmt: skip
    assert assigned.json()["assignee_id"] == c.engineer2.id
    # An order queued while the queue was "claim" keeps its strategy.
    assert (await _act(client, c.engineer2, second["id"], "claim", {})).status_code == 200


async def test_only_the_manager_admin_or_own_supervisor_set_a_queue(
    client: httpx.AsyncClient, community: Community
) -> None:
    c = community
    for person in (c.sec_supervisor, c.engineer, c.cs):
        response = await client.put(
            "/v1/queues/engineering/dispatch", json={"strategy": "manual"}, headers=person.headers
        )
        assert_problem(response, 403)
    await _set(client, c.admin, "cleaning", "least_loaded")
    listed = (await client.get("/v1/queues/dispatch", headers=c.cs.headers)).json()["items"]
    assert {i["queue"]: i["strategy"] for i in listed} == {
        "engineering": "claim",
        "security": "claim",
        "cleaning": "least_loaded",
        "customer_service": "claim",
    }


async def test_a_transfer_clears_the_assignee_keeps_the_note_and_dispatches_anew(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    await _set(client, c.manager, "cleaning", "round_robin")
    order = await file_order(c.owner, LEAK)
    assert (await _act(client, c.engineer, order["id"], "claim", {})).status_code == 200

    moved = await _act(client, c.cs, order["id"], "route", {"queue": "cleaning", "note": "是公区地面积水"})  # fmt: skip

    assert moved.status_code == 200, moved.text
    assert (moved.json()["queue"], moved.json()["assignee_id"]) == ("cleaning", c.cleaner.id)
    routed = next(e for e in await _events(client, c, order["id"]) if e["type"] == "work_order.routed")  # fmt: skip
    assert (routed["data"]["note"], routed["data"]["assignee_id"]) == ("是公区地面积水", None)


async def test_concurrent_orders_are_shared_out_evenly(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    await _set(client, c.eng_supervisor, "engineering", "round_robin")

    orders = await asyncio.gather(*(file_order(c.owner, LEAK) for _ in range(6)))

    assert Counter(o["assignee_id"] for o in orders) == {c.engineer.id: 3, c.engineer2.id: 3}


async def test_a_queues_list_is_its_open_orders_by_priority_then_age(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: Any
) -> None:
    c = community
    from datetime import timedelta

    normal = await file_order(c.owner, LEAK)
    clock.advance(timedelta(minutes=1))
    urgent = await file_order(c.owner, "厨房水管爆了，水喷得到处都是")
    clock.advance(timedelta(minutes=1))
    later = await file_order(c.owner, LEAK)
    done = await file_order(c.owner, LEAK)
    await _act(client, c.eng_supervisor, done["id"], "cancel", {"reason": "重复"})
    await file_order(c.owner, "楼道里垃圾没人清")

    listed = await client.get("/v1/queues/engineering/work-orders", headers=c.engineer.headers)

    assert [o["id"] for o in listed.json()["items"]] == [urgent["id"], normal["id"], later["id"]]
