"""Follow-ups across departments: a burst pipe for engineering, its wet corridor for cleaning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.api.test_contract import assert_problem

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person

BURST = "5楼楼道的水管爆了，水流得满走廊都是"
DRY = {
    "queue": "cleaning",
    "description": "5楼走廊地面积水，需要吸水拖干",
    "note": "水管已关阀抢修",
}


async def _follow_up(
    client: httpx.AsyncClient, person: Person, parent_id: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.post(
        f"/v1/work-orders/{parent_id}/follow-ups", json=body, headers=person.headers | headers
    )


async def _events(client: httpx.AsyncClient, c: Community, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/work-orders/{order_id}/events", headers=c.manager.headers)
    return response.json()["items"]


async def test_engineering_calls_in_cleaning_and_both_sides_name_each_other(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    parent = await file_order(c.owner, BURST, location={"building": "3", "area": "5楼走廊"})
    assert parent["queue"] == "engineering"
    claimed = await client.post(
        f"/v1/work-orders/{parent['id']}/claim", json={}, headers=c.engineer.headers
    )
    assert claimed.status_code == 200

    response = await _follow_up(client, c.engineer, parent["id"], DRY)

    assert response.status_code == 201, response.text
    child = response.json()
    assert response.headers["Location"] == f"/v1/work-orders/{child['id']}"
    assert (child["queue"], child["status"], child["kind"]) == ("cleaning", "queued", "task")
    # Staff opened it for themselves: it is not the owner's order (API.md, What owners see).
    assert (child["parent_id"], child["owner_id"]) == (parent["id"], None)
    assert child["location"]["area"] == "5楼走廊"
    assert child["reporter"] == {"type": "staff", "id": c.engineer.id}
    assert child["routing"]["reason"].startswith(f"follow-up of {parent['number']}")

    created = (await _events(client, c, child["id"]))[0]
    assert created["type"] == "work_order.created"
    assert (created["data"]["parent_id"], created["data"]["parent_number"]) == (parent["id"], parent["number"])  # fmt: skip
    linked = (await _events(client, c, parent["id"]))[-1]
    assert linked["type"] == "work_order.follow_up_created"
    assert linked["data"]["follow_up_id"] == child["id"]
    assert (linked["data"]["follow_up_queue"], linked["data"]["note"]) == (
        "cleaning",
        "水管已关阀抢修",
    )

    for person in (c.cs, c.owner, c.cleaner):
        listed = await client.get(f"/v1/work-orders/{parent['id']}/follow-ups", headers=person.headers)  # fmt: skip
        if person is c.cleaner:  # cleaning cannot see the engineering parent
            assert_problem(listed, 404)
        elif person is c.owner:
            assert listed.json()["items"] == []
        else:
            assert [o["id"] for o in listed.json()["items"]] == [child["id"]]


async def test_the_caller_chooses_the_queue_even_against_the_rules(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    parent = await file_order(c.owner, "电梯里有人被困住了")

    response = await _follow_up(
        client,
        c.eng_supervisor,
        parent["id"],
        {
            "queue": "security",
            "description": "电梯困人，请派人到大堂维持秩序",
            "category": "safety",
        },
    )

    child = response.json()
    assert (child["queue"], child["category"], child["priority"]) == ("security", "safety", "urgent")  # fmt: skip
    assert child["routing"]["reason"].startswith(f"follow-up of {parent['number']}")


async def test_who_may_add_follow_ups_and_what_is_refused(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    parent = await file_order(c.owner, BURST)

    assert_problem(await _follow_up(client, c.owner, parent["id"], DRY), 403)
    assert_problem(await _follow_up(client, c.guard, parent["id"], DRY), 404)  # not visible
    wrong = await _follow_up(client, c.cs, parent["id"], DRY | {"category": "plumbing"})
    assert assert_problem(wrong, 422)["errors"][0]["field"] == "category"
    unknown = await _follow_up(client, c.cs, parent["id"], DRY | {"queue": "kitchen"})
    assert assert_problem(unknown, 422)["errors"][0]["field"] == "queue"

    cancelled = await client.post(
        f"/v1/work-orders/{parent['id']}/cancel", json={"reason": "重复"}, headers=c.cs.headers
    )
    assert cancelled.status_code == 200
    assert_problem(await _follow_up(client, c.cs, parent["id"], DRY), 409)


async def test_a_repeated_follow_up_with_its_key_creates_one_order(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    parent = await file_order(c.owner, BURST)

    first = await _follow_up(client, c.cs, parent["id"], DRY, **{"Idempotency-Key": "dry-1"})
    again = await _follow_up(client, c.cs, parent["id"], DRY, **{"Idempotency-Key": "dry-1"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    listed = await client.get(f"/v1/work-orders/{parent['id']}/follow-ups", headers=c.cs.headers)
    assert len(listed.json()["items"]) == 1
