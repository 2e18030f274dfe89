"""Return visits (回访): the property's policy, poor ratings, and customer service recording outcomes."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tests.api.test_contract import assert_problem
from tests.api.test_sla import of_type, run, timeline
from workorders.workers import clock as clock_jobs

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock


async def _resolved(client: httpx.AsyncClient, community: Community, file_order: FileOrder) -> str:
    order = await file_order(community.owner, "卫生间下水道堵了")
    for action, body in (("claim", {}), ("start", {}), ("resolve", {"resolution": "疏通完毕"})):
        response = await client.post(
            f"/v1/work-orders/{order['id']}/{action}", json=body, headers=community.engineer.headers
        )
        assert response.status_code == 200, response.text
    return order["id"]


async def _pending(client: httpx.AsyncClient, community: Community) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/return-visits", params={"status": "pending"}, headers=community.cs.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_auto_closed_unrated_order_gets_a_return_visit_once(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    oid = await _resolved(client, community, file_order)
    clock.advance(timedelta(hours=72))
    await run(app, clock_jobs.close_unconfirmed)
    assert await run(app, clock_jobs.open_return_visits) == 1
    assert await run(app, clock_jobs.open_return_visits) == 0
    [visit] = await _pending(client, community)
    assert visit["work_order_id"] == oid
    assert visit["reason"] == "policy"

    owner = await client.get("/v1/return-visits", headers=community.owner.headers)
    assert_problem(owner, 403, "forbidden")
    done = await client.post(
        f"/v1/return-visits/{visit['id']}/complete",
        json={"outcome": "satisfied", "score": 5, "note": "业主表示满意"},
        headers=community.cs.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    assert done.json()["visited_by"] == community.cs.id
    again = await client.post(
        f"/v1/return-visits/{visit['id']}/complete",
        json={"outcome": "satisfied"},
        headers=community.cs.headers,
    )
    assert_problem(again, 409)
    assert await _pending(client, community) == []
    staff_view = await timeline(client, oid, community.manager)
    assert len(of_type(staff_view, "work_order.return_visited")) == 1
    owner_view = await timeline(client, oid, community.owner)
    assert of_type(owner_view, "work_order.return_visited") == []


async def test_a_rating_of_two_opens_a_follow_up_and_tells_the_supervisor(
    app: Any, client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    oid = await _resolved(client, community, file_order)
    confirmed = await client.post(
        f"/v1/work-orders/{oid}/confirm",
        json={"rating": 2, "comment": "还是有点堵"},
        headers=community.owner.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert await run(app, clock_jobs.open_return_visits) == 1
    [visit] = await _pending(client, community)
    assert visit["reason"] == "low_rating"
    [opened] = of_type(
        await timeline(client, oid, community.manager), "work_order.follow_up_opened"
    )
    assert opened["data"]["escalated_to"] == "supervisor"
    assert opened["data"]["notify"] == [community.eng_supervisor.id]


async def test_policy_decides_for_well_rated_orders(
    app: Any, client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    rated = await _resolved(client, community, file_order)
    await client.post(
        f"/v1/work-orders/{rated}/confirm", json={"rating": 5}, headers=community.owner.headers
    )
    assert await run(app, clock_jobs.open_return_visits) == 0  # default policy: unrated only

    response = await client.patch(
        "/v1/sla-settings",
        json={"return_visit_policy": "always"},
        headers=community.manager.headers,
    )
    assert response.status_code == 200, response.text
    another = await _resolved(client, community, file_order)
    await client.post(
        f"/v1/work-orders/{another}/confirm", json={"rating": 5}, headers=community.owner.headers
    )
    assert await run(app, clock_jobs.open_return_visits) == 1
    assert [v["work_order_id"] for v in await _pending(client, community)] == [another]
