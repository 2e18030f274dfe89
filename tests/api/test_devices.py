"""`/v1/devices`: owners and staff register push tokens; each sees and removes only their own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api.test_contract import assert_problem

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, MakeToken


async def test_register_list_and_remove_devices(
    client: httpx.AsyncClient, community: Community
) -> None:
    owner = community.owner.headers
    phone = await client.post(
        "/v1/devices", json={"platform": "ios", "token": "apns-token-1"}, headers=owner
    )
    assert phone.status_code == 201, phone.text
    device = phone.json()
    assert device["id"].startswith("dev_")
    assert device["platform"] == "ios" and device["token"] == "apns-token-1"
    assert phone.headers["location"] == f"/v1/devices/{device['id']}"
    web = await client.post(
        "/v1/devices", json={"platform": "mini_program", "token": "wx-openid-1"}, headers=owner
    )
    assert web.status_code == 201
    engineer = await client.post(
        "/v1/devices",
        json={"platform": "harmony", "token": "hms-token-9"},
        headers=community.engineer.headers,
    )
    assert engineer.status_code == 201

    mine = (await client.get("/v1/devices", headers=owner)).json()
    assert {d["token"] for d in mine["items"]} == {"apns-token-1", "wx-openid-1"}
    assert mine["next_cursor"] is None
    theirs = (await client.get("/v1/devices", headers=community.neighbour.headers)).json()
    assert theirs["items"] == []

    # Someone else's device is not there to delete.
    path = f"/v1/devices/{device['id']}"
    assert_problem(await client.delete(path, headers=community.neighbour.headers), 404)
    assert_problem(await client.delete(path, headers=community.engineer.headers), 404)
    removed = await client.delete(path, headers=owner)
    assert removed.status_code == 204
    assert_problem(await client.delete(path, headers=owner), 404)
    left = (await client.get("/v1/devices", headers=owner)).json()["items"]
    assert [d["token"] for d in left] == ["wx-openid-1"]


async def test_registering_a_token_again_moves_it_to_the_caller(
    client: httpx.AsyncClient, community: Community
) -> None:
    body = {"platform": "android", "token": "fcm-shared-phone"}
    first = await client.post("/v1/devices", json=body, headers=community.owner.headers)
    again = await client.post("/v1/devices", json=body, headers=community.owner.headers)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert (
        len((await client.get("/v1/devices", headers=community.owner.headers)).json()["items"]) == 1
    )

    # The neighbour signs in on the same phone: the token is theirs now, and only theirs.
    moved = await client.post("/v1/devices", json=body, headers=community.neighbour.headers)
    assert moved.status_code == 201
    assert moved.json()["id"] == first.json()["id"]
    assert (await client.get("/v1/devices", headers=community.owner.headers)).json()["items"] == []
    neighbours = (await client.get("/v1/devices", headers=community.neighbour.headers)).json()
    assert [d["token"] for d in neighbours["items"]] == ["fcm-shared-phone"]
    # The same token on another platform is another device.
    other = await client.post(
        "/v1/devices", json=body | {"platform": "web"}, headers=community.owner.headers
    )
    assert other.json()["id"] != first.json()["id"]


async def test_device_refusals(
    client: httpx.AsyncClient, community: Community, token: MakeToken
) -> None:
    owner = community.owner.headers
    for body, field in (
        ({"platform": "symbian", "token": "x"}, "platform"),
        ({"platform": "ios", "token": ""}, "token"),
        ({"platform": "ios"}, "token"),
        ({"platform": "ios", "token": "x", "extra": 1}, "extra"),
    ):
        problem = assert_problem(await client.post("/v1/devices", json=body, headers=owner), 422)
        assert [e["field"] for e in problem["errors"]] == [field]
    assert_problem(await client.post("/v1/devices", json={"platform": "ios", "token": "x"}), 401)
    nobody = {"Authorization": f"Bearer {token('admin')}"}
    assert_problem(
        await client.post("/v1/devices", json={"platform": "web", "token": "x"}, headers=nobody),
        403,
    )
    assert_problem(await client.get("/v1/devices", headers=nobody), 403)
