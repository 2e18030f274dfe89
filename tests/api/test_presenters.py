"""An order's body and an event are built as plain data and written by orjson, never validated by
their models (api/presenters.py): here every shape of them must be, byte for byte, what `WorkOrderRead`
and `EventRead` themselves would write for the same values, so that the schema stays the one
definition of the answer; and an event on the live stream is what the feed's page says of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from tests.api.test_appointments import claimed, propose, step, window
from workorders.api.events import _frame
from workorders.db import transaction
from workorders.models import WorkOrder
from workorders.schemas import EventList, EventRead, WorkOrderPage, WorkOrderRead
from workorders.schemas.events import EventPage
from workorders.services import fanout, feed

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock
    from workorders.db import Database


def as_the_model_writes_it(body: bytes) -> bytes:
    return WorkOrderRead.model_validate_json(body).model_dump_json().encode()


async def read(client: httpx.AsyncClient, order_id: str, person: Person, lang: str) -> bytes:
    response = await client.get(
        f"/v1/work-orders/{order_id}", headers=person.headers | {"Accept-Language": lang}
    )
    assert response.status_code == 200, response.text
    return response.content


async def test_every_shape_of_an_order_is_written_as_its_model_writes_it(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
    db: Database,
) -> None:
    c = community
    # Filed by customer service with every optional field, claimed, a visit proposed and accepted,
    # started, put on hold (a reason the owner does not see), resumed, resolved, confirmed with a rating.
    order = await claimed(
        client,
        c,
        file_order,
        location={"building": "3", "unit": "2", "room": "1502"},
        preferred_time=window(clock, 1),
        contact_phone="13812345678",
    )
    oid = order["id"]
    visit = (await propose(client, oid, c.engineer, window(clock, 2))).json()
    assert (await step(client, oid, visit["id"], "accept", c.owner)).status_code == 200
    seen: list[bytes] = []
    for person in (c.owner, c.engineer, c.manager):
        for lang in ("zh-CN", "en"):
            seen.append(await read(client, oid, person, lang))
    steps: list[tuple[str, Person, dict[str, Any]]] = [
        ("start", c.engineer, {}),
        ("hold", c.engineer, {"reason": "等配件"}),
        ("resume", c.engineer, {}),
        ("resolve", c.engineer, {"resolution": "换了阀芯"}),
        ("confirm", c.owner, {"rating": 5, "comment": "很快"}),
    ]
    for action, person, body in steps:
        response = await client.post(
            f"/v1/work-orders/{oid}/{action}", json=body, headers=person.headers
        )
        assert response.status_code == 200, response.text
        seen.append(response.content)
        seen.append(await read(client, oid, c.owner, "zh-CN"))
    # An order routed before decisions named their source, with a checklist and a paused time.
    async with db.writer() as session, session.begin():
        await session.execute(
            update(WorkOrder)
            .where(WorkOrder.id == oid)
            .values(
                routing={"rule_id": None, "reason": "旧的"},
                checklist=[{"item": "阀门"}, {"item": "水压", "result": "passed", "note": "好"}],
                paused_seconds=5400,
            )
        )
    seen.append(await read(client, oid, c.manager, "en"))
    created = await file_order(c.owner, "楼道灯不亮")  # the owner's own, unassigned
    seen.append(await read(client, created["id"], c.owner, "zh-CN"))

    for body in seen:
        assert body == as_the_model_writes_it(body)
    assert b'"paused_for":"PT1H30M"' in seen[-2]
    assert b'"source":"triage"' in seen[-2]

    listed = await client.get("/v1/work-orders?limit=5", headers=c.manager.headers)
    assert listed.status_code == 200
    items = WorkOrderPage.model_validate_json(listed.content)
    assert len(items.items) == 2
    assert listed.content == items.model_dump_json().encode()


async def test_every_event_is_written_as_its_model_writes_it_and_streamed_as_paged(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    c = community
    # Filed by customer service, claimed, worked with a hold (its reason staff-only), resolved,
    # confirmed; commented on; and another order declined with a reason owners never read.
    order = await claimed(client, c, file_order, location={"building": "3", "unit": "2"})
    oid = order["id"]
    steps: list[tuple[str, str, Person, dict[str, Any]]] = [
        (oid, "start", c.engineer, {}),
        (oid, "hold", c.engineer, {"reason": "等配件"}),
        (oid, "resume", c.engineer, {}),
        (oid, "comments", c.owner, {"body": "师傅辛苦了"}),
        (oid, "resolve", c.engineer, {"resolution": "换了阀芯"}),
        (oid, "confirm", c.owner, {"rating": 5, "comment": "很快"}),
    ]
    declined = (await file_order(c.owner, "卫生间地漏堵了", category="plumbing"))["id"]
    steps += [
        (declined, "claim", c.engineer, {}),
        (declined, "decline", c.engineer, {"reason": "这家业主太难缠"}),
    ]
    for order_id, action, person, body in steps:
        response = await client.post(
            f"/v1/work-orders/{order_id}/{action}", json=body, headers=person.headers
        )
        assert response.status_code in (200, 201), response.text

    pages: dict[str, dict[str, bytes]] = {}  # each event as each person's feed page writes it
    for person in (c.owner, c.engineer, c.cs, c.manager):
        for order_id in (oid, declined):
            timeline = await client.get(
                f"/v1/work-orders/{order_id}/events", headers=person.headers
            )
            if timeline.status_code == 404:  # not theirs to see
                continue
            assert timeline.status_code == 200, timeline.text
            assert (
                timeline.content
                == EventList.model_validate_json(timeline.content).model_dump_json().encode()
            )
        page = await client.get("/v1/events?limit=200", headers=person.headers)
        assert page.status_code == 200, page.text
        written = EventPage.model_validate_json(page.content)
        assert page.content == written.model_dump_json().encode()
        pages[person.id] = {item.id: item.model_dump_json().encode() for item in written.items}
    types = {EventRead.model_validate_json(e).type for e in pages[c.manager.id].values()}
    assert {"work_order.created", "work_order.declined", "work_order.commented"} <= types
    reason = "这家业主太难缠".encode()
    assert any(reason in body for body in pages[c.manager.id].values())
    assert not any(reason in body for body in pages[c.owner.id].values())  # the owner's copy

    # The stream's frames, from the rows its follower reads, say what the page said.
    async with transaction(db.reader) as session:
        rows = (
            await feed.read(session, after=feed.START, limit=500, columns=fanout.COLUMNS)
        ).events
    batch = fanout.Batch(rows)
    for person, for_owner in ((c.manager, False), (c.owner, True)):
        shown = pages[person.id]
        for row in rows:
            if row.id not in shown:
                continue
            event, data, position, end = _frame(batch, row, for_owner).split(b"\n", 3)
            assert event == b"event: " + row.type.encode()
            assert data == b"data: " + shown[row.id]
            assert position == b"id: " + feed.position_of(row).encode().encode()
            assert end == b"\n"
