"""Issue 10, findings 3 to 5: clean refusals instead of 500s, and If-Match compared strongly."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.test_contract import assert_problem
from workorders.app import create_app
from workorders.config import Settings

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community


def fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem.get("errors") or []]


async def test_control_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, community: Community, file_order: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    owner = community.owner.headers
    cs = community.cs.headers
    cases: list[tuple[str, str, dict[str, Any] | None, dict[str, str], str]] = [
        ("POST", "/v1/work-orders", {"description": "漏\x00水"}, owner, "description"),
        (
            "POST",
            "/v1/work-orders",
            {"description": "漏水", "location": {"building": "3", "room": "15\x0002"}},
            owner,
            "location.room",
        ),
        ("POST", f"/v1/work-orders/{order['id']}/comments", {"body": "a\x1bb"}, owner, "body"),
        ("POST", "/v1/owners", {"name": "林\x00", "phone": "13812345678"}, cs, "name"),
        (
            "PATCH",
            f"/v1/staff/{community.engineer.id}",
            {"skills": ["ok", "b\x00"]},
            community.admin.headers,
            "skills[1]",
        ),
        ("GET", "/v1/work-orders/wo_%00x", None, cs, "order_id"),
        ("GET", "/v1/work-orders?q=%00", None, cs, "q"),
        ("GET", "/v1/owners?q=a%01b", None, cs, "q"),
        ("GET", "/v1/events?type=work_order.%00", None, cs, "type"),
        ("GET", "/v1/staff/stf_%00", None, cs, "staff_id"),
        ("GET", "/v1/owners/own_%7F", None, cs, "owner_id"),
    ]
    for method, path, body, headers, field in cases:
        response = await client.request(method, path, json=body, headers=headers)
        problem = assert_problem(response, 422, "validation-error")
        assert field in fields(problem), (path, problem)
    # Headers the service reads.
    response = await client.post(
        "/v1/work-orders",
        json={"description": "漏水"},
        headers=owner | {"Idempotency-Key": "k\x01"},
    )
    assert "idempotency-key" in fields(assert_problem(response, 422))
    # Tab, line feed and carriage return are text.
    await file_order(community.owner, "第一行\n第二行\t制表\r\n")


def _position(txid: int | str, seq: int | str) -> str:
    return base64.urlsafe_b64encode(f"{txid}.{seq}".encode()).decode().rstrip("=")


async def test_cursors_out_of_range_are_422_and_never_an_empty_stream(
    client: httpx.AsyncClient, community: Community
) -> None:
    cs = community.cs.headers
    for cursor in [
        _position(0, 2**64),
        _position(2**63, 0),
        _position(-2, 0),
        _position(" 1", "1_0"),
        "%00",
    ]:
        response = await client.get("/v1/events", params={"after": cursor}, headers=cs)
        assert "after" in fields(assert_problem(response, 422)), cursor
    beyond = _position(0, 2**64)
    response = await client.get("/v1/events/stream", headers=cs | {"Last-Event-ID": beyond})
    assert "Last-Event-ID" in fields(assert_problem(response, 422))
    list_cursor = base64.urlsafe_b64encode(
        b'{"o":"created_at","v":["2026-01-01T00:00:00+00:00", "\\u0000"]}'
    ).decode()
    response = await client.get("/v1/staff", params={"cursor": list_cursor}, headers=cs)
    assert "cursor" in fields(assert_problem(response, 422))
    huge = base64.urlsafe_b64encode(b'{"o":"-seq","v":[100000000000000000000000]}').decode()
    response = await client.get("/v1/notifications", params={"cursor": huge}, headers=cs)
    assert "cursor" in fields(assert_problem(response, 422))


async def test_patch_refuses_null_where_nothing_can_be_cleared(
    client: httpx.AsyncClient, community: Community
) -> None:
    admin = community.admin.headers
    path = f"/v1/staff/{community.engineer.id}"
    for name in ("name", "role", "skills", "on_duty", "max_open", "active"):
        problem = assert_problem(await client.patch(path, json={name: None}, headers=admin), 422)
        assert name in fields(problem)
    cleared = await client.patch(path, json={"phone": None}, headers=admin)
    assert cleared.status_code == 200, cleared.text
    owner_path = f"/v1/owners/{community.owner.id}"
    for name in ("name", "phone", "units"):
        problem = assert_problem(
            await client.patch(owner_path, json={name: None}, headers=community.cs.headers), 422
        )
        assert name in fields(problem)


async def test_if_match_is_compared_strongly(
    client: httpx.AsyncClient, community: Community, file_order: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    path = f"/v1/work-orders/{order['id']}/escalate"
    headers = community.cs.headers
    version = order["version"]
    for stale in (f'W/"{version}"', f'W/"{version}", "999"', f'"{version + 1}"'):
        response = await client.post(
            path, json={"reason": "x"}, headers=headers | {"If-Match": stale}
        )
        assert_problem(response, 412)
    response = await client.post(path, json={"reason": "x"}, headers=headers | {"If-Match": "*"})
    assert response.status_code == 200, response.text
    current = response.json()["version"]
    listed = f'"999", W/"{current}", "{current}"'
    response = await client.post(path, json={"reason": "x"}, headers=headers | {"If-Match": listed})
    assert response.status_code == 200, response.text


# --- the database unreachable -------------------------------------------------------------------


def _unreachable_urls(tmp_path: Any) -> list[str]:
    # A "database file" that is a directory (unreadable as a database, even for root), and a
    # PostgreSQL port nothing listens on.
    (tmp_path / "a-directory").mkdir()
    return [
        f"sqlite+aiosqlite:///{tmp_path / 'a-directory'}",
        "postgresql+asyncpg://postgres@127.0.0.1:9/none",
    ]


@pytest.mark.parametrize("which", [0, 1], ids=["sqlite-unreadable", "postgresql-closed-port"])
async def test_an_unreachable_database_answers_503(
    tmp_path: Any, token: Any, which: int, database_url: str
) -> None:
    import httpx

    if not database_url.startswith("sqlite"):
        pytest.skip("runs once, on the SQLite leg")
    url = _unreachable_urls(tmp_path)[which]
    app = create_app(Settings(database_url=url, rate_limits=""))
    headers = {"Authorization": f"Bearer {token('manager')}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            for method, path in [
                ("GET", "/v1/work-orders"),
                ("POST", "/v1/work-orders"),
                ("GET", "/v1/sla-policies"),
                ("GET", "/v1/events"),
                ("GET", "/v1/staff/stf_1"),
            ]:
                response = await http.request(
                    method, path, json={"description": "x"}, headers=headers
                )
                problem = assert_problem(response, 503, "unavailable")
                assert response.headers["Retry-After"].isdigit(), problem
            assert (await http.get("/readyz")).status_code == 503


async def test_without_a_token_a_control_character_is_still_a_401(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.get("/v1/work-orders/wo_%00x"), 401)
