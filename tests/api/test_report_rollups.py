"""The report from daily rollups answers exactly what the direct computation answers, on a varied history,
before and after orders change and days close; and the clock worker keeps them safely.

"Direct" is the report with no rollups at all (nothing rolled up yet, or the property's rollup row gone):
every figure tallied from the orders. "Rolled" reads the whole days the worker rolled up and tallies the
rest (the partial days at `from` and `to`, today) live.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from workorders.db import new_id
from workorders.domain.lifecycle import OPEN_STATUSES
from workorders.models import Event, SlaSettings, WorkOrder
from workorders.models.reports import OPEN, ReportDay, ReportRollup, ReportTimes
from workorders.services import report_rollups

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, Person
    from workorders.clock import ManualClock

GROUPINGS = ("queue", "assignee", "category", "building", "day")
WEEKDAY_CALENDAR = {
    "timezone": "Asia/Shanghai",
    "hours": {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [],
    "workdays": [],
}  # fmt: skip


async def _clear(app: Any) -> None:
    async with app.state.db.writer() as session, session.begin():
        for table in (ReportTimes, ReportDay, ReportRollup, Event, WorkOrder, SlaSettings):
            await session.execute(delete(table))
    app.state.db.config.invalidate()


def _order(
    rnd: random.Random, now: datetime, staff: list[str]
) -> tuple[dict[str, Any], list[dict]]:
    """One order of a varied history, and its resolved/reopened events."""
    created = now - timedelta(minutes=rnd.randint(0, 40 * 24 * 60), seconds=rnd.randint(0, 59))

    def later(lo: int, hi: int, after: datetime) -> datetime | None:
        moment = after + timedelta(minutes=rnd.randint(lo, hi), seconds=rnd.randint(0, 59))
        return moment if moment <= now else None

    location = {"unit": "1", "room": rnd.choice(["101", "102", None])}
    if rnd.random() < 0.8:
        location["building"] = rnd.choice(["1", "2", "3"])
    cancelled = later(1, 3000, created) if rnd.random() < 0.1 else None
    responded = later(0, 300, created) if rnd.random() < 0.85 else None
    started = later(0, 900, responded) if responded and rnd.random() < 0.8 else None
    resolved = (
        later(30, 5000, started) if started and not cancelled and rnd.random() < 0.8 else None
    )
    reopened = resolved is not None and rnd.random() < 0.2
    resolver = rnd.choice(staff)
    if reopened:
        resolved = None if rnd.random() < 0.5 else later(60, 3000, resolved)  # type: ignore[arg-type]
    status = (
        "cancelled"
        if cancelled
        else "resolved"
        if resolved
        else "in_progress"
        if started
        else "queued"
    )
    priority = rnd.choice(["urgent", "high", "normal", "low"])
    order = {
        "id": new_id("wo"),
        "property_id": "default",
        "number": f"WO-T-{rnd.getrandbits(40)}",
        "kind": rnd.choice(["repair", "repair", "complaint"]),
        "category": rnd.choice(["plumbing", "electrical", None]),
        "title": "t",
        "description": "d",
        "location": location,
        "status": status,
        "queue": rnd.choice(["engineering", "engineering", "security", "cleaning"]),
        "priority": priority,
        "priority_rank": ["urgent", "high", "normal", "low"].index(priority),
        "assignee_id": None if reopened or rnd.random() < 0.2 else rnd.choice(staff),
        "reporter_type": "owner",
        "channel": "app",
        "routing": {},
        "required_skills": [],
        "respond_by": created + timedelta(minutes=rnd.randint(10, 600)),
        "start_by": created + timedelta(minutes=rnd.randint(60, 3000)),
        "resolve_by": created + timedelta(minutes=rnd.randint(240, 8000)),
        "responded_at": responded,
        "started_at": started,
        "resolved_at": resolved,
        "cancelled_at": cancelled,
        "breached": [],
        "rating_score": rnd.randint(1, 5) if resolved and rnd.random() < 0.6 else None,
        "version": 1,
        "created_at": created,
        "updated_at": created,
    }
    events = []
    if resolved or reopened:
        events.append({"type": "work_order.resolved", "actor_id": resolver, "occurred_at": now})
    if reopened:
        events.append({"type": "work_order.reopened", "actor_id": None, "occurred_at": now})
    return order, events


async def _seed(app: Any, rnd: random.Random, now: datetime, staff: list[str], n: int) -> list[str]:
    ids = []
    async with app.state.db.writer() as session, session.begin():
        for _ in range(n):
            order, events = _order(rnd, now, staff)
            session.add(WorkOrder(**order))
            await session.flush()
            for event in events:
                session.add(_event(order["id"], **event))
            ids.append(order["id"])
    return ids


def _event(order_id: str, *, type: str, actor_id: str | None, occurred_at: datetime) -> Event:
    return Event(
        id=new_id("evt"),
        property_id="default",
        work_order_id=order_id,
        type=type,
        actor_type="staff",
        actor_id=actor_id,
        data={},
        occurred_at=occurred_at,
    )


async def _answers(
    client: httpx.AsyncClient, people: list[Person], period: dict[str, str]
) -> dict[str, Any]:
    answers = {}
    for n, person in enumerate(people):
        for group_by in GROUPINGS:
            response = await client.get(
                "/v1/reports/summary",
                params={**period, "group_by": group_by},
                headers=person.headers,
            )
            assert response.status_code == 200, response.text
            answers[f"{n}:{group_by}"] = response.json()["items"]
    return answers


async def _roll_up(app: Any) -> None:
    """Run the worker's job until it has nothing left to roll up."""
    for _ in range(5):
        async with app.state.db.writer() as session, session.begin():
            await report_rollups.roll_up(session, app.state.clock.now())
    async with app.state.db.writer() as session, session.begin():
        assert await report_rollups.roll_up(session, app.state.clock.now()) == 0


async def _direct(app: Any, client: httpx.AsyncClient, people: list[Person], period: dict) -> dict:
    """The answers with the rollups out of the way (their row gone: nothing is covered)."""
    async with app.state.db.writer() as session, session.begin():
        await session.execute(delete(ReportRollup))
    return await _answers(client, people, period)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32),
    orders=st.integers(5, 70),
    with_calendar=st.booleans(),
    from_days=st.integers(0, 38),
    from_minutes=st.integers(0, 1439),
    to_minutes=st.integers(-3 * 1440, 1440),
)
async def test_rolled_up_figures_equal_the_direct_computation(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    clock: ManualClock,
    seed: int,
    orders: int,
    with_calendar: bool,
    from_days: int,
    from_minutes: int,
    to_minutes: int,
) -> None:
    await _clear(app)
    rnd = random.Random(seed)
    now = datetime(2026, 11, 20, 3, 17, tzinfo=UTC) + timedelta(minutes=rnd.randint(0, 1440))
    clock.set(now)
    c = community
    staff = [p.id for p in (c.engineer, c.engineer2, c.guard, c.cleaner) if p.id]
    if with_calendar:
        async with app.state.db.writer() as session, session.begin():
            session.add(
                SlaSettings(property_id="default", calendar=WEEKDAY_CALENDAR, updated_at=now)
            )
        app.state.db.config.invalidate()
    ids = await _seed(app, rnd, now, staff, orders)
    period = {
        "from": (now - timedelta(days=from_days, minutes=from_minutes)).isoformat(),
        "to": (now + timedelta(minutes=to_minutes)).isoformat(),
    }
    if period["from"] >= period["to"]:
        return
    people = [c.manager, c.eng_supervisor]

    direct = await _answers(client, people, period)
    await _roll_up(app)
    async with app.state.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(ReportDay)) > 0
    assert await _answers(client, people, period) == direct

    # Orders change (one resolved, one reopened, one rated), a day and a half passes: the worker
    # rolls up the days those changes touch and the days that closed.
    clock.advance(timedelta(hours=36))
    later = clock.now()
    async with app.state.db.writer() as session, session.begin():
        for order_id, change, event in zip(
            rnd.sample(ids, min(3, len(ids))),
            (
                {"resolved_at": later, "status": "resolved"},
                {"resolved_at": None, "assignee_id": None, "status": "queued"},
                {"rating_score": 1},
            ),
            ("work_order.resolved", "work_order.reopened", "work_order.confirmed"),
            strict=False,
        ):
            await session.execute(
                update(WorkOrder).where(WorkOrder.id == order_id).values(**change)
            )
            session.add(_event(order_id, type=event, actor_id=staff[0], occurred_at=later))
    await _roll_up(app)
    rolled = await _answers(client, people, period)
    assert rolled == await _direct(app, client, people, period)


async def test_the_backlog_counts_what_was_open_at_the_end_of_the_period(
    app: Any, client: httpx.AsyncClient, community: Community, clock: ManualClock
) -> None:
    """Filed on day 1, resolved on day 3: open at the end of day 2, not at the end of day 4."""
    start = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    clock.set(start + timedelta(days=6))
    order, _events = _order(random.Random(1), start, [community.engineer.id or ""])
    order |= {
        "created_at": start,
        "responded_at": None,
        "started_at": None,
        "cancelled_at": None,
        "resolved_at": start + timedelta(days=2),
        "status": "resolved",
        "queue": "engineering",
    }
    async with app.state.db.writer() as session, session.begin():
        session.add(WorkOrder(**order))
    await _roll_up(app)
    for days, expected in ((1, 1), (3, 0)):
        response = await client.get(
            "/v1/reports/summary",
            params={
                "from": start.isoformat(),
                "to": (start + timedelta(days=days)).isoformat(),
                "group_by": "queue",
            },
            headers=community.manager.headers,
        )
        items = {i["group"]: i for i in response.json()["items"]}
        assert items["engineering"]["backlog"] == expected, days


async def test_one_worker_rolls_up_a_property_at_a_time(
    app: Any, database_url: str, client: httpx.AsyncClient, community: Community
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's write lock serializes the workers by itself")
    await _seed(app, random.Random(7), app.state.clock.now(), [community.engineer.id or ""], 10)
    now = app.state.clock.now()
    async with app.state.db.writer() as session, session.begin():
        assert await report_rollups.roll_up_property(session, "default", now) > 0
    later = now + timedelta(days=2)  # two more days have closed
    async with app.state.db.writer() as first, first.begin():
        assert await report_rollups.roll_up_property(first, "default", later) >= 2
        async with app.state.db.writer() as second, second.begin():
            # The property's row is held: this worker passes it by instead of waiting.
            assert await report_rollups.roll_up_property(second, "default", later) == 0
    async with app.state.db.writer() as session, session.begin():
        # Run again: nothing closed and nothing changed, so nothing to rewrite.
        assert await report_rollups.roll_up_property(session, "default", later) == 0


def test_the_open_orders_index_names_every_open_status() -> None:
    written = {part.strip(" '") for part in OPEN.split("(")[1].rstrip(")").split(",")}
    assert written == {str(s) for s in OPEN_STATUSES}
