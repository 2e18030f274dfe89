"""Notifications: each change reaches those who must act on it or know of it, in their own inbox."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tests.api.test_contract import assert_problem
from workorders.workers.deliveries import DeliveryWorker

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock


async def notify(app: Any, clock: ManualClock) -> None:
    """Run the notifier over everything the feed has so far."""
    worker = DeliveryWorker(app.state.db, app.state.settings, clock)
    deadline = asyncio.get_running_loop().time() + 10
    try:
        # On PostgreSQL a transaction still open anywhere in the cluster holds the feed back
        # (services/feed.py): look again until nothing is held back any more.
        while (page := await worker.notify()) is None or page.events or page.held_back:
            if asyncio.get_running_loop().time() > deadline:
                break
            if page is None or not page.events:
                await asyncio.sleep(0.05)
    finally:
        await worker.http.aclose()


async def inbox(client: httpx.AsyncClient, person: Person, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/notifications", params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_each_change_reaches_those_who_must_act_or_know(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    order = await file_order(community.owner, "厨房水管漏水了")
    assert order["queue"] == "engineering"
    assigned = await client.post(
        f"/v1/work-orders/{order['id']}/assign",
        json={"assignee_id": community.engineer.id},
        headers=community.eng_supervisor.headers,
    )
    assert assigned.status_code == 200, assigned.text
    escalated = await client.post(
        f"/v1/work-orders/{order['id']}/escalate",
        json={"reason": "业主第三次来电"},
        headers=community.cs.headers,
    )
    assert escalated.status_code == 200, escalated.text
    await notify(app, clock)

    def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
        return [(n["event_type"], n["reason"], n["count"]) for n in reversed(items)]

    # One unread line per person and order, saying the latest change and how many there were.
    # Customer service hears of every change, except what it did itself.
    assert kinds(await inbox(client, community.cs_supervisor)) == [
        ("work_order.escalated", "customer_service", 3)
    ]
    assert kinds(await inbox(client, community.cs)) == [
        ("work_order.assigned", "customer_service", 2)
    ]
    # The owner, of their order, in words meant for them.
    owner_items = await inbox(client, community.owner)
    assert kinds(owner_items) == [("work_order.assigned", "owner", 1)]
    assert owner_items[0]["title"] == "工单已派单"
    assert order["number"] in owner_items[0]["body"]
    assert "安排工作人员" in owner_items[0]["body"]
    # The assignee and the department's supervisor, of assignments and escalations.
    assert kinds(await inbox(client, community.engineer)) == [
        ("work_order.escalated", "assignee", 2)
    ]
    assert kinds(await inbox(client, community.eng_supervisor)) == [
        ("work_order.escalated", "supervisor", 2)
    ]
    assert kinds(await inbox(client, community.manager)) == [("work_order.escalated", "manager", 1)]
    # Nobody else.
    for person in (community.neighbour, community.guard, community.cleaner, community.engineer2):
        assert await inbox(client, person) == []


async def test_the_owner_hears_in_owner_words_and_marks_read(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    order = await file_order(community.cs, "业主来电：卫生间漏水", owner_id=community.owner.id)
    path = f"/v1/work-orders/{order['id']}"
    for action, body in (
        ("claim", {}),
        ("start", {}),
        ("resolve", {"resolution": "更换了密封圈"}),
    ):
        response = await client.post(
            f"{path}/{action}", json=body, headers=community.engineer.headers
        )
        assert response.status_code == 200, response.text
    await client.post(
        f"{path}/comments",
        json={"body": "内部备注", "visibility": "internal"},
        headers=community.engineer.headers,
    )
    await notify(app, clock)

    [line] = await inbox(client, community.owner, unread="true")
    assert line["event_type"] == "work_order.resolved"
    assert line["count"] == 4  # created, claimed, started, resolved: not the internal comment
    assert line["title"] == "工单待确认"
    assert "请确认" in line["body"]
    assert not line["read"]

    # Someone else's id marks nothing.
    other = await client.post(
        "/v1/notifications/read", json={"ids": [line["id"]]}, headers=community.neighbour.headers
    )
    assert other.json() == {"marked": 0}
    marked = await client.post(
        "/v1/notifications/read", json={"ids": [line["id"]]}, headers=community.owner.headers
    )
    assert marked.json() == {"marked": 1}
    assert await inbox(client, community.owner, unread="true") == []
    # Once read, the next change starts a new line.
    await client.post(
        f"{path}/comments",
        json={"body": "已更换密封圈，请验收"},
        headers=community.engineer.headers,
    )
    await notify(app, clock)
    [fresh] = await inbox(client, community.owner, unread="true")
    assert (fresh["event_type"], fresh["count"]) == ("work_order.commented", 1)
    assert fresh["id"] != line["id"]
    everything = await client.post(
        "/v1/notifications/read", json={"all": True}, headers=community.owner.headers
    )
    assert everything.json() == {"marked": 1}
    assert len(await inbox(client, community.owner)) == 2


async def test_marking_read_needs_ids_or_all(
    client: httpx.AsyncClient, community: Community
) -> None:
    for body in ({}, {"ids": ["ntf_x"], "all": True}, {"all": False}, {"ids": []}):
        response = await client.post(
            "/v1/notifications/read", json=body, headers=community.owner.headers
        )
        assert_problem(response, 422, "validation-error")
