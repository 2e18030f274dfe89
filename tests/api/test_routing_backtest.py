"""Backtest: what a proposed rule list or model would have done with the property's recent orders."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from tests.api.test_contract import assert_problem
from workorders import routing_model
from workorders.models import Event, RoutingModel, RoutingRule, WorkOrder

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock

WATER = ("厨房水龙头滴水", "卫生间水管漏水了", "阳台的水管在渗水")
WATER_TO_CLEANING = {
    "name": "水给保洁",
    "when": {"keywords": ["水"]},
    "then": {"queue": "cleaning"},
}


async def _backtest(
    client: httpx.AsyncClient, community: Community, body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/v1/routing/backtest", json=body, headers=community.manager.headers)


async def _counts(app: Any) -> tuple[int, ...]:
    async with app.state.db.reader() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(table)) or 0
                for table in (WorkOrder, Event, RoutingRule, RoutingModel)
            ]
        )


async def test_proposed_rules_say_what_would_move_and_where(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, app: Any
) -> None:
    filed = [await file_order(community.owner, text) for text in WATER]
    assert {o["queue"] for o in filed} == {"engineering"}
    before = await _counts(app)

    response = await _backtest(client, community, {"rules": [WATER_TO_CLEANING]})

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["orders"], answer["moved"]) == (3, 3)
    assert answer["matrix"] == {"engineering": {"cleaning": 3}}
    assert sorted(e["work_order_id"] for e in answer["examples"]) == sorted(o["id"] for o in filed)
    assert all((e["from"], e["to"]) == ("engineering", "cleaning") for e in answer["examples"])
    assert (answer["limit"], answer["truncated"]) == (5000, False)
    assert await _counts(app) == before  # nothing stored


async def test_no_proposal_moves_nothing_and_the_window_bounds_the_orders(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    await file_order(community.owner, WATER[0])
    clock.advance(timedelta(days=100))
    await file_order(community.owner, WATER[1])

    same = (await _backtest(client, community, {})).json()
    assert (same["orders"], same["moved"], same["matrix"]) == (1, 0, {})
    package = routing_model.default_classifier().version
    model = (await _backtest(client, community, {"model_version": package})).json()
    assert (model["orders"], model["moved"]) == (1, 0)
    since = (clock.now() - timedelta(days=200)).isoformat()
    everything = (await _backtest(client, community, {"since": since})).json()
    assert everything["orders"] == 2


async def test_backtest_is_the_managers_and_checks_what_it_is_given(
    client: httpx.AsyncClient, community: Community
) -> None:
    for person in (community.cs, community.admin, community.owner, community.eng_supervisor):
        response = await client.post("/v1/routing/backtest", json={}, headers=person.headers)
        assert_problem(response, 403)
    unknown = await _backtest(client, community, {"model_version": "nope-v1"})
    assert "model_version" in [e["field"] for e in assert_problem(unknown, 422)["errors"]]
    wrong = WATER_TO_CLEANING | {"then": {"queue": "security", "category": "plumbing"}}
    refused = await _backtest(client, community, {"rules": [WATER_TO_CLEANING, wrong]})
    assert "rules[1].then.category" in [e["field"] for e in assert_problem(refused, 422)["errors"]]
    extra = await _backtest(client, community, {"rules": [], "surprise": 1})
    assert_problem(extra, 422)
