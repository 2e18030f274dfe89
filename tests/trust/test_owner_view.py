"""Issue 10, finding 2: owners read none of the staff's words. One whitelist (domain/owner_view.py)
decides; these tests hold every event type the service writes to it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.test_notifications import inbox, notify
from workorders.domain import owner_view
from workorders.domain.lifecycle import Action

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community
    from workorders.clock import ManualClock

SRC = Path(__file__).resolve().parents[2] / "src" / "workorders"
# Fields no owner may read, on any event: reasons, notes, dispatch and routing decisions, deadlines,
# return visits, inspections, follow-ups, who was told.
STAFF_ONLY = {
    "reason", "note", "dispatch", "routing", "notify", "escalated_to", "deadline", "due_at",
    "return_visit_id", "outcome", "score", "item", "result", "follow_up_id", "follow_up_number",
    "follow_up_queue", "parent_id", "parent_number", "schedule_id", "occurrence_at", "index",
    "strategy", "previous", "endpoint_id", "rule_id", "changed", "before", "when", "then",
    "actor_role", "resolved_at",
}  # fmt: skip


def written_event_types() -> set[str]:
    """Every event type the service's code writes: the literals, and the lifecycle's actions."""
    found = {f"work_order.{a.event_type.split('.', 1)[1]}" for a in Action}
    pattern = re.compile(r'"((?:work_order|routing_rules?|queue|webhook_endpoint)\.[a-z_]+)"')
    for path in SRC.rglob("*.py"):
        if path.name == "owner_view.py" or "domain/notifications.py" in str(path):
            continue
        found |= {
            m for m in pattern.findall(path.read_text(encoding="utf-8")) if not m.endswith("_")
        }
    return found


def test_every_event_type_written_declares_what_owners_see() -> None:
    undeclared = written_event_types() - set(owner_view.OWNER_FIELDS)
    assert not undeclared, f"declare these in domain/owner_view.OWNER_FIELDS: {sorted(undeclared)}"


@pytest.mark.parametrize("event_type", sorted(owner_view.OWNER_FIELDS))
def test_the_owners_view_of_each_event_type_has_no_staff_only_field(event_type: str) -> None:
    data = dict.fromkeys(STAFF_ONLY, "这家业主太难缠") | {
        "number": "WO-1", "status": "queued", "visibility": "public", "comment_id": "cmt_1",
    }  # fmt: skip
    shown = owner_view.event_data(event_type, data)
    if shown is not None:
        assert not (set(shown) & STAFF_ONLY), (event_type, set(shown) & STAFF_ONLY)
    internal = owner_view.event_data(event_type, data | {"visibility": "internal"})
    if event_type == "work_order.commented":
        assert internal is None


SECRET_WORDS = ["这家业主太难缠", "等配件", "业主脾气差要升级", "转去保洁处理", "内部备注勿外传"]


async def test_the_owner_reads_no_staff_only_words(
    client: httpx.AsyncClient, app: Any, clock: ManualClock, community: Community, file_order: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水", contact_phone="13812345678")
    path = f"/v1/work-orders/{order['id']}"

    async def act(person: Any, action: str, body: dict[str, Any]) -> None:
        response = await client.post(f"{path}/{action}", json=body, headers=person.headers)
        assert response.status_code == 200, (action, response.text)

    await act(community.engineer, "claim", {})
    await act(community.engineer, "decline", {"reason": "这家业主太难缠"})
    await act(community.cs, "route", {"queue": "cleaning", "note": "转去保洁处理"})
    await act(community.cs, "route", {"queue": "engineering"})
    await act(community.engineer, "claim", {})
    await act(community.engineer, "start", {})
    await act(community.engineer, "hold", {"reason": "等配件"})
    on_hold = (await client.get(path, headers=community.owner.headers)).json()
    assert on_hold["status"] == "on_hold" and on_hold["hold_reason"] is None
    assert (await client.get(path, headers=community.cs.headers)).json()["hold_reason"] == "等配件"
    await act(community.engineer, "resume", {})
    await act(community.cs, "escalate", {"reason": "业主脾气差要升级"})
    comment = await client.post(
        f"{path}/comments",
        json={"body": "内部备注勿外传", "visibility": "internal"},
        headers=community.engineer.headers,
    )
    assert comment.status_code == 201
    await notify(app, clock)
    owner = community.owner.headers
    seen = [
        (await client.get(f"{path}/events", headers=owner)).text,
        (await client.get("/v1/events", headers=owner)).text,
        (await client.get(f"{path}/comments", headers=owner)).text,
        str(await inbox(client, community.owner)),
    ]
    for text in seen:
        for word in SECRET_WORDS:
            assert word not in text
    timeline = (await client.get(f"{path}/events", headers=owner)).json()["items"]
    types = [e["type"] for e in timeline]
    assert "work_order.declined" in types and "work_order.escalated" not in types
    for event in timeline:
        assert not (set(event["data"]) & STAFF_ONLY), event
    # Staff still read it all.
    staff_view = (await client.get(f"{path}/events", headers=community.cs.headers)).text
    assert all(word in staff_view for word in SECRET_WORDS[:4])


async def test_comment_notifications_are_coalesced(
    client: httpx.AsyncClient, app: Any, clock: ManualClock, community: Community, file_order: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    path = f"/v1/work-orders/{order['id']}"
    claimed = await client.post(f"{path}/claim", json={}, headers=community.engineer.headers)
    assert claimed.status_code == 200
    await notify(app, clock)
    before = len(await inbox(client, community.engineer, limit=200))
    for n in range(30):
        response = await client.post(
            f"{path}/comments", json={"body": f"还没修好 {n}"}, headers=community.owner.headers
        )
        assert response.status_code == 201
        if n == 10:
            await notify(app, clock)  # some arrive in one batch, some in another
    for _ in range(20):  # on PostgreSQL a page may hold back events still committing
        await notify(app, clock)
        lines = await inbox(client, community.engineer, limit=200)
        comments = [n for n in lines if n["event_type"] == "work_order.commented"]
        if comments and comments[0]["data"]["count"] == 30:
            break
        await asyncio.sleep(0.05)
    assert len(lines) - before == 1 and len(comments) == 1
    assert comments[0]["data"]["count"] == 30
    # Once read, the next comment starts a new line.
    marked = await client.post(
        "/v1/notifications/read", json={"all": True}, headers=community.engineer.headers
    )
    assert marked.status_code == 200 and marked.json()["marked"] >= 1, marked.text
    await client.post(f"{path}/comments", json={"body": "?"}, headers=community.owner.headers)
    await notify(app, clock)
    unread = await inbox(client, community.engineer, unread=True)
    assert [n["data"]["count"] for n in unread] == [1]
