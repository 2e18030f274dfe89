"""Notifications: each change reaches those who must act on it or know of it, in their own inbox."""

from __future__ import annotations

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
    try:
        while (page := await worker.notify()) is not None and page.events:
            pass
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

    def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(n["event_type"], n["reason"]) for n in reversed(items)]

    # Customer service hears of every change, except what it did itself.
    assert kinds(await inbox(client, community.cs_supervisor)) == [
        ("work_order.created", "customer_service"),
        ("work_order.assigned", "customer_service"),
        ("work_order.escalated", "customer_service"),
    ]
    assert kinds(await inbox(client, community.cs)) == [
        ("work_order.created", "customer_service"),
        ("work_order.assigned", "customer_service"),
    ]
    # The owner, of their order, in words meant for them.
    owner_items = await inbox(client, community.owner)
    assert kinds(owner_items) == [
        ("work_order.assigned", "owner"),
    ]
    assert owner_items[0]["title"] == "工单已派单"
    assert order["number"] in owner_items[0]["body"]
    assert "安排工作人员" in owner_items[0]["body"]
    # The assignee and the department's supervisor, of assignments and escalations.
    assert kinds(await inbox(client, community.engineer)) == [
        ("work_order.assigned", "assignee"),
        ("work_order.escalated", "assignee"),
    ]
    assert kinds(await inbox(client, community.eng_supervisor)) == [
        ("work_order.created", "supervisor"),
        ("work_order.escalated", "supervisor"),
    ]
    assert kinds(await inbox(client, community.manager)) == [("work_order.escalated", "manager")]
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

    items = await inbox(client, community.owner, unread="true")
    assert [n["event_type"] for n in reversed(items)] == [
        "work_order.created",
        "work_order.claimed",
        "work_order.started",
        "work_order.resolved",
    ]
    assert items[0]["title"] == "工单待确认"
    assert "请确认" in items[0]["body"]
    assert all(not n["read"] for n in items)

    marked = await client.post(
        "/v1/notifications/read", json={"ids": [items[0]["id"]]}, headers=community.owner.headers
    )
    assert marked.json() == {"marked": 1}
    assert len(await inbox(client, community.owner, unread="true")) == 3
    # Someone else's id marks nothing.
    other = await client.post(
        "/v1/notifications/read",
        json={"ids": [items[1]["id"]]},
        headers=community.neighbour.headers,
    )
    assert other.json() == {"marked": 0}
    everything = await client.post(
        "/v1/notifications/read", json={"all": True}, headers=community.owner.headers
    )
    assert everything.json() == {"marked": 3}
    assert await inbox(client, community.owner, unread="true") == []
    assert len(await inbox(client, community.owner)) == 4


async def test_marking_read_needs_ids_or_all(
    client: httpx.AsyncClient, community: Community
) -> None:
    for body in ({}, {"ids": ["ntf_x"], "all": True}, {"all": False}, {"ids": []}):
        response = await client.post(
            "/v1/notifications/read", json=body, headers=community.owner.headers
        )
        assert_problem(response, 422, "validation-error")
