"""What the generated clients rely on, on the server's side: bodyless actions, updates that refuse
null where the document does not offer it, strict types, `Allow` and `OPTIONS`, and documentation
pages that need nothing but the service."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder

pytestmark = pytest.mark.db


@pytest.mark.parametrize("body", [None, {}])
async def test_claim_takes_no_body_or_an_empty_object(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, body: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    response = await client.post(
        f"/v1/work-orders/{order['id']}/claim", json=body, headers=community.engineer.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "assigned"


async def test_claim_refuses_unknown_fields(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    response = await client.post(
        f"/v1/work-orders/{order['id']}/claim",
        json={"note": "x"},
        headers=community.engineer.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "note"


async def test_explicit_null_is_refused_where_the_document_offers_no_null(
    client: httpx.AsyncClient, community: Community
) -> None:
    manager, admin = community.manager.headers, community.admin.headers
    policies = (await client.get("/v1/sla-policies", headers=manager)).json()["items"]
    policy = policies[0]["id"]
    cases = [
        (f"/v1/sla-policies/{policy}", {"use_calendar": None}, manager),
        (f"/v1/sla-policies/{policy}", {"respond_within": None}, manager),
        ("/v1/sla-settings", {"return_visit_policy": None}, manager),
    ]
    schedule = await client.post(
        "/v1/schedules",
        json={
            "title": "消防巡检",
            "queue": "engineering",
            "rrule": "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
            "dtstart": "2027-01-01T00:00:00Z",
        },
        headers=manager,
    )
    assert schedule.status_code == 201, schedule.text
    for name in ("title", "rrule", "dtstart", "timezone", "checklist", "priority", "active"):
        cases.append((f"/v1/schedules/{schedule.json()['id']}", {name: None}, manager))
    endpoint = await client.post(
        "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=admin
    )
    if endpoint.status_code == 201:
        cases.append((f"/v1/webhook-endpoints/{endpoint.json()['id']}", {"url": None}, admin))
    for path, body, headers in cases:
        response = await client.patch(path, json=body, headers=headers | {"Accept-Language": "en"})
        assert response.status_code == 422, (path, body, response.text)
        assert "cleared" in response.text or "null" in response.text.lower(), response.text


async def test_wrong_types_are_refused(client: httpx.AsyncClient, community: Community) -> None:
    manager = community.manager.headers
    mark = await client.post("/v1/notifications/read", json={"all": 0}, headers=manager)
    assert mark.status_code == 422, mark.text
    policy = await client.post(
        "/v1/sla-policies",
        json={
            "priority": "low",
            "category": "garbage",
            "respond_within": "PT1H",
            "start_within": "PT2H",
            "resolve_within": "P1D",
            "use_calendar": 0,
        },
        headers=manager,
    )
    assert policy.status_code == 422, policy.text
    schedule = await client.post(
        "/v1/schedules",
        json={
            "title": "巡检",
            "queue": "security",
            "rrule": "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
            "dtstart": 0,
        },
        headers=manager,
    )
    assert schedule.status_code == 422, schedule.text
    assert schedule.json()["errors"][0]["field"] == "dtstart"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/work-orders", {"GET", "POST", "OPTIONS"}),
        ("PUT", "/v1/schedules/sch_x", {"GET", "PATCH", "DELETE", "OPTIONS"}),
        ("GET", "/v1/work-orders/wo_x/claim", {"POST", "OPTIONS"}),
    ],
)
async def test_405_names_every_method_of_the_path(
    client: httpx.AsyncClient, community: Community, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path, headers=community.manager.headers)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allowed
    assert response.headers["content-type"].startswith("application/problem+json")

    options = await client.options(path)
    assert options.status_code == 204
    assert set(options.headers["Allow"].split(", ")) == allowed


async def test_options_on_an_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.options("/v1/nothing-here")).status_code == 404


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_documentation_pages_need_nothing_but_the_service(
    client: httpx.AsyncClient, page: str
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    html = response.text
    external = re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", html)
    assert not external, f"{page} fetches from outside: {external}"
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    assert assets
    for asset in assets:
        if asset.startswith("data:"):
            continue
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert served.content, asset
    assert 'rel="icon"' in html  # or the browser asks elsewhere for one


async def test_the_vendored_licences_are_served(client: httpx.AsyncClient) -> None:
    for name in ("swagger-ui.LICENSE", "redoc.LICENSE"):
        response = await client.get(f"/docs/assets/{name}")
        assert response.status_code == 200
        assert "License" in response.text or "LICENSE" in response.text
    assert (await client.get("/docs/assets/../app.py")).status_code == 404
