"""Comments page like every list; a burst of them is one unread line per person with a count; every new
line is a `notification.created` event for the push gateway, in nobody's order timeline, feed or live
stream."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tests.api.test_notifications import inbox, notify
from workorders.auth import TokenVerifier
from workorders.db import transaction
from workorders.domain import webhooks as webhook_rules
from workorders.models import Event
from workorders.services import fanout, feed, notifications, webhook_delivery

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock
    from workorders.config import Settings
    from workorders.db import Database

BURST = 300


async def test_three_hundred_comments_page_and_make_one_line_with_a_count(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
    db: Database,
) -> None:
    c = community
    order = await file_order(c.owner, "楼道灯不亮了，晚上看不见")
    await client.post(
        f"/v1/work-orders/{order['id']}/assign",
        json={"assignee_id": c.engineer.id},
        headers=c.eng_supervisor.headers,
    )
    await notify(app, clock)
    for line in await inbox(client, c.engineer):
        assert line["count"] == 1
    await client.post("/v1/notifications/read", json={"all": True}, headers=c.engineer.headers)

    base = f"/v1/work-orders/{order['id']}/comments"
    for n in range(BURST):
        response = await client.post(base, json={"body": f"第{n}次催促"}, headers=c.owner.headers)
        assert response.status_code == 201, response.text
    await notify(app, clock)

    # The list pages: 50 by default, up to 200, each page continuing where the last ended.
    first = (await client.get(base, headers=c.engineer.headers)).json()
    assert len(first["items"]) == 50
    assert first["next_cursor"]
    bodies = [item["body"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (
            await client.get(base, params={"limit": 200, "cursor": cursor}, headers=c.owner.headers)
        ).json()
        bodies += [item["body"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert bodies == [f"第{n}次催促" for n in range(BURST)]
    assert (await client.get(base, params={"limit": 201}, headers=c.cs.headers)).status_code == 422

    # The assignee hears of the burst as one unread line, with the latest words and the count.
    [line] = await inbox(client, c.engineer, unread="true")
    assert (line["event_type"], line["count"]) == ("work_order.commented", BURST)
    assert order["number"] in line["title"]
    # One push for that line, not three hundred.
    async with db.reader() as session, session.begin():
        pushed = (
            (await session.execute(select(Event).where(Event.type == "notification.created")))
            .scalars()
            .all()
        )
    to_engineer = [
        e for e in pushed if e.data["recipient"] == {"type": "staff", "id": c.engineer.id}
    ]
    assert len(to_engineer) == 2  # the assignment (read since), then the burst
    assert {e.data["notification_id"] for e in to_engineer} >= {line["id"]}


async def test_notification_created_is_for_the_push_gateway_not_for_timelines(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
    db: Database,
    settings: Settings,
) -> None:
    c = community
    device = await client.post(
        "/v1/devices", json={"platform": "ios", "token": "apns-owner-1"}, headers=c.owner.headers
    )
    assert device.status_code == 201, device.text
    order = await file_order(c.owner, "厨房水管漏水")
    claimed = await client.post(
        f"/v1/work-orders/{order['id']}/claim", json={}, headers=c.engineer.headers
    )
    assert claimed.status_code == 200
    await notify(app, clock)
    [owner_line] = await inbox(client, c.owner)

    # The admin's integrations see it, with what API.md promises and the recipient's devices.
    integrations = await client.get(
        "/v1/events", params={"type": "notification.created"}, headers=c.admin.headers
    )
    assert integrations.status_code == 200
    mine = [
        e for e in integrations.json()["items"] if e["data"]["notification_id"] == owner_line["id"]
    ]
    [event] = mine
    assert event["data"] == {
        "recipient": {"type": "owner", "id": c.owner.id},
        "notification_id": owner_line["id"],
        "work_order_id": order["id"],
        "title": owner_line["title"],
        "body": owner_line["body"],
        "count": 1,
        "devices": [{"platform": "ios", "token": "apns-owner-1"}],
    }
    # A webhook subscribed to it gets the order's id in the payload, as every event's.
    async with db.reader() as session, session.begin():
        row = await session.scalar(select(Event).where(Event.id == event["id"]))
    assert row is not None
    assert webhook_rules.matches(["notification.created"], row.type)
    assert not webhook_rules.matches(["work_order.*"], row.type)
    payload = json.loads(webhook_delivery.payload(row))
    assert payload["type"] == "notification.created"
    assert payload["data"]["work_order_id"] == order["id"]
    assert payload["data"]["recipient"] == {"type": "owner", "id": c.owner.id}
    assert (payload["data"]["title"], payload["data"]["body"]) == (
        owner_line["title"],
        owner_line["body"],
    )
    assert payload["data"]["devices"] == [{"platform": "ios", "token": "apns-owner-1"}]

    # Not on the order's timeline, and in no person's feed (it names devices): not even the owner's
    # own line (their inbox and their pushes carry it), nor customer service's or the manager's.
    for person in (c.owner, c.cs, c.engineer):
        timeline = await client.get(f"/v1/work-orders/{order['id']}/events", headers=person.headers)
        assert "notification.created" not in [e["type"] for e in timeline.json()["items"]]
    for person in (c.owner, c.engineer, c.cs, c.manager):
        page = await client.get("/v1/events", headers=person.headers)
        assert "notification.created" not in [e["type"] for e in page.json()["items"]]

    # Nor on their live streams: the follower picks for each person what their feed's page shows.
    async with transaction(db.reader) as session:
        rows = (
            await feed.read(session, after=feed.START, limit=500, columns=fanout.COLUMNS)
        ).events
        orders = await fanout._orders(session, rows)
    for person in (c.admin, c.manager, c.cs, c.engineer, c.owner, c.neighbour):
        page = await client.get("/v1/events?limit=200", headers=person.headers)
        interest = fanout.Interest(await TokenVerifier(settings).verify(person.token))
        picked = [row.id for row in rows if interest.wants(row, orders)]
        assert picked == [e["id"] for e in page.json()["items"]], person
    assert "notification.created" in {row.type for row in rows}


async def test_lines_coalesce_per_person_and_order_until_read(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
    db: Database,
) -> None:
    """The notifier's own step, given the events directly (the feed that normally hands them over
    is tested in test_feed.py)."""
    c = community
    order = await file_order(c.owner, "小区门禁刷卡没反应")
    other = await file_order(c.neighbour, "楼下垃圾桶满了")

    async def derive_all() -> int:
        async with db.writer() as session, session.begin():
            events = (
                await session.execute(
                    select(*notifications.COLUMNS)
                    .where(Event.type.like("work_order.%"), Event.id.not_in(seen))
                    .order_by(Event.seq)
                )
            ).all()
            seen.update(e.id for e in events)
            return await notifications.derive(session, list(events), clock.now())

    seen: set[str] = set()
    await derive_all()
    for n in range(5):
        await client.post(
            f"/v1/work-orders/{order['id']}/comments",
            json={"body": f"催{n}"},
            headers=c.owner.headers,
        )
    await client.post(
        f"/v1/work-orders/{other['id']}/comments", json={"body": "催"}, headers=c.neighbour.headers
    )
    assert await derive_all() == 0  # every comment joined a line customer service already has
    lines = {line["work_order_id"]: line for line in await inbox(client, c.cs, unread="true")}
    assert lines[order["id"]]["count"] == 6  # created, then five comments
    assert lines[order["id"]]["event_type"] == "work_order.commented"
    assert lines[other["id"]]["count"] == 2

    read = await client.post(
        "/v1/notifications/read", json={"ids": [lines[order["id"]]["id"]]}, headers=c.cs.headers
    )
    assert read.json() == {"marked": 1}
    await client.post(
        f"/v1/work-orders/{order['id']}/comments", json={"body": "还没好"}, headers=c.owner.headers
    )
    assert await derive_all() >= 1
    fresh = [
        line
        for line in await inbox(client, c.cs, unread="true")
        if line["work_order_id"] == order["id"]
    ]
    assert [(line["count"], line["id"] != lines[order["id"]]["id"]) for line in fresh] == [
        (1, True)
    ]
    async with db.reader() as session, session.begin():
        pushed = (
            (
                await session.execute(
                    select(Event).where(
                        Event.type == "notification.created", Event.work_order_id.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
    to_cs = [
        e.data
        for e in pushed
        if e.data["recipient"] == {"type": "staff", "id": c.cs.id}
        and e.data["work_order_id"] == order["id"]
    ]
    assert [d["count"] for d in to_cs] == [1, 1]  # the first line, and the one after reading
