"""The conventions of API.md: authentication, problem+json, limits, lists and cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import jwt
from fastapi.routing import APIRoute

from workorders.api.deps import checked_request
from workorders.api.events import stream_router
from workorders.app import create_app

if TYPE_CHECKING:
    import httpx
    from fastapi.dependencies.models import Dependant

    from tests.conftest import Community, FileOrder, MakeToken
    from workorders.config import Settings


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    if slug is not None:
        assert problem["type"] == f"/problems/{slug}"
    return problem


async def test_no_bad_or_expired_token_is_401(
    client: httpx.AsyncClient, settings: Settings, db: object
) -> None:
    assert_problem(await client.get("/v1/work-orders"), 401, "unauthorized")
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert_problem(await client.get("/v1/work-orders", headers=bad), 401)
    now = datetime.now(UTC)
    expired = jwt.encode(
        {"role": "manager", "iat": int((now - timedelta(hours=2)).timestamp()),
         "exp": int((now - timedelta(hours=1)).timestamp())},
        settings.jwt_secret,
    )  # fmt: skip
    problem = assert_problem(
        await client.get(
            "/v1/work-orders",
            headers={"Authorization": f"Bearer {expired}", "Accept-Language": "en"},
        ),
        401,
    )
    assert "expired" in problem["detail"]
    no_exp = jwt.encode({"role": "manager", "iat": int(now.timestamp())}, settings.jwt_secret)
    assert_problem(
        await client.get("/v1/work-orders", headers={"Authorization": f"Bearer {no_exp}"}), 401
    )
    # `none` and other algorithms than the configured ones are refused.
    unsigned = jwt.encode(
        {"role": "manager", "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 60},
        None,
        algorithm="none",
    )
    assert_problem(
        await client.get("/v1/work-orders", headers={"Authorization": f"Bearer {unsigned}"}), 401
    )
    wrong_key = jwt.encode(
        {"role": "manager", "iat": int(now.timestamp()), "exp": int(now.timestamp()) + 60},
        "another-secret-another-secret-another",
    )
    assert_problem(
        await client.get("/v1/work-orders", headers={"Authorization": f"Bearer {wrong_key}"}), 401
    )


def _first_solved(dependant: Dependant) -> object:
    """The first dependency FastAPI calls for an endpoint: its first dependency's first, depth first."""
    while dependant.dependencies:
        dependant = dependant.dependencies[0]
    return dependant.call


def test_every_v1_endpoint_checks_the_bearer_before_anything_else(settings: Settings) -> None:
    """No router-wide check (FastAPI would solve it again beside the endpoint's): each `/v1`
    endpoint's own dependencies must begin with it, so 401 comes before 422 and before any lookup.
    And every `/v1` route is on the app's own list (app.py: `_serve`), none behind an included
    router's wrapper, whose walk cost every request more than the routes it held."""
    app = create_app(settings)
    stream_paths = {route.path for route in stream_router.routes}
    checked = 0
    for route in app.router.routes:
        if not isinstance(route, APIRoute):
            assert not getattr(route, "original_router", None) or not any(
                r.path.startswith("/v1") for r in route.original_router.routes
            ), "a /v1 router was included instead of served"
            continue
        if not route.path.startswith("/v1"):
            continue
        if route.path in stream_paths:  # a ticket or a bearer: its own check, router-wide
            assert route.dependant.dependencies[0].call is stream_router.dependencies[0].dependency
            continue
        assert _first_solved(route.dependant) is checked_request, route.path
        checked += 1
    assert checked > 90


async def test_token_claims_are_checked(
    client: httpx.AsyncClient, settings: Settings, db: object
) -> None:
    now = int(datetime.now(UTC).timestamp())
    for claims in (
        {"role": "owner"},  # an owner token must name the owner
        {"role": "staff", "sub": "stf_1"},  # staff need a department
        {"role": "janitor", "sub": "x"},
    ):
        token = jwt.encode(claims | {"iat": now, "exp": now + 60}, settings.jwt_secret)
        response = await client.get("/v1/work-orders", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401)


async def test_validation_errors_are_problems_naming_the_field(
    client: httpx.AsyncClient, community: Community
) -> None:
    headers = community.owner.headers
    problem = assert_problem(
        await client.post("/v1/work-orders", json={"description": ""}, headers=headers),
        422,
        "validation-error",
    )
    assert problem["errors"][0]["field"] == "description"
    unknown = assert_problem(
        await client.post(
            "/v1/work-orders", json={"description": "漏水", "colour": "red"}, headers=headers
        ),
        422,
    )
    assert unknown["errors"][0]["field"] == "colour"
    long = assert_problem(
        await client.post("/v1/work-orders", json={"description": "漏" * 2001}, headers=headers),
        422,
    )
    assert long["errors"][0]["field"] == "description"
    bad_category = await client.post(
        "/v1/work-orders", json={"description": "漏水", "category": "space"}, headers=headers
    )
    assert_problem(bad_category, 422)
    assert_problem(await client.get("/v1/work-orders?limit=201", headers=headers), 422)
    assert_problem(await client.get("/v1/work-orders?status=lost", headers=headers), 422)
    assert_problem(await client.get("/v1/work-orders?cursor=garbage", headers=headers), 422)


async def test_malformed_and_oversized_bodies(
    client: httpx.AsyncClient, community: Community
) -> None:
    headers = community.owner.headers | {"Content-Type": "application/json"}
    assert_problem(
        await client.post("/v1/work-orders", content=b'{"description": ', headers=headers),
        400,
        "malformed-json",
    )
    huge = b'{"description": "' + b"a" * 70_000 + b'"}'
    assert_problem(
        await client.post("/v1/work-orders", content=huge, headers=headers),
        413,
        "payload-too-large",
    )

    async def chunks():  # no Content-Length: the limit still holds
        for _ in range(10):
            yield b"a" * 10_000

    assert_problem(await client.post("/v1/work-orders", content=chunks(), headers=headers), 413)


async def test_unknown_route_and_method_are_problems(
    client: httpx.AsyncClient, community: Community
) -> None:
    assert_problem(await client.get("/v1/nothing-here", headers=community.cs.headers), 404)
    assert_problem(await client.delete("/v1/work-orders", headers=community.cs.headers), 405)


async def test_chinese_round_trips_and_timestamps_are_utc_z(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    text = "楼上漏水，我家天花板在滴水 🙏 “很急”"
    order = await file_order(community.owner, text, title="天花板滴水")
    assert order["description"] == text
    assert order["title"] == "天花板滴水"
    assert order["created_at"].endswith("Z")
    assert order["sla"]["respond_by"].endswith("Z")
    assert order["id"].startswith("wo_") and len(order["id"]) > 20
    english = await client.get(
        f"/v1/work-orders/{order['id']}",
        headers=community.owner.headers | {"Accept-Language": "en-US,en;q=0.9"},
    )
    assert english.json()["status_label"] == "Accepted"


async def test_list_filters_sorting_and_cursor(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: object
) -> None:
    descriptions = [
        "厨房水龙头一直滴水",
        "楼上装修噪音太大",
        "垃圾桶满了溢出来",
        "电梯困人了！有人被关在里面",
        "请问物业费怎么交",
        "卫生间下水道堵了",
        "楼道的声控灯坏了",
    ]
    created = []
    for description in descriptions:
        created.append(await file_order(community.owner, description))
        clock.advance(timedelta(seconds=1))
    headers = community.cs.headers

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/work-orders", params=params, headers=headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [o["id"] for o in reversed(created)]

    oldest = (await client.get("/v1/work-orders?sort=created_at", headers=headers)).json()
    assert [i["id"] for i in oldest["items"]] == [o["id"] for o in created]

    by_priority = (await client.get("/v1/work-orders?sort=priority", headers=headers)).json()
    ranks = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    keys = [(ranks[i["priority"]], i["created_at"]) for i in by_priority["items"]]
    assert keys == sorted(keys)
    assert by_priority["items"][0]["priority"] == "urgent"

    engineering = (
        await client.get("/v1/work-orders", params={"queue": "engineering"}, headers=headers)
    ).json()["items"]
    assert engineering and all(i["queue"] == "engineering" for i in engineering)
    found = (await client.get("/v1/work-orders", params={"q": "噪音"}, headers=headers)).json()
    assert [i["description"] for i in found["items"]] == ["楼上装修噪音太大"]
    percent = (await client.get("/v1/work-orders", params={"q": "%"}, headers=headers)).json()
    assert percent["items"] == []
    statuses = (
        await client.get(
            "/v1/work-orders", params=[("status", "triage"), ("status", "queued")], headers=headers
        )
    ).json()["items"]
    assert len(statuses) == len(created)
    window = (
        await client.get(
            "/v1/work-orders",
            params={
                "created_after": created[2]["created_at"],
                "created_before": created[4]["created_at"],
            },
            headers=headers,
        )
    ).json()["items"]
    assert [i["id"] for i in window] == [created[3]["id"], created[2]["id"]]


async def test_department_staff_see_their_queue_and_their_assignments(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    leak = await file_order(community.owner, "厨房水龙头一直滴水", category="plumbing")
    noise = await file_order(community.owner, "楼上装修噪音太大", category="noise")
    assert leak["queue"] == "engineering" and noise["queue"] == "security"
    engineer_sees = (await client.get("/v1/work-orders", headers=community.engineer.headers)).json()
    assert [i["id"] for i in engineer_sees["items"]] == [leak["id"]]
    guard_sees = (await client.get("/v1/work-orders", headers=community.guard.headers)).json()
    assert [i["id"] for i in guard_sees["items"]] == [noise["id"]]
    response = await client.get(f"/v1/work-orders/{leak['id']}", headers=community.guard.headers)
    assert_problem(response, 404)
    manager_sees = (await client.get("/v1/work-orders", headers=community.manager.headers)).json()
    assert len(manager_sees["items"]) == 2


async def test_queues_count_open_unassigned_and_overdue(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: object
) -> None:
    first = await file_order(community.owner, "厨房水龙头一直滴水")
    await file_order(community.owner, "卫生间下水道堵了")
    await client.post(
        f"/v1/work-orders/{first['id']}/claim", json={}, headers=community.engineer.headers
    )
    queues = (await client.get("/v1/queues", headers=community.cs.headers)).json()["items"]
    engineering = next(q for q in queues if q["queue"] == "engineering")
    assert engineering == {
        "queue": "engineering",
        "label": "工程维修",
        "open": 2,
        "unassigned": 1,
        "overdue": 0,
    }
    assert {q["queue"] for q in queues} == {
        "engineering",
        "security",
        "cleaning",
        "customer_service",
    }
    clock.advance(timedelta(days=4))
    queues = (await client.get("/v1/queues", headers=community.cs.headers)).json()["items"]
    assert next(q for q in queues if q["queue"] == "engineering")["overdue"] == 2


async def test_staff_file_on_an_owners_behalf(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(
        community.cs,
        "业主来电：地下车库的排水泵好像不工作了",
        owner_id=community.owner.id,
        channel="phone",
        priority="high",
        contact_phone="13812345678",
    )
    assert order["owner_id"] == community.owner.id
    assert order["channel"] == "phone"
    assert order["priority"] == "high"
    assert order["reporter"] == {"type": "staff", "id": community.cs.id}
    assert order["contact_phone"] == "138****5678"
    mine = await client.get(f"/v1/work-orders/{order['id']}", headers=community.owner.headers)
    assert mine.json()["contact_phone"] == "13812345678"
    unknown_owner = await client.post(
        "/v1/work-orders",
        json={"description": "x", "owner_id": "own_nobody"},
        headers=community.cs.headers,
    )
    assert_problem(unknown_owner, 422)


async def test_admin_does_not_file_orders_and_unknown_property_is_refused(
    client: httpx.AsyncClient, community: Community, token: MakeToken
) -> None:
    response = await client.post(
        "/v1/work-orders", json={"description": "漏水"}, headers=community.admin.headers
    )
    assert_problem(response, 403)
    elsewhere = {"Authorization": f"Bearer {token('owner', community.owner.id, prop='elsewhere')}"}
    # A token for a property that does not exist is not a caller at all (API.md, "Who I am").
    assert_problem(
        await client.post("/v1/work-orders", json={"description": "漏水"}, headers=elsewhere), 401
    )
    assert_problem(await client.get("/v1/work-orders", headers=elsewhere), 401)
