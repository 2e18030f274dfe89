"""Daily rollups of the figures, kept by the clock worker, so a year's report sums a few thousand rows
instead of reading a million orders.

Each run, per property: the days that closed since the last run are rolled up (at most `NEW_DAYS` a run,
so the first run over a long history takes several short transactions), and the days an order changed
since the last run are rolled up again. Which days one change can touch: those from the order's filing
day to the latest of its deadlines, its end and the change itself, since whatever the order counted on
before lay in that span (an anchor it left was passed before the change, or was still ahead and not
rolled up). The changes are read from the event feed (every change writes its event in the same
transaction), from the position the property's `report_rollups` row keeps, so none is missed across
replicas or restarts. A day is rewritten whole (delete, insert), so a run is idempotent; the row is
claimed `FOR UPDATE SKIP LOCKED`, so among several workers one rolls up a property at a time.

A figure for a past day may thus lag a change by one clock interval (`WORKORDERS_CLOCK_INTERVAL`); today
is always counted live (services/reports.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, insert, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workorders.domain.figures import SUM_FIELDS
from workorders.models import Event, Property, WorkOrder
from workorders.models.reports import ReportDay, ReportRollup, ReportTimes
from workorders.services import events, feed
from workorders.services.report_facts import Days, TimeBasis, days_of, tally, time_basis

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.figures import Tally

NEW_DAYS = 31
EVENT_BATCH = 2000
EVENT_BATCHES = 10


@dataclass(frozen=True)
class Coverage:
    """The days a report may read from the rollups: every local day before `through` but `pending`,
    the days that changes not rolled up yet may touch (the report tallies those live)."""

    through: date
    pending: frozenset[date]


async def coverage(
    session: AsyncSession, property_id: str, basis: TimeBasis, days: Days
) -> Coverage | None:
    """What the property's rollups cover, if they were measured under today's working-time rules.

    A change the worker has not rolled up yet (it runs every clock interval; on PostgreSQL the feed
    also holds back events while an older transaction is in flight) is found here by its event, past
    the rollups' position, so the report is exact whatever the worker's lag."""
    row = await session.get(ReportRollup, property_id, populate_existing=True)
    if row is None or row.basis != basis.key or row.through_day is None or not row.position:
        return None
    assert row.first_day is not None
    position = feed.Position.decode(row.position)
    if session.get_bind().dialect.name == "postgresql":
        after = tuple_(Event.txid, Event.seq) > tuple_(position.txid, position.seq)
    else:
        after = Event.seq > position.seq
    changed = await session.execute(
        select(Event.work_order_id, func.max(Event.occurred_at))
        .where(Event.property_id == property_id, Event.work_order_id.is_not(None), after)
        .group_by(Event.work_order_id)
    )
    latest = {order_id: at for order_id, at in changed.all() if order_id is not None}
    pending = await _span_days(session, latest, row.first_day, row.through_day, days)
    return Coverage(row.through_day, frozenset(pending))


# --- the worker's job --------------------------------------------------------------------------------


async def roll_up(session: AsyncSession, now: datetime) -> int:
    """Bring every property's rollups up to date; how many days were rewritten."""
    rewritten = 0
    for property_id in list((await session.execute(select(Property.id))).scalars()):
        rewritten += await roll_up_property(session, property_id, now)
    return rewritten


async def _claim(session: AsyncSession, property_id: str, now: datetime) -> ReportRollup | None:
    locked = (
        select(ReportRollup)
        .where(ReportRollup.property_id == property_id)
        .with_for_update(skip_locked=True)
    )
    row = await session.scalar(locked)
    if row is not None:
        return row
    if await session.scalar(
        select(ReportRollup.property_id).where(ReportRollup.property_id == property_id)
    ):
        return None  # another worker is at it
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        dialect_insert(ReportRollup)
        .values(property_id=property_id, position="", basis="", updated_at=now)
        .on_conflict_do_nothing(index_elements=["property_id"])
    )
    return await session.scalar(locked)


async def roll_up_property(session: AsyncSession, property_id: str, now: datetime) -> int:
    state = await _claim(session, property_id, now)
    if state is None:
        return 0
    days = await days_of(session, property_id)
    basis = await time_basis(session, property_id)
    events_of_property = Event.property_id == property_id
    if state.basis != basis.key or not state.position:
        # First run, or the working-time rules changed: start over from the first order.
        await _delete_days(session, property_id, None)
        state.basis, state.first_day, state.through_day = basis.key, None, None
        state.position = (await feed.head(session, events_of_property)).encode()
    if state.through_day is None:
        first = await session.scalar(
            select(func.min(WorkOrder.created_at)).where(WorkOrder.property_id == property_id)
        )
        if first is None:
            state.updated_at = now
            return 0
        state.first_day = state.through_day = days.of(first)

    touched, position = await _touched_days(session, property_id, state, days)
    today = days.of(now)
    through = min(today, state.through_day + timedelta(days=NEW_DAYS))
    fresh = {
        state.through_day + timedelta(days=n) for n in range((through - state.through_day).days)
    }
    todo = sorted(touched | fresh)
    scope = WorkOrder.property_id == property_id
    for run in _contiguous(todo):
        await _rewrite(session, property_id, scope, days, basis, run)
    for month in sorted({day.replace(day=1) for day in todo}):
        await _rewrite_month(session, property_id, month)
    state.through_day = through
    state.position = position
    state.updated_at = now
    await session.flush()
    return len(todo)


# What `_touched_days` reads of each event (services/feed.py: rows, not Events).
_TOUCHED_COLUMNS: feed.Columns = (Event.work_order_id, Event.type, Event.occurred_at)


async def _touched_days(
    session: AsyncSession, property_id: str, state: ReportRollup, days: Days
) -> tuple[set[date], str]:
    """The rolled-up days the orders changed since `state.position` may count on, and the position
    after those changes."""
    assert state.through_day is not None and state.first_day is not None
    position = feed.Position.decode(state.position)
    latest: dict[str, datetime] = {}
    # Orders filed in these events on a day not rolled up yet (most of them: the worker runs every
    # clock interval): their anchors need not be read (`_span_days`).
    new: set[str] = set()
    where = (Event.property_id == property_id) & Event.work_order_id.is_not(None)
    for _ in range(EVENT_BATCHES):
        page = await feed.read(
            session, after=position, limit=EVENT_BATCH, where=where, columns=_TOUCHED_COLUMNS
        )
        for event in page.events:
            assert event.work_order_id is not None
            if (
                event.type == events.ORDER_CREATED
                and days.of(event.occurred_at) >= state.through_day
            ):
                # Filed on a day not rolled up yet (its created event bears its `created_at`):
                # nothing it counts on is rolled up, whatever happens to it later, since its days
                # start at its filing day.
                latest.pop(event.work_order_id, None)
                new.add(event.work_order_id)
                continue
            if event.work_order_id in new:
                continue
            seen = latest.get(event.work_order_id)
            latest[event.work_order_id] = (
                max(seen, event.occurred_at) if seen else event.occurred_at
            )
        position = page.next
        if len(page.events) < EVENT_BATCH:
            break
    touched = await _span_days(session, latest, state.first_day, state.through_day, days)
    return touched, position.encode()


async def _span_days(
    session: AsyncSession, latest: dict[str, datetime], first: date, through: date, days: Days
) -> set[date]:
    """The rolled-up days (from `first`, before `through`) that orders changed at the times in
    `latest` may count on: from each one's filing day to its latest anchor or change."""
    touched: set[date] = set()
    ids = list(latest)
    for chunk in (ids[i : i + 1000] for i in range(0, len(ids), 1000)):
        rows = await session.execute(
            select(
                WorkOrder.id,
                WorkOrder.created_at,
                WorkOrder.respond_by,
                WorkOrder.start_by,
                WorkOrder.resolve_by,
                WorkOrder.resolved_at,
                WorkOrder.cancelled_at,
            ).where(WorkOrder.id.in_(chunk))
        )
        for order_id, created_at, *anchors in rows.all():
            last = max([latest[order_id], *(a for a in anchors if a is not None)])
            lo = max(days.of(created_at), first)
            hi = min(days.of(last), through - timedelta(days=1))
            touched |= {lo + timedelta(days=n) for n in range((hi - lo).days + 1)}
    return touched


def _contiguous(todo: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in todo:
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return (column >= first) & (column <= last)


async def _delete_days(session: AsyncSession, property_id: str, run: list[date] | None) -> None:
    for table in (ReportDay, ReportTimes):
        statement = delete(table).where(table.property_id == property_id)
        if run is not None:
            statement = statement.where(_between(table.day, run[0], run[-1]))
            if table is ReportTimes:
                statement = statement.where(ReportTimes.grain == "day")
        await session.execute(statement)


async def _rewrite(
    session: AsyncSession,
    property_id: str,
    scope: ColumnElement[bool],
    days: Days,
    basis: TimeBasis,
    run: list[date],
) -> None:
    """Roll up the consecutive days `run` again from the orders."""
    start, end = days.start(run[0]), days.start(run[-1] + timedelta(days=1))
    sums = await tally(
        session, property_id, scope, days, basis, start=start, end=end, due_before=end
    )
    await _delete_days(session, property_id, run)
    await _insert(session, property_id, sums)


async def _insert(session: AsyncSession, property_id: str, sums: Tally) -> None:
    day_rows: list[dict[str, Any]] = [
        {"property_id": property_id, "day": day, "queue": queue, "dim": str(dim), "grp": group}
        | {name: getattr(row, name) for name in SUM_FIELDS}
        for (day, queue, dim, group), row in sums.sums.items()
    ]
    time_rows: list[dict[str, Any]] = [
        {
            "property_id": property_id,
            "grain": "day",
            "day": day,
            "queue": queue,
            "dim": str(dim),
            "grp": group,
            "measure": str(measure),
            "minutes": minutes,
            "n": n,
        }
        for (day, queue, dim, group, measure), counts in sums.times.items()
        for minutes, n in counts.items()
    ]
    # Into the tables themselves, not through the ORM: one executemany per chunk, whatever is NULL.
    tables = cast(Table, ReportDay.__table__), cast(Table, ReportTimes.__table__)
    for table, rows in zip(tables, (day_rows, time_rows), strict=True):
        for chunk in (rows[i : i + 5000] for i in range(0, len(rows), 5000)):
            await session.execute(insert(table), chunk)


async def _rewrite_month(session: AsyncSession, property_id: str, month: date) -> None:
    """A month's buckets are the sum of its days'."""
    following = (month + timedelta(days=32)).replace(day=1)
    t = ReportTimes
    await session.execute(
        delete(t).where(t.property_id == property_id, t.grain == "month", t.day == month)
    )
    keys = (t.queue, t.dim, t.grp, t.measure, t.minutes)
    summed = (
        select(literal(property_id), literal("month"), literal(month), *keys, func.sum(t.n))
        .where(t.property_id == property_id, t.grain == "day", t.day >= month, t.day < following)
        .group_by(*keys)
    )
    columns = ["property_id", "grain", "day", "queue", "dim", "grp", "measure", "minutes", "n"]
    await session.execute(insert(t).from_select(columns, summed))


__all__ = ["Coverage", "coverage", "roll_up", "roll_up_property"]
