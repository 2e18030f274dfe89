"""Staff and owner records: who may manage them, and the confidentiality of owners' phones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.api.test_contract import assert_problem
from workorders.models import AuditEntry

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community
    from workorders.db import Database


async def test_owner_phone_is_masked_except_for_the_owner_and_a_reveal(
    client: httpx.AsyncClient, community: Community, db: Database
) -> None:
    path = f"/v1/owners/{community.owner.id}"
    for person in (community.cs, community.manager, community.admin):
        response = await client.get(path, headers=person.headers)
        assert response.status_code == 200
        assert response.json()["phone"] == "138****5678"
    listed = (await client.get("/v1/owners", headers=community.cs.headers)).json()["items"]
    assert {o["phone"] for o in listed} == {"138****5678", "139****4321"}
    own = (await client.get(path, headers=community.owner.headers)).json()
    assert own["phone"] == "13812345678"
    assert own["units"] == [{"building": "3", "unit": None, "room": "1502"}]

    assert_problem(await client.get(path, headers=community.engineer.headers), 403)
    assert_problem(await client.get(path, headers=community.neighbour.headers), 404)
    assert_problem(await client.get("/v1/owners", headers=community.owner.headers), 403)

    missing_reason = await client.post(f"{path}/reveal", json={}, headers=community.cs.headers)
    assert_problem(missing_reason, 422)
    revealed = await client.post(
        f"{path}/reveal", json={"reason": "回访需要联系业主"}, headers=community.cs.headers
    )
    assert revealed.status_code == 200
    assert revealed.json()["phone"] == "13812345678"
    assert_problem(
        await client.post(f"{path}/reveal", json={"reason": "x"}, headers=community.admin.headers),
        403,
    )
    async with db.reader() as session:
        audit = (await session.execute(select(AuditEntry))).scalars().all()
    assert [(a.actor_id, a.subject_id, a.reason, a.action) for a in audit] == [
        (community.cs.id, community.owner.id, "回访需要联系业主", "owner.phone_revealed")
    ]


async def test_owner_records_are_created_and_updated_by_customer_service(
    client: httpx.AsyncClient, community: Community
) -> None:
    created = await client.post(
        "/v1/owners",
        json={"name": "何静", "phone": "13700001111", "units": [{"building": "1", "room": "302"}]},
        headers=community.cs.headers,
    )
    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/owners/{created.json()['id']}"
    updated = await client.patch(
        f"/v1/owners/{created.json()['id']}", json={"name": "何静静"}, headers=community.cs.headers
    )
    assert updated.json()["name"] == "何静静"
    bad_phone = await client.post(
        "/v1/owners", json={"name": "x", "phone": "call me"}, headers=community.cs.headers
    )
    assert_problem(bad_phone, 422)
    assert_problem(
        await client.post(
            "/v1/owners",
            json={"name": "x", "phone": "13700001111"},
            headers=community.guard.headers,
        ),
        403,
    )
    found = await client.get(
        "/v1/owners", params={"phone": "13700001111"}, headers=community.cs.headers
    )
    assert [o["id"] for o in found.json()["items"]] == [created.json()["id"]]


async def test_staff_directory_permissions(client: httpx.AsyncClient, community: Community) -> None:
    body = {"name": "新师傅", "department": "engineering", "role": "staff", "skills": ["plumbing"]}
    by_supervisor = await client.post(
        "/v1/staff", json=body, headers=community.eng_supervisor.headers
    )
    assert by_supervisor.status_code == 201
    member = by_supervisor.json()
    assert member | {"id": "x"} == {
        "id": "x", "name": "新师傅", "department": "engineering", "role": "staff",
        "skills": ["plumbing"], "on_duty": True, "max_open": 5, "phone": None, "active": True,
    }  # fmt: skip
    other_department = body | {"department": "security"}
    assert_problem(
        await client.post(
            "/v1/staff", json=other_department, headers=community.eng_supervisor.headers
        ),
        403,
    )
    assert_problem(
        await client.post(
            "/v1/staff",
            json=body | {"role": "supervisor"},
            headers=community.eng_supervisor.headers,
        ),
        403,
    )
    assert_problem(
        await client.post("/v1/staff", json=body, headers=community.engineer.headers), 403
    )
    assert_problem(
        await client.post(
            "/v1/staff", json={"name": "x", "role": "staff"}, headers=community.admin.headers
        ),
        422,
    )
    # A staff member clocks themself off duty, but may not change their own department.
    path = f"/v1/staff/{community.engineer.id}"
    off = await client.patch(path, json={"on_duty": False}, headers=community.engineer.headers)
    assert off.status_code == 200 and off.json()["on_duty"] is False
    assert_problem(
        await client.patch(
            path, json={"department": "security"}, headers=community.engineer.headers
        ),
        403,
    )
    listed = await client.get(
        "/v1/staff",
        params={"department": "engineering", "on_duty": "false"},
        headers=community.cs.headers,
    )
    assert [s["id"] for s in listed.json()["items"]] == [community.engineer.id]
    assert_problem(await client.get("/v1/staff", headers=community.owner.headers), 403)
    assert_problem(await client.get("/v1/staff/stf_nobody", headers=community.cs.headers), 404)
