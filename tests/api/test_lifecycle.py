"""The work-order lifecycle through HTTP, on every database backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder


async def act(
    client: httpx.AsyncClient, person: object, order_id: str, action: str, body: dict | None = None
) -> httpx.Response:
    return await client.post(
        f"/v1/work-orders/{order_id}/{action}", json=body or {}, headers=person.headers
    )


async def test_burst_pipe_from_report_to_rating(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    order = await file_order(c.owner, "厨房水管爆了")
    assert order["status"] == "queued"
    assert order["queue"] == "engineering"
    assert order["priority"] in ("urgent", "high")
    assert order["owner_id"] == c.owner.id
    assert order["number"].startswith("WO-")
    assert order["routing"]["reason"]
    assert order["allowed_actions"] == ["cancel"]

    steps = [
        (c.engineer, "claim", {}, "assigned"),
        (c.engineer, "start", {}, "in_progress"),
        (c.engineer, "resolve", {"resolution": "更换了爆裂的水管"}, "resolved"),
        (c.owner, "confirm", {"rating": 5, "comment": "修得很快"}, "closed"),
    ]
    for person, action, body, status in steps:
        response = await act(client, person, order["id"], action, body)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
        assert response.headers["ETag"] == f'"{response.json()["version"]}"'

    final = (await client.get(f"/v1/work-orders/{order['id']}", headers=c.owner.headers)).json()
    assert final["assignee_id"] == c.engineer.id
    assert final["rating"] == {"score": 5, "comment": "修得很快"}
    assert final["sla"]["responded_at"] is not None
    assert final["sla"]["resolved_at"] is not None
    assert final["status_label"] == "已完成"

    timeline = await client.get(f"/v1/work-orders/{order['id']}/events", headers=c.owner.headers)
    assert timeline.status_code == 200
    events = timeline.json()["items"]
    assert [e["type"] for e in events] == [
        "work_order.created",
        "work_order.claimed",
        "work_order.started",
        "work_order.resolved",
        "work_order.confirmed",
    ]
    assert [e["data"]["version"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["data"]["previous_status"] for e in events[1:]] == [
        "queued",
        "assigned",
        "in_progress",
        "resolved",
    ]
    assert events[1]["actor"] == {"type": "staff", "id": c.engineer.id}
    for event in events:
        assert "phone" not in str(event["data"])
        assert "林晓" not in str(event["data"])


async def test_twenty_concurrent_claims_have_one_winner(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, token: object
) -> None:
    order = await file_order(community.owner, "卫生间下水道堵了，水排不下去")
    assert order["queue"] == "engineering"
    engineers = []
    for i in range(20):
        response = await client.post(
            "/v1/staff",
            json={"name": f"师傅{i}", "department": "engineering", "role": "staff"},
            headers=community.admin.headers,
        )
        engineers.append(response.json()["id"])
    tokens = [token("staff", sub, "engineering") for sub in engineers]

    responses = await asyncio.gather(
        *(
            client.post(
                f"/v1/work-orders/{order['id']}/claim",
                json={},
                headers={"Authorization": f"Bearer {t}"},
            )
            for t in tokens
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 19, codes
    winner = next(r.json() for r in responses if r.status_code == 200)
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.headers["content-type"].startswith("application/problem+json")

    read = (await client.get(f"/v1/work-orders/{order['id']}", headers=community.cs.headers)).json()
    assert read["assignee_id"] == winner["assignee_id"]
    assert read["version"] == 2
    events = (
        await client.get(f"/v1/work-orders/{order['id']}/events", headers=community.cs.headers)
    ).json()["items"]
    assert [e["type"] for e in events].count("work_order.claimed") == 1


async def test_same_idempotency_key_ten_times_at_once_creates_one_order(
    client: httpx.AsyncClient, community: Community
) -> None:
    headers = community.owner.headers | {"Idempotency-Key": "app-7f3c-0001"}
    body = {"description": "楼道的声控灯坏了，晚上很黑", "location": {"building": "3"}}
    responses = await asyncio.gather(
        *(client.post("/v1/work-orders", json=body, headers=headers) for _ in range(10))
    )
    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    assert {r.status_code for r in responses} <= {201, 409}
    assert len({r.json()["id"] for r in created}) == 1
    assert all(r.json() == created[0].json() for r in created)

    listed = (await client.get("/v1/work-orders", headers=community.owner.headers)).json()
    assert len(listed["items"]) == 1

    # Later, the same key and the same JSON value (other key order) replays the stored answer.
    replay = await client.post(
        "/v1/work-orders",
        content='{"location": {"building": "3"}, "description": "楼道的声控灯坏了，晚上很黑"}',
        headers=headers | {"Content-Type": "application/json"},
    )
    assert replay.status_code == 201
    assert replay.json() == created[0].json()
    assert replay.headers["Location"] == f"/v1/work-orders/{created[0].json()['id']}"

    different = await client.post(
        "/v1/work-orders", json={"description": "别的事情"}, headers=headers
    )
    assert different.status_code == 422
    assert different.json()["type"] == "/problems/idempotency-key-reused"


async def test_idempotency_keys_belong_to_their_caller(
    client: httpx.AsyncClient, community: Community
) -> None:
    body = {"description": "垃圾桶满了"}
    first = await client.post(
        "/v1/work-orders", json=body, headers=community.owner.headers | {"Idempotency-Key": "k1"}
    )
    second = await client.post(
        "/v1/work-orders",
        json=body,
        headers=community.neighbour.headers | {"Idempotency-Key": "k1"},
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


async def test_owner_cannot_see_another_owners_order(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "窗户的合页松了")
    other = community.neighbour.headers
    response = await client.get(f"/v1/work-orders/{order['id']}", headers=other)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
    # Acting on it, even with a bad body, is the same 404: visibility is checked first.
    response = await client.post(
        f"/v1/work-orders/{order['id']}/cancel", json={"nonsense": 1}, headers=other
    )
    assert response.status_code == 404
    listed = (await client.get("/v1/work-orders", headers=other)).json()
    assert listed["items"] == []


async def test_owner_may_not_set_priority_or_status(
    client: httpx.AsyncClient, community: Community
) -> None:
    for field, value in (
        ("priority", "urgent"),
        ("status", "closed"),
        ("queue", "security"),
        ("assignee_id", "stf_x"),
    ):
        response = await client.post(
            "/v1/work-orders",
            json={"description": "电梯按钮失灵", field: value},
            headers=community.owner.headers,
        )
        assert response.status_code == 422, (field, response.text)
        problem = response.json()
        assert problem["type"] == "/problems/validation-error"
        assert any(e["field"] == field for e in problem["errors"])


async def test_cleaner_cannot_claim_an_engineering_order(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "家里插座没电了")
    assert order["queue"] == "engineering"
    response = await act(client, community.cleaner, order["id"], "claim")
    assert response.status_code in (403, 404)
    read = (await client.get(f"/v1/work-orders/{order['id']}", headers=community.cs.headers)).json()
    assert read["status"] == "queued"
    assert read["version"] == 1


async def test_wrong_status_is_409_with_allowed_actions(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "暖气片不热")
    response = await act(client, community.engineer, order["id"], "resolve", {"resolution": "x"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "/problems/invalid-transition"
    assert problem["allowed_actions"] == ["claim", "escalate"]


async def test_right_status_wrong_person_is_403(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "暖气片不热")
    await act(client, community.engineer, order["id"], "claim")
    # Another engineer may not start work assigned to a colleague.
    response = await act(client, community.engineer2, order["id"], "start")
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"


async def test_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "单元门禁坏了，刷卡开不了门")
    response = await client.post(
        f"/v1/work-orders/{order['id']}/claim",
        json={},
        headers=community.engineer.headers | {"If-Match": '"7"'},
    )
    assert response.status_code == 412
    fresh = await client.post(
        f"/v1/work-orders/{order['id']}/claim",
        json={},
        headers=community.engineer.headers | {"If-Match": '"1"'},
    )
    assert fresh.status_code == 200
    assert fresh.json()["version"] == 2


async def test_supervisor_assigns_within_department_only(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "消防栓箱的玻璃碎了")
    assert order["queue"] == "engineering"
    wrong = await act(
        client, community.eng_supervisor, order["id"], "assign", {"assignee_id": community.guard.id}
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "assignee_id"
    right = await act(
        client,
        community.eng_supervisor,
        order["id"],
        "assign",
        {"assignee_id": community.engineer2.id},
    )
    assert right.status_code == 200
    assert right.json()["assignee_id"] == community.engineer2.id
    # The engineer it was assigned to sees it; the declining engineer returns it to the queue.
    declined = await act(client, community.engineer2, order["id"], "decline", {"reason": "不在班"})
    assert declined.status_code == 200
    assert declined.json()["status"] == "queued"
    assert declined.json()["assignee_id"] is None


@pytest.mark.usefixtures("unsure_router")
async def test_customer_service_routes_triage_and_hold_resume(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "楼下那块地方有点问题")
    assert order["status"] == "triage"
    assert order["queue"] == "customer_service"
    assert order["routing"]["rule_id"] is None
    routed = await act(
        client,
        community.cs,
        order["id"],
        "route",
        {"queue": "engineering", "priority": "high", "note": "业主电话补充：阳台漏水"},
    )
    assert routed.status_code == 200, routed.text
    assert routed.json()["queue"] == "engineering"
    assert routed.json()["priority"] == "high"
    oid = order["id"]
    for person, action, body in (
        (community.engineer, "claim", {}),
        (community.engineer, "start", {}),
        (community.engineer, "hold", {"reason": "等配件"}),
    ):
        assert (await act(client, person, oid, action, body)).status_code == 200
    held = (await client.get(f"/v1/work-orders/{oid}", headers=community.owner.headers)).json()
    assert held["status"] == "on_hold"
    # The reason is staff's words (API.md, "What owners see"): the owner sees that, not why.
    assert held["hold_reason"] is None
    by_staff = await client.get(f"/v1/work-orders/{oid}", headers=community.cs.headers)
    assert by_staff.json()["hold_reason"] == "等配件"
    resumed = await act(client, community.engineer, oid, "resume")
    assert resumed.json()["status"] == "in_progress"
    assert resumed.json()["hold_reason"] is None


async def test_cancel_rules(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    early = await file_order(community.owner, "小区草坪很久没修剪了")
    cancelled = await act(client, community.owner, early["id"], "cancel", {"reason": "已经修了"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["allowed_actions"] == []

    started = await file_order(community.owner, "电梯按钮失灵，按了没反应")
    await act(client, community.engineer, started["id"], "claim")
    await act(client, community.engineer, started["id"], "start")
    # Cancel is possible once work has started, but only for supervisors and the manager.
    refused = await act(client, community.owner, started["id"], "cancel", {"reason": "不修了"})
    assert refused.status_code == 403
    allowed = await act(
        client, community.eng_supervisor, started["id"], "cancel", {"reason": "重复报修"}
    )
    assert allowed.status_code == 200


async def test_reopen_within_window_only(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: object
) -> None:
    order = await file_order(community.owner, "厨房水龙头一直滴水，关不紧")
    oid = order["id"]
    for action, body in (("claim", {}), ("start", {}), ("resolve", {"resolution": "换了阀芯"})):
        assert (await act(client, community.engineer, oid, action, body)).status_code == 200
    assert (await act(client, community.owner, oid, "confirm", {"rating": 2})).status_code == 200

    clock.advance(timedelta(days=8))
    late = await act(client, community.owner, oid, "reopen", {"reason": "又滴水了"})
    assert late.status_code == 409
    clock.advance(timedelta(days=-7))
    reopened = await act(client, community.owner, oid, "reopen", {"reason": "又滴水了"})
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "queued"
    assert reopened.json()["queue"] == "engineering"
    assert reopened.json()["assignee_id"] is None


async def test_escalate_raises_level_without_changing_status(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "楼上装修噪音太大")
    response = await act(client, community.cs, order["id"], "escalate", {"reason": "业主多次来电"})
    assert response.status_code == 200
    assert response.json()["escalation_level"] == 1
    assert response.json()["status"] == order["status"]
    owner_try = await act(client, community.owner, order["id"], "escalate", {"reason": "急"})
    assert owner_try.status_code == 403


async def test_comments_respect_visibility(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "楼道的垃圾两天没人收了")
    base = f"/v1/work-orders/{order['id']}/comments"
    public = await client.post(base, json={"body": "今天下午清理"}, headers=community.cs.headers)
    internal = await client.post(
        base,
        json={"body": "该楼栋保洁请假", "visibility": "internal"},
        headers=community.cs.headers,
    )
    assert public.status_code == internal.status_code == 201
    one = await client.get(public.headers["Location"], headers=community.owner.headers)
    assert one.json()["body"] == "今天下午清理"
    hidden = await client.get(internal.headers["Location"], headers=community.owner.headers)
    assert hidden.status_code == 404
    owner_internal = await client.post(
        base, json={"body": "x", "visibility": "internal"}, headers=community.owner.headers
    )
    assert owner_internal.status_code == 422
    owner_view = (await client.get(base, headers=community.owner.headers)).json()["items"]
    staff_view = (await client.get(base, headers=community.cs.headers)).json()["items"]
    assert [c["body"] for c in owner_view] == ["今天下午清理"]
    assert [c["body"] for c in staff_view] == ["今天下午清理", "该楼栋保洁请假"]
    owner_timeline = (
        await client.get(f"/v1/work-orders/{order['id']}/events", headers=community.owner.headers)
    ).json()["items"]
    assert [e["type"] for e in owner_timeline].count("work_order.commented") == 1
