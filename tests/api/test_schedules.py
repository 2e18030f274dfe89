"""Scheduled work through the API and the clock worker: who keeps schedules, a month of occurrences,
two workers at once, backlogs, and checklists whose failed items open linked orders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tests.api.test_contract import assert_problem
from tests.api.test_sla import run
from workorders.workers import clock as clock_jobs

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community
    from workorders.clock import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def _create(client: httpx.AsyncClient, person: Any, **fields: Any) -> httpx.Response:
    body = {
        "title": "大堂保洁",
        "queue": "cleaning",
        "category": "hygiene",
        "rrule": "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
        "dtstart": fields.pop("dtstart").isoformat(),
        "checklist": ["地面", "玻璃门"],
    } | fields
    return await client.post("/v1/schedules", json=body, headers=person.headers)


async def _tasks(client: httpx.AsyncClient, community: Community, schedule_id: str) -> list[dict]:
    orders = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200, "sort": "created_at"}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get("/v1/work-orders", params=params, headers=community.manager.headers)
        ).json()
        orders += [o for o in page["items"] if o["schedule_id"] == schedule_id]
        cursor = page["next_cursor"]
        if cursor is None:
            return orders


async def test_who_keeps_schedules(
    client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    start = _local_midnight(clock.now()) + timedelta(days=1)
    refused = await _create(client, community.sec_supervisor, dtstart=start)
    assert_problem(refused, 403, "forbidden")
    assert_problem(await _create(client, community.cleaner, dtstart=start), 403, "forbidden")
    bad = await _create(client, community.manager, dtstart=start, rrule="FREQ=SOMETIMES")
    assert_problem(bad, 422, "validation-error")
    created = await _create(client, community.manager, dtstart=start)
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["timezone"] == "Asia/Shanghai"
    assert schedule["dispatch"] == "claim"
    assert datetime.fromisoformat(schedule["next_run_at"]) == start.replace(hour=8)

    listed = await client.get("/v1/schedules", headers=community.cleaner.headers)
    assert [s["id"] for s in listed.json()["items"]] == [schedule["id"]]
    hidden = await client.get(f"/v1/schedules/{schedule['id']}", headers=community.guard.headers)
    assert_problem(hidden, 404)
    paused = await client.patch(
        f"/v1/schedules/{schedule['id']}", json={"active": False}, headers=community.manager.headers
    )
    assert paused.json()["active"] is False
    gone = await client.delete(f"/v1/schedules/{schedule['id']}", headers=community.manager.headers)
    assert gone.status_code == 204


async def test_a_month_of_a_daily_schedule_makes_one_task_per_day(
    app: Any, client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    start = _local_midnight(clock.now()) + timedelta(days=1)
    created = await _create(client, community.manager, dtstart=start)
    schedule = created.json()
    clock.set(start.astimezone(UTC))
    made = 0
    for _ in range(30 * 4):  # every 6 hours for 30 days, two workers each time
        clock.advance(timedelta(hours=6))
        made += sum(await asyncio.gather(*(run(app, clock_jobs.run_schedules) for _ in range(2))))
    assert made == 30
    tasks = await _tasks(client, community, schedule["id"])
    assert len(tasks) == 30
    assert {(t["kind"], t["channel"], t["queue"]) for t in tasks} == {
        ("task", "schedule", "cleaning")
    }
    assert tasks[0]["checklist"] == [
        {"item": "地面", "result": None, "note": None, "checked_by": None, "checked_at": None,
         "follow_up_id": None},
        {"item": "玻璃门", "result": None, "note": None, "checked_by": None, "checked_at": None,
         "follow_up_id": None},
    ]  # fmt: skip
    assert tasks[0]["reporter"] == {"type": "system", "id": None}


async def test_a_backlog_makes_only_the_latest_occurrence(
    app: Any, client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    ten_days_ago = _local_midnight(clock.now()) - timedelta(days=10)
    schedule = (await _create(client, community.manager, dtstart=ten_days_ago)).json()
    assert await run(app, clock_jobs.run_schedules) == 1
    assert await run(app, clock_jobs.run_schedules) == 0
    assert len(await _tasks(client, community, schedule["id"])) == 1


async def test_a_failed_checklist_item_opens_a_linked_order(
    app: Any, client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    start = _local_midnight(clock.now()) - timedelta(days=1)
    schedule = (
        await _create(
            client,
            community.eng_supervisor,
            dtstart=start,
            title="消防设施月检",
            queue="engineering",
            category="fire_equipment",
            rrule="FREQ=DAILY;BYHOUR=0;BYMINUTE=0",
            checklist=["灭火器压力", "消防栓水压"],
            assignee_id=community.engineer.id,
        )
    ).json()
    assert schedule["dispatch"] == "assign"
    assert await run(app, clock_jobs.run_schedules) == 1
    [task] = await _tasks(client, community, schedule["id"])
    assert task["status"] == "assigned"
    assert task["assignee_id"] == community.engineer.id
    assert task["sla"]["responded_at"] is not None
    path = f"/v1/work-orders/{task['id']}"

    early = await client.post(
        f"{path}/checklist/0", json={"result": "passed"}, headers=community.engineer.headers
    )
    assert_problem(early, 409)
    started = await client.post(f"{path}/start", json={}, headers=community.engineer.headers)
    assert started.status_code == 200, started.text
    other = await client.post(
        f"{path}/checklist/0", json={"result": "passed"}, headers=community.engineer2.headers
    )
    assert_problem(other, 403, "forbidden")
    passed = await client.post(
        f"{path}/checklist/0", json={"result": "passed"}, headers=community.engineer.headers
    )
    assert passed.json()["checklist"][0]["result"] == "passed"
    failed = await client.post(
        f"{path}/checklist/1",
        json={"result": "failed", "note": "压力不足"},
        headers=community.engineer.headers,
    )
    assert failed.status_code == 200, failed.text
    item = failed.json()["checklist"][1]
    assert item["result"] == "failed"
    assert item["checked_by"] == community.engineer.id
    repair = (
        await client.get(
            f"/v1/work-orders/{item['follow_up_id']}", headers=community.manager.headers
        )
    ).json()
    assert repair["parent_id"] == task["id"]
    assert repair["queue"] == "engineering"
    assert repair["category"] == "fire_equipment"
    missing = await client.post(
        f"{path}/checklist/7", json={"result": "passed"}, headers=community.engineer.headers
    )
    assert_problem(missing, 404)


async def test_a_start_out_of_reach_or_a_rule_too_frequent_is_refused_naming_its_field(
    client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    """dateutil walks a rule from its start: a daily rule started in the year 36 made one request
    take five seconds (and the clock worker with it). A start lies within a year before and ten
    years after now; scheduled work occurs at most once an hour."""
    start = _local_midnight(clock.now()) + timedelta(days=1)
    for dtstart in (datetime(36, 4, 27, 18, tzinfo=UTC), start.replace(year=start.year + 20)):
        refused = await _create(client, community.manager, dtstart=dtstart)
        problem = assert_problem(refused, 422, "validation-error")
        assert problem["detail"].startswith("dtstart"), problem
    for rule in ("FREQ=MINUTELY", "FREQ=HOURLY;BYMINUTE=0,30"):
        refused = await _create(client, community.manager, dtstart=start, rrule=rule)
        assert assert_problem(refused, 422, "validation-error")["detail"].startswith("rrule")
    schedule = (await _create(client, community.manager, dtstart=start)).json()
    moved = await client.patch(
        f"/v1/schedules/{schedule['id']}",
        json={"dtstart": "0036-04-27T18:29:17.3-11:19"},
        headers=community.manager.headers,
    )
    assert assert_problem(moved, 422, "validation-error")["detail"].startswith("dtstart")


async def test_a_schedule_resumed_years_after_its_start_runs_on_from_its_last_occurrence(
    app: Any, client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    start = _local_midnight(clock.now()) - timedelta(days=300)
    schedule = (await _create(client, community.manager, dtstart=start)).json()
    await client.patch(
        f"/v1/schedules/{schedule['id']}", json={"active": False}, headers=community.manager.headers
    )
    clock.advance(timedelta(days=3 * 365))
    resumed = await client.patch(
        f"/v1/schedules/{schedule['id']}", json={"active": True}, headers=community.manager.headers
    )
    assert resumed.status_code == 200, resumed.text
    next_run = datetime.fromisoformat(resumed.json()["next_run_at"])
    assert next_run.astimezone(SHANGHAI).hour == 8
    assert timedelta(0) <= next_run - clock.now() <= timedelta(days=1)
    assert await run(app, clock_jobs.run_schedules) == 0
    clock.set(next_run)
    assert await run(app, clock_jobs.run_schedules) == 1
