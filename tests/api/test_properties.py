"""`/v1/properties`: the admin adds communities; a new one starts with the default rules and
deadline policies and is usable at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.api.test_contract import assert_problem
from workorders.models import SlaPolicy

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, MakeToken
    from workorders.db import Database


def _bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


async def test_the_admin_adds_a_property_that_works_at_once(
    client: httpx.AsyncClient, community: Community, token: MakeToken, db: Database
) -> None:
    admin = community.admin.headers
    created = await client.post(
        "/v1/properties",
        json={"id": "sunshine-garden", "name": "阳光花园", "timezone": "Asia/Urumqi"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "sunshine-garden",
        "name": "阳光花园",
        "timezone": "Asia/Urumqi",
    }
    assert created.headers["location"] == "/v1/properties/sunshine-garden"
    made_up = await client.post("/v1/properties", json={"name": "翠湖苑"}, headers=admin)
    assert made_up.status_code == 201
    assert made_up.json()["id"].startswith("prop_")
    assert made_up.json()["timezone"] == "Asia/Shanghai"

    listed = (await client.get("/v1/properties", headers=admin)).json()
    # The test clock stands still: both have the same created_at, and the id decides.
    assert {p["id"] for p in listed["items"]} == {
        "default",
        "sunshine-garden",
        made_up.json()["id"],
    }
    assert listed["next_cursor"] is None
    page = (await client.get("/v1/properties?limit=1", headers=admin)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]

    # Deadline policies are there before anyone asks (the API would also seed them on first use).
    async with db.reader() as session:
        query = select(SlaPolicy.priority).where(SlaPolicy.property_id == "sunshine-garden")
        seeded = set((await session.execute(query)).scalars().all())
    assert seeded == {"urgent", "high", "normal", "low"}
    # An order there is routed by the default rules.
    manager = _bearer(token("manager", prop="sunshine-garden"))
    policies = await client.get("/v1/sla-policies", headers=manager)
    assert policies.status_code == 200, policies.text
    assert {p["priority"] for p in policies.json()["items"]} == {"urgent", "high", "normal", "low"}
    cs_admin = _bearer(token("admin", prop="sunshine-garden"))
    staff = await client.post(
        "/v1/staff",
        json={"name": "吴客服", "department": "customer_service", "role": "staff"},
        headers=cs_admin,
    )
    assert staff.status_code == 201, staff.text
    cs = _bearer(token("staff", staff.json()["id"], "customer_service", prop="sunshine-garden"))
    order = await client.post(
        "/v1/work-orders", json={"description": "电梯困人了", "channel": "phone"}, headers=cs
    )
    assert order.status_code == 201, order.text
    assert order.json()["property_id"] == "sunshine-garden"
    assert order.json()["queue"] == "engineering"
    # The packaged router serves a new property at once: no rules were copied for it.
    assert order.json()["routing"]["source"] == "model"
    assert order.json()["priority"] == "urgent"

    renamed = await client.patch(
        "/v1/properties/sunshine-garden",
        json={"name": "阳光花园二期", "timezone": "Asia/Shanghai"},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {
        "id": "sunshine-garden",
        "name": "阳光花园二期",
        "timezone": "Asia/Shanghai",
    }
    fetched = await client.get("/v1/properties/sunshine-garden", headers=admin)
    assert fetched.json()["name"] == "阳光花园二期"
    me = await client.get("/v1/me", headers=manager)
    assert me.json()["property"] == {"id": "sunshine-garden", "name": "阳光花园二期"}


async def test_properties_refusals(client: httpx.AsyncClient, community: Community) -> None:
    admin = community.admin.headers
    for body, field in (
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "timezone": "../../etc/passwd"}, "timezone"),
        ({"name": "x", "id": "Not Valid!"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
    ):
        problem = assert_problem(await client.post("/v1/properties", json=body, headers=admin), 422)
        assert [e["field"] for e in problem["errors"]] == [field]
    assert_problem(
        await client.post("/v1/properties", json={"id": "default", "name": "again"}, headers=admin),
        409,
    )
    assert_problem(await client.get("/v1/properties/nowhere", headers=admin), 404)
    assert_problem(
        await client.patch(
            "/v1/properties/default", json={"timezone": "Nowhere/City"}, headers=admin
        ),
        422,
    )
    for person in (community.manager, community.cs, community.owner):
        assert_problem(await client.get("/v1/properties", headers=person.headers), 403)
        assert_problem(
            await client.post("/v1/properties", json={"name": "x"}, headers=person.headers), 403
        )
        assert_problem(
            await client.patch(
                "/v1/properties/default", json={"name": "x"}, headers=person.headers
            ),
            403,
        )
