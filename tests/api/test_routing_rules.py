"""Routing rules as data: seeded defaults, edits that apply at once everywhere, validation, preview."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select

from tests.api.test_contract import assert_problem
from workorders.app import create_app
from workorders.domain.default_rules import DEFAULT_RULES
from workorders.models import Event, WorkOrder

if TYPE_CHECKING:
    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock
    from workorders.config import Settings

# 23:30 and 10:00 in Asia/Shanghai, the default property's timezone.
NIGHT = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
DAY = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)

FIRST_ANY_WATER = {
    "name": "水一律给保洁",
    "when": {"keywords": ["水"]},
    "then": {"queue": "cleaning", "priority": "low"},
    "position": 0,
}


async def _rules(client: httpx.AsyncClient, c: Community) -> list[dict[str, Any]]:
    response = await client.get("/v1/routing-rules?limit=200", headers=c.manager.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_new_property_starts_with_the_default_rules_in_order(
    client: httpx.AsyncClient, community: Community
) -> None:
    rules = await _rules(client, community)

    assert [r["name"] for r in rules] == [r.name for r in DEFAULT_RULES]
    assert [r["position"] for r in rules] == list(range(len(DEFAULT_RULES)))
    assert all(r["version"] == 1 and r["enabled"] for r in rules)
    # The defaults judge no words (the model does); they honour the category the caller chose.
    engineering = rules[0]
    assert engineering["then"] == {"queue": "engineering", "priority": None, "category": None, "dispatch": None, "kind": None, "skills": []}  # fmt: skip
    assert "elevator" in engineering["when"]["categories"]
    assert not any(r["when"]["keywords"] for r in rules)


async def test_only_the_manager_and_admin_see_and_edit_rules(
    client: httpx.AsyncClient, community: Community
) -> None:
    for person in (community.eng_supervisor, community.cs, community.owner):
        assert_problem(await client.get("/v1/routing-rules", headers=person.headers), 403)
        response = await client.post(
            "/v1/routing-rules", json=FIRST_ANY_WATER, headers=person.headers
        )
        assert_problem(response, 403)
    assert (await client.get("/v1/routing-rules", headers=community.admin.headers)).is_success


async def test_a_new_rule_routes_the_next_order_and_explains_itself(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    created = await client.post(
        "/v1/routing-rules", json=FIRST_ANY_WATER, headers=community.manager.headers
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["position"], rule["version"]) == (0, 1)
    assert created.headers["Location"] == f"/v1/routing-rules/{rule['id']}"

    order = await file_order(community.owner, "厨房水龙头滴水")

    assert (order["queue"], order["priority"]) == ("cleaning", "low")
    assert order["routing"] == {
        "source": "rule",
        "rule_id": rule["id"],
        "rule_name": "水一律给保洁",
        "model_version": None,
        "confidence": 1.0,
        "evidence": [],
        "reason": "keyword 水 matched",
        "suggestions": [],
    }
    rules = await _rules(client, community)
    assert [r["position"] for r in rules] == list(range(len(DEFAULT_RULES) + 1))


async def test_edits_apply_at_once_on_every_replica(
    client: httpx.AsyncClient,
    community: Community,
    settings: Settings,
    clock: ManualClock,
) -> None:
    """Two app instances with their own connection pools stand for two replicas."""
    other = create_app(settings, clock=clock)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://b") as b,
    ):

        async def file_on_b(text: str) -> dict[str, Any]:
            response = await b.post(
                "/v1/work-orders", json={"description": text}, headers=community.owner.headers
            )
            assert response.status_code == 201, response.text
            return response.json()

        assert (await file_on_b("厨房水龙头滴水"))[
            "queue"
        ] == "engineering"  # b now holds the rules

        created = await client.post(
            "/v1/routing-rules", json=FIRST_ANY_WATER, headers=community.manager.headers
        )
        assert (await file_on_b("厨房水龙头滴水"))["queue"] == "cleaning"

        rule = created.json()
        disabled = await client.patch(
            f"/v1/routing-rules/{rule['id']}",
            json={"enabled": False},
            headers=community.manager.headers,
        )
        assert disabled.json()["version"] == 2
        assert (await file_on_b("厨房水龙头滴水"))["queue"] == "engineering"


async def test_every_change_is_an_event_with_who_and_when(
    client: httpx.AsyncClient, community: Community, clock: ManualClock, app: Any
) -> None:
    headers = community.manager.headers
    rule = (await client.post("/v1/routing-rules", json=FIRST_ANY_WATER, headers=headers)).json()
    patched = await client.patch(
        f"/v1/routing-rules/{rule['id']}",
        json={"name": "水给保洁", "position": 3},
        headers={**headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["position"], patched.json()["version"]) == (3, 2)
    assert patched.headers["ETag"] == '"2"'
    stale = await client.patch(
        f"/v1/routing-rules/{rule['id']}",
        json={"enabled": False},
        headers={**headers, "If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    deleted = await client.delete(f"/v1/routing-rules/{rule['id']}", headers=headers)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"/v1/routing-rules/{rule['id']}", headers=headers), 404)
    assert [r["position"] for r in await _rules(client, community)] == list(range(len(DEFAULT_RULES)))  # fmt: skip

    async with app.state.db.reader() as session:
        rows = (
            (
                await session.execute(
                    select(Event).where(Event.type.like("routing_rule.%")).order_by(Event.seq)
                )
            )
            .scalars()
            .all()
        )
    assert [e.type for e in rows] == ["routing_rule.created", "routing_rule.updated", "routing_rule.deleted"]  # fmt: skip
    assert all(e.work_order_id is None and e.actor_id == community.manager.id for e in rows)
    assert all(e.occurred_at == clock.now() for e in rows)
    updated = rows[1].data
    assert updated["changed"] == ["name", "position"]
    assert (updated["before"]["name"], updated["name"], updated["version"]) == ("水一律给保洁", "水给保洁", 2)  # fmt: skip


async def test_bad_rules_are_refused_naming_the_field(
    client: httpx.AsyncClient, community: Community
) -> None:
    then = {"queue": "security"}
    cases = [
        (
            {"name": "x", "when": {}, "then": {"queue": "security", "category": "plumbing"}},
            "then.category",
        ),
        ({"name": "x", "when": {"hours": {"start": 22, "end": 22}}, "then": then}, "when.hours"),
        (
            {"name": "x", "when": {"hours": {"start": 25, "end": 6}}, "then": then},
            "when.hours.start",
        ),
        ({"name": "x", "when": {"keywords": ["吵", " "]}, "then": then}, "when.keywords[1]"),
        ({"name": "x", "when": {"kinds": ["gossip"]}, "then": then}, "when.kinds[0]"),
        ({"name": "x", "when": {"categories": ["lighting"]}, "then": then}, "when.categories[0]"),
        (
            {"name": "x", "when": {"pairs": [{"subjects": ["狗"], "actions": []}]}, "then": then},
            "when.pairs[0].actions",
        ),
        ({"name": "x", "then": {"queue": "kitchen"}}, "then.queue"),
        ({"name": "x", "then": {"queue": "security", "dispatch": "lottery"}}, "then.dispatch"),
        ({"name": "x", "when": {"keyword": ["吵"]}, "then": then}, "when.keyword"),
        ({"name": "x", "then": then, "position": 999}, "position"),
        ({"when": {}, "then": then}, "name"),
    ]
    for body, field in cases:
        response = await client.post(
            "/v1/routing-rules", json=body, headers=community.manager.headers
        )
        problem = assert_problem(response, 422)
        assert field in [e["field"] for e in problem["errors"]], (field, problem)
    assert len(await _rules(client, community)) == len(DEFAULT_RULES)


async def test_preview_explains_without_storing(
    client: httpx.AsyncClient, community: Community, app: Any
) -> None:
    night_rule = {
        "name": "夜间噪音扰民",
        "when": {"keywords": ["咚咚", "吵"], "hours": {"start": 22, "end": 6}},
        "then": {"queue": "security", "category": "noise"},
    }
    created = await client.post(
        "/v1/routing-rules", json=night_rule, headers=community.manager.headers
    )
    assert created.status_code == 201, created.text
    draft = {"description": "楼上一直有动静，咚咚的", "at": NIGHT.isoformat()}

    night = await client.post("/v1/routing/preview", json=draft, headers=community.cs.headers)

    assert night.status_code == 200, night.text
    body = night.json()
    assert (body["queue"], body["status"], body["category"]) == ("security", "queued", "noise")
    assert body["rule"]["name"] == "夜间噪音扰民"
    assert body["reason"].endswith("at night (22:00-06:00)")
    assert body["dispatch"] == "claim"
    assert (body["routing"]["source"], body["routing"]["rule_name"]) == ("rule", "夜间噪音扰民")
    day = await client.post(
        "/v1/routing/preview",
        json={"description": "你好，在吗", "at": DAY.isoformat()},
        headers=community.manager.headers,
    )
    routing = day.json()["routing"]
    assert routing["source"] in ("model", "triage")
    assert routing["model_version"].startswith("default-")
    assert 0 <= routing["confidence"] <= 1
    assert day.json()["reason"] == routing["reason"]
    assert_problem(
        await client.post("/v1/routing/preview", json=draft, headers=community.owner.headers), 403
    )
    async with app.state.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(WorkOrder)) == 0


async def test_the_issues_three_examples(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> None:
    clock.set(NIGHT)
    noise = await file_order(community.owner, "楼上半夜还在开派对，音响开得很大")
    assert noise["queue"] == "security"
    assert noise["routing"]["source"] == "model"
    assert noise["routing"]["evidence"]

    clock.set(DAY)
    trapped = await file_order(community.owner, "电梯卡在8楼和9楼之间，我妈还在里面")
    assert (trapped["queue"], trapped["priority"]) == ("engineering", "urgent")
    assert "urgent: trapped" in trapped["routing"]["reason"]

    fee = await file_order(community.owner, "请问今年的物业费每平米多少钱？")
    assert (fee["queue"], fee["status"]) == ("customer_service", "queued")
