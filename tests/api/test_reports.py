"""The manager's figures: what each number counts, who may read them, and the CSV form."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from workorders.models.reports import ReportRollup
from workorders.services import report_rollups
from workorders.services.reports import iso_duration

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder, Person
    from workorders.clock import ManualClock

HOME = {"building": "3", "unit": "2", "room": "1502"}


async def _act(
    client: httpx.AsyncClient, person: Person, order: dict[str, Any], action: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/work-orders/{order['id']}/{action}", json=body, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def history(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, clock: ManualClock
) -> dict[str, str]:
    """Two leaks in one kitchen a day apart (the second reopened), and an open noise complaint."""
    start = clock.now()
    c = community
    first = await file_order(c.owner, "厨房水管漏水", location=HOME, category="plumbing")
    clock.advance(timedelta(minutes=10))
    first = await _act(client, c.engineer, first, "claim")
    first = await _act(client, c.engineer, first, "start")
    clock.advance(timedelta(hours=1, minutes=50))
    first = await _act(client, c.engineer, first, "resolve", resolution="换了角阀")
    await _act(client, c.owner, first, "confirm", rating=2)

    clock.advance(timedelta(days=1))
    second = await file_order(c.owner, "厨房水管又漏水了", location=HOME, category="plumbing")
    clock.advance(timedelta(minutes=30))
    second = await _act(client, c.engineer, second, "claim")
    second = await _act(client, c.engineer, second, "start")
    second = await _act(client, c.engineer, second, "resolve", resolution="拧紧了")
    await _act(client, c.owner, second, "reopen", reason="还在滴水")
    await file_order(c.neighbour, "楼下装修噪音太大", category="noise")
    clock.advance(timedelta(hours=1))
    return {
        "from": (start - timedelta(hours=1)).isoformat(),
        "to": (clock.now() + timedelta(minutes=1)).isoformat(),
    }


async def _summary(
    client: httpx.AsyncClient, person: Person, period: dict[str, str], **params: str
) -> httpx.Response:
    return await client.get(
        "/v1/reports/summary", params={**period, **params}, headers=person.headers
    )


async def test_figures_by_queue(
    client: httpx.AsyncClient, community: Community, history: dict[str, str]
) -> None:
    response = await _summary(client, community.manager, history, group_by="queue")
    assert response.status_code == 200, response.text
    items = {item["group"]: item for item in response.json()["items"]}
    engineering = items["engineering"]
    assert engineering["filed"] == 2
    assert engineering["backlog"] == 1  # the reopened leak
    assert engineering["time_to_respond"] == {"p50": "PT10M", "p90": "PT30M"}
    # The reopened order's resolution was undone, so only the first one is measured.
    assert engineering["time_to_resolve"] == {"p50": "PT2H", "p90": "PT2H"}
    assert engineering["rating_avg"] == 2
    assert engineering["low_rating_share"] == 1
    assert engineering["reopen_rate"] == 0.5
    assert engineering["repeat_repair_rate"] == 0.5
    assert engineering["compliance"]["respond"] == 1
    assert items["security"]["filed"] == 1
    assert items["security"]["backlog"] == 1
    assert items["security"]["time_to_resolve"] == {"p50": None, "p90": None}
    assert items["security"]["rating_avg"] is None


async def test_figures_by_assignee_carry_load_and_first_time_fix(
    client: httpx.AsyncClient, community: Community, history: dict[str, str]
) -> None:
    response = await _summary(client, community.manager, history, group_by="assignee")
    assert response.status_code == 200, response.text
    items = {item["group"]: item for item in response.json()["items"]}
    engineer = items[community.engineer.id]
    assert engineer["label"] == "刘师傅"
    assert engineer["load"] == 0  # the reopened order went back to the queue
    assert engineer["first_time_fix_rate"] == 0.5
    assert engineer["filed"] == 2  # the reopened leak stays with whoever resolved it
    assert items[None]["filed"] == 1  # the complaint nobody has taken


async def test_figures_by_day_add_up(
    client: httpx.AsyncClient, community: Community, history: dict[str, str]
) -> None:
    by_day = await _summary(client, community.manager, history, group_by="day")
    by_building = await _summary(client, community.manager, history, group_by="building")
    assert by_day.status_code == by_building.status_code == 200
    days = by_day.json()["items"]
    assert all(len(item["group"]) == 10 for item in days)
    assert sum(item["filed"] for item in days) == 3
    assert sum(item["filed"] for item in by_building.json()["items"]) == 3


async def test_a_supervisor_sees_only_their_queue_and_others_are_refused(
    client: httpx.AsyncClient, community: Community, history: dict[str, str]
) -> None:
    mine = await _summary(client, community.eng_supervisor, history, group_by="category")
    assert mine.status_code == 200
    assert [item["group"] for item in mine.json()["items"]] == ["plumbing"]
    for person in (community.cs, community.engineer, community.owner, community.admin):
        refused = await _summary(client, person, history)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"


async def test_csv_for_a_spreadsheet(
    client: httpx.AsyncClient, community: Community, history: dict[str, str]
) -> None:
    response = await _summary(client, community.manager, history, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    engineering = next(r for r in rows if r["group"] == "engineering")
    assert engineering["filed"] == "2"
    assert engineering["time_to_respond_p50"] == "PT10M"


async def test_a_period_must_run_forwards(
    client: httpx.AsyncClient, community: Community, history: dict[str, str]
) -> None:
    backwards = {"from": history["to"], "to": history["from"]}
    response = await _summary(client, community.manager, backwards)
    assert response.status_code == 422


def test_iso_durations() -> None:
    assert iso_duration(0) == "PT0S"
    assert iso_duration(600) == "PT10M"
    assert iso_duration(90061) == "P1DT1H1M1S"
    assert iso_duration(86400 * 3) == "P3D"
    assert iso_duration(None) is None


async def test_times_are_working_time_where_the_policy_uses_the_calendar(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    clock: ManualClock,
) -> None:
    """Filed Friday 17:00, answered Monday 09:30 (Shanghai), Monday to Friday 09:00-18:00: a normal
    order (its policy counts working time) took 1 h 30 min; an urgent one (around the clock) 64.5 h,
    reported as its bucket's lower edge (P2DT16H, 64 h: within 1/32)."""
    c = community
    calendar = {"hours": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
    settings = await client.patch(
        "/v1/sla-settings", json={"calendar": calendar}, headers=c.manager.headers
    )
    assert settings.status_code == 200, settings.text
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    clock.set(friday)
    normal = await file_order(c.owner, "厨房水管漏水", location=HOME, category="plumbing")
    urgent = await file_order(c.neighbour, "楼下装修噪音太大", category="noise")
    normal = await _act(client, c.cs, normal, "route", queue="cleaning", priority="normal")
    urgent = await _act(client, c.cs, urgent, "route", queue="engineering", priority="urgent")
    clock.set(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # Monday 09:30 in Shanghai
    await _act(client, c.cleaner, normal, "claim")
    await _act(client, c.engineer, urgent, "claim")
    period = {
        "from": (friday - timedelta(hours=9)).isoformat(),
        "to": (clock.now() + timedelta(hours=1)).isoformat(),
    }

    async def times() -> dict[str, Any]:
        response = await _summary(client, c.manager, period, group_by="queue")
        assert response.status_code == 200, response.text
        return {i["group"]: i["time_to_respond"] for i in response.json()["items"]}

    live = await times()
    assert live["cleaning"] == {"p50": "PT1H30M", "p90": "PT1H30M"}
    assert live["engineering"] == {"p50": "P2DT16H", "p90": "P2DT16H"}
    # The same from the daily rollups (Friday to Sunday rolled up, Monday live).
    async with app.state.db.writer() as session, session.begin():
        await report_rollups.roll_up(session, clock.now())
    async with app.state.db.reader() as session:
        state = await session.get(ReportRollup, "default")
        assert state is not None and state.through_day == date(2026, 11, 30)
    assert await times() == live
