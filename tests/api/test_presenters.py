"""An order's body is built as plain data and written by orjson, never validated by its model
(api/presenters.py): here every shape of it must be, byte for byte, what `WorkOrderRead` itself would
write for the same values, so that the schema stays the one definition of the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from tests.api.test_appointments import claimed, propose, step, window
from workorders.models import WorkOrder
from workorders.schemas import WorkOrderPage, WorkOrderRead

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
