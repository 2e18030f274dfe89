"""The data surprises of issue 12: what a reopen keeps, one version per action, a clock that does not
move `updated_at` behind the ETag's back, and blank text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from workorders.services import sla_clock

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock
    from workorders.db import Database


async def _act(
    client: httpx.AsyncClient, person: Person, oid: str, action: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/work-orders/{oid}/{action}", json=body, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _events(client: httpx.AsyncClient, person: Person, oid: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/work-orders/{oid}/events", headers=person.headers)
    assert response.status_code == 200
    return response.json()["items"]


async def test_a_reopened_order_drops_its_rating_and_resolution_and_the_event_keeps_them(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    oid = (await file_order(c.owner, "卫生间地漏堵了，水下不去"))["id"]
    await _act(client, c.engineer, oid, "claim", {})
    await _act(client, c.engineer, oid, "start", {})
    await _act(client, c.engineer, oid, "resolve", {"resolution": "疏通了地漏"})
    closed = await _act(client, c.owner, oid, "confirm", {"rating": 4, "comment": "还行"})
    assert closed["rating"] == {"score": 4, "comment": "还行"}

    reopened = await _act(client, c.owner, oid, "reopen", {"reason": "又堵了"})
    assert reopened["status"] == "queued"
    assert reopened["rating"] is None
    assert reopened.get("resolution") is None
    staff_view = (await client.get(f"/v1/work-orders/{oid}", headers=c.cs.headers)).json()
    assert staff_view["rating"] is None
    assert staff_view.get("resolution") is None

    event = (await _events(client, c.cs, oid))[-1]
    assert event["type"] == "work_order.reopened"
    assert event["data"]["previous_resolution"] == "疏通了地漏"
    assert event["data"]["previous_rating"] == {"score": 4, "comment": "还行"}
    # Staff's words of the earlier attempt stay out of the owner's view of the event.
    owner_event = (await _events(client, c.owner, oid))[-1]
    assert "previous_resolution" not in owner_event["data"]

    # The second attempt is rated afresh.
    await _act(client, c.engineer, oid, "claim", {})
    await _act(client, c.engineer, oid, "start", {})
    await _act(client, c.engineer, oid, "resolve", {"resolution": "更换了地漏"})
    again = await _act(client, c.owner, oid, "confirm", {})
    assert again["rating"] is None


@pytest.mark.parametrize("path", ["route", "resume"])
async def test_one_action_is_one_version_and_one_event(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    path: str,
    request: pytest.FixtureRequest,
) -> None:
    c = community
    if path == "route":
        request.getfixturevalue("unsure_router")
        order = await file_order(c.owner, "楼下那块地方有点问题")
        assert order["status"] == "triage"
        after = await _act(client, c.cs, order["id"], "route", {"queue": "engineering"})
    else:
        order = await file_order(c.owner, "厨房水管漏水")
        await _act(client, c.engineer, order["id"], "claim", {})
        await _act(client, c.engineer, order["id"], "start", {})
        order = await _act(client, c.engineer, order["id"], "hold", {"reason": "等配件"})
        after = await _act(client, c.engineer, order["id"], "resume", {})
    assert after["version"] == order["version"] + 1
    events = await _events(client, c.cs, order["id"])
    assert events[-1]["type"] == f"work_order.{path}d"
    assert events[-1]["data"]["version"] == after["version"]
    assert [e["data"]["version"] for e in events] == list(range(1, after["version"] + 1))


async def test_the_deadline_sweep_leaves_version_and_updated_at_alone_when_nothing_fires(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    db: Database,
    clock: ManualClock,
) -> None:
    order = await file_order(community.owner, "小区草坪很久没修剪了")
    clock.advance(timedelta(seconds=1))
    async with db.writer() as session, session.begin():
        # Looking again at an order with nothing due writes only when to look next.
        assert await sla_clock.sweep(session, clock.now()) == 0
    read = await client.get(f"/v1/work-orders/{order['id']}", headers=community.cs.headers)
    assert read.json()["version"] == order["version"]
    assert read.json()["updated_at"] == order["updated_at"]
    assert read.headers["ETag"] == f'"{order["version"]}"'


async def test_a_breach_moves_version_updated_at_and_writes_its_event(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    db: Database,
    clock: ManualClock,
) -> None:
    order = await file_order(community.owner, "小区草坪很久没修剪了")
    clock.advance(timedelta(days=30))
    async with db.writer() as session, session.begin():
        assert await sla_clock.sweep(session, clock.now()) >= 1
    read = (await client.get(f"/v1/work-orders/{order['id']}", headers=community.cs.headers)).json()
    events = await _events(client, community.cs, order["id"])
    assert read["version"] > order["version"]
    assert read["updated_at"] != order["updated_at"]
    assert max(e["data"]["version"] for e in events) == read["version"]


@pytest.mark.parametrize(
    "body",
    [
        {"description": "   "},
        {"description": "\u3000\n "},
        {"description": "电梯坏了", "title": "  "},
    ],
)
async def test_blank_text_is_refused(
    client: httpx.AsyncClient, community: Community, body: dict[str, Any]
) -> None:
    response = await client.post(
        "/v1/work-orders",
        json=body,
        headers=community.owner.headers | {"Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] in ("description", "title")
    assert error["message"] == "must not be blank"


def test_seed_demo_prints_the_served_address_and_the_ids_tokens_are_minted_for(
    tmp_path: Path,
) -> None:
    env = os.environ | {
        "WORKORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "WORKORDERS_DATA_DIR": str(tmp_path),
    }
    workorders = str(Path(sys.executable).with_name("workorders"))

    def run(*args: str) -> str:
        done = subprocess.run(
            [workorders, *args], env=env, capture_output=True, text=True, timeout=120, check=True
        )
        return done.stdout

    printed = run("seed-demo", "--port", "8123")
    assert "http://127.0.0.1:8123/v1/work-orders" in printed
    assert ":8000" not in printed
    owner_ids = re.findall(r"^owner \S+ \(sub (own_\w+)\)$", printed, flags=re.MULTILINE)
    assert len(owner_ids) == 3
    # What the README's owner example needs: an owner id to mint a token for.
    assert run("token", "--role", "owner", "--sub", owner_ids[0]).count(".") == 2
    again = run("seed-demo", "--base-url", "https://wo.example.com/")
    assert "https://wo.example.com/v1/work-orders" in again
    assert set(re.findall(r"\(sub (own_\w+)\)", again)) == set(owner_ids)
