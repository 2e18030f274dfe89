"""`/v1/me`: an owner finds their own record and units without decoding the token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api.test_contract import assert_problem

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, MakeToken


async def test_me_for_each_kind_of_caller(
    client: httpx.AsyncClient, community: Community, token: MakeToken
) -> None:
    default = {"id": "default", "name": (await _default_name(client, community))}
    owner = await client.get("/v1/me", headers=community.owner.headers)
    assert owner.status_code == 200
    assert owner.headers["cache-control"] == "no-store"
    assert owner.json() == {
        "role": "owner",
        "id": community.owner.id,
        "name": "林晓",
        "phone": "13812345678",
        "units": [{"building": "3", "unit": None, "room": "1502"}],
        "property": default,
    }
    engineer = (await client.get("/v1/me", headers=community.engineer.headers)).json()
    assert engineer == {
        "role": "staff",
        "id": community.engineer.id,
        "name": "刘师傅",
        "department": "engineering",
        "on_duty": True,
        "property": default,
    }
    supervisor = (await client.get("/v1/me", headers=community.eng_supervisor.headers)).json()
    assert supervisor["role"] == "supervisor" and supervisor["name"] == "张主管"
    manager = (await client.get("/v1/me", headers=community.manager.headers)).json()
    assert manager["role"] == "manager" and manager["department"] is None
    for role in ("admin", "manager"):
        anonymous = await client.get("/v1/me", headers=_bearer(token(role)))
        assert anonymous.json() == {"role": role, "property": default}


async def test_me_refuses_tokens_that_name_nobody(
    client: httpx.AsyncClient, community: Community, token: MakeToken
) -> None:
    assert_problem(await client.get("/v1/me"), 401)
    assert_problem(await client.get("/v1/me", headers=_bearer(token("owner", "own_nobody"))), 401)
    # Another property's token does not find this property's owner.
    elsewhere = token("owner", community.owner.id, prop="default-2")
    assert_problem(await client.get("/v1/me", headers=_bearer(elsewhere)), 401)


async def _default_name(client: httpx.AsyncClient, community: Community) -> str:
    response = await client.get("/v1/properties/default", headers=community.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["name"]


def _bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}
