"""Default rules that reach every property: a property stores only its own edits of them."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from tests.api.test_contract import assert_problem
from workorders.domain.default_rules import DEFAULT_RULES
from workorders.models import Property, RoutingRule, RoutingRuleOverride
from workorders.services import effective_rules

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder

# The shipped default that sends an engineering category to engineering.
ENTRAPMENT = next(r for r in DEFAULT_RULES if r.id == "default:category-engineering")


async def _rules(client: httpx.AsyncClient, c: Community) -> list[dict[str, Any]]:
    response = await client.get("/v1/routing-rules?limit=200", headers=c.manager.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _stored(app: Any) -> tuple[list[RoutingRule], list[RoutingRuleOverride]]:
    async with app.state.db.reader() as session:
        own = (await session.execute(select(RoutingRule))).scalars().all()
        edits = (await session.execute(select(RoutingRuleOverride))).scalars().all()
        return list(own), list(edits)


async def _revision(app: Any) -> int:
    async with app.state.db.reader() as session:
        revision = await session.scalar(
            select(Property.config_revision).where(Property.id == "default")
        )
        assert revision is not None
        return revision


async def test_reading_and_filing_write_no_rules(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, app: Any
) -> None:
    revision = await _revision(app)
    rules = await _rules(client, community)
    await file_order(community.owner, "厨房水龙头滴水")
    await client.post(
        "/v1/routing/preview", json={"description": "楼道灯不亮"}, headers=community.cs.headers
    )

    assert all(r["origin"] == "default" and not r["edited"] for r in rules)
    assert [r["id"] for r in rules] == [r.id for r in DEFAULT_RULES]
    assert await _stored(app) == ([], [])
    assert await _revision(app) == revision


async def test_paging_through_the_rules(client: httpx.AsyncClient, community: Community) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=20" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/v1/routing-rules{query}", headers=community.manager.headers)
        page = response.json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r.id for r in DEFAULT_RULES]
    bad = await client.get("/v1/routing-rules?cursor=nonsense", headers=community.manager.headers)
    assert_problem(bad, 422)


async def test_editing_a_default_stores_only_the_change_and_delete_restores_it(
    client: httpx.AsyncClient, community: Community, app: Any
) -> None:
    headers = community.manager.headers
    url = f"/v1/routing-rules/{ENTRAPMENT.id}"
    shipped = (await client.get(url, headers=headers)).json()
    assert (shipped["origin"], shipped["edited"], shipped["version"]) == ("default", False, 1)

    then = shipped["then"] | {"dispatch": "round_robin"}
    patched = await client.patch(url, json={"then": then}, headers={**headers, "If-Match": '"1"'})

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["edited"], body["version"], body["then"]["dispatch"]) == (True, 2, "round_robin")
    assert body["position"] == shipped["position"]
    own, edits = await _stored(app)
    assert own == [] and len(edits) == 1
    assert (edits[0].default_id, edits[0].when, edits[0].name, edits[0].enabled) == (ENTRAPMENT.id, None, None, None)  # fmt: skip
    assert edits[0].then["dispatch"] == "round_robin"

    restored = await client.delete(url, headers={**headers, "If-Match": '"2"'})
    assert restored.status_code == 204
    assert (await client.get(url, headers=headers)).json() == shipped
    assert await _stored(app) == ([], [])

    disabled = await client.delete(url, headers=headers)
    assert disabled.status_code == 204
    now = (await client.get(url, headers=headers)).json()
    assert (now["enabled"], now["edited"], now["version"]) == (False, True, 2)
    enabled = await client.patch(url, json={"enabled": True}, headers=headers)
    assert (enabled.json()["enabled"], enabled.json()["edited"]) == (True, False)
    assert await _stored(app) == ([], [])


async def test_a_disabled_default_no_longer_routes(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    before = await file_order(community.owner, "电梯困人了，快来", category="elevator")
    assert before["routing"]["rule_id"] == ENTRAPMENT.id
    response = await client.delete(
        f"/v1/routing-rules/{ENTRAPMENT.id}", headers=community.manager.headers
    )
    assert response.status_code == 204
    after = await file_order(community.owner, "电梯困人了，快来", category="elevator")
    assert after["routing"]["rule_id"] != ENTRAPMENT.id
    assert after["queue"] == "engineering"  # the model places it now
    assert after["priority"] == "urgent"  # urgency does not depend on a rule


async def test_a_default_keeps_its_place(client: httpx.AsyncClient, community: Community) -> None:
    response = await client.patch(
        f"/v1/routing-rules/{ENTRAPMENT.id}",
        json={"position": 40},
        headers=community.manager.headers,
    )
    assert_problem(response, 422)
    assert_problem(
        await client.get("/v1/routing-rules/default-nothing", headers=community.manager.headers),
        404,
    )


async def test_own_rules_keep_their_place_among_the_defaults(
    client: httpx.AsyncClient, community: Community, app: Any
) -> None:
    headers = community.manager.headers
    body = {"name": "车库道闸归秩序", "when": {"keywords": ["道闸"]}, "then": {"queue": "security"}}
    first = (await client.post("/v1/routing-rules", json=body | {"position": 2}, headers=headers)).json()  # fmt: skip
    last = (await client.post("/v1/routing-rules", json=body | {"name": "最后"}, headers=headers)).json()  # fmt: skip
    rules = await _rules(client, community)

    assert (first["position"], first["origin"]) == (2, "property")
    assert [r["id"] for r in rules][1:4] == [DEFAULT_RULES[1].id, first["id"], DEFAULT_RULES[2].id]
    assert rules[-1]["id"] == last["id"] and last["position"] == len(DEFAULT_RULES) + 1
    own, _ = await _stored(app)
    anchors = {r.id: r.anchor for r in own}
    assert anchors == {first["id"]: DEFAULT_RULES[1].id, last["id"]: DEFAULT_RULES[-1].id}

    moved = await client.patch(
        f"/v1/routing-rules/{first['id']}", json={"position": 0}, headers=headers
    )
    assert moved.json()["position"] == 0
    assert (await _rules(client, community))[0]["id"] == first["id"]


async def test_an_upgrade_of_the_defaults_reaches_a_property_that_did_not_edit_them(
    client: httpx.AsyncClient, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = community.manager.headers
    # The property changes only the queue's dispatch of one default.
    url = f"/v1/routing-rules/{ENTRAPMENT.id}"
    shipped = (await client.get(url, headers=headers)).json()
    await client.patch(url, json={"then": shipped["then"] | {"dispatch": "claim"}}, headers=headers)

    # A new version of the package: more words for the same default, and a default added.
    when = dataclasses.replace(ENTRAPMENT.when, keywords=(*ENTRAPMENT.when.keywords, "卡住出不来"))
    upgraded = (
        *(dataclasses.replace(r, when=when) if r is ENTRAPMENT else r for r in DEFAULT_RULES),
        dataclasses.replace(DEFAULT_RULES[1], id="default-new-in-this-version", name="新规则"),
    )
    monkeypatch.setattr(effective_rules, "DEFAULT_RULES", upgraded)
    effective_rules.defaults.cache_clear()
    effective_rules.defaults_by_id.cache_clear()
    try:
        rules = await _rules(client, community)
    finally:
        monkeypatch.undo()
        effective_rules.defaults.cache_clear()
        effective_rules.defaults_by_id.cache_clear()

    entrapment = next(r for r in rules if r["id"] == ENTRAPMENT.id)
    assert "卡住出不来" in entrapment["when"]["keywords"]  # the upgrade reached it
    assert entrapment["then"]["dispatch"] == "claim"  # and the property's own edit stayed
    assert rules[-1]["name"] == "新规则"


async def test_only_the_manager_and_admin_change_defaults(
    client: httpx.AsyncClient, community: Community, app: Any
) -> None:
    url = f"/v1/routing-rules/{ENTRAPMENT.id}"
    for person in (community.cs, community.eng_supervisor, community.owner):
        assert_problem(await client.delete(url, headers=person.headers), 403)
    async with app.state.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(RoutingRuleOverride)) == 0
