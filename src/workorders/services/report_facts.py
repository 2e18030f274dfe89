"""What the figures read of the orders themselves: the facts of every order with something anchored in a
window (filed, a deadline, its end), in the property's local days and working time. Both the rollups
(services/report_rollups.py, whole past days) and the report's live hours (services/reports.py) tally
these same facts with domain/figures.py, so a figure is computed one way whichever of them answers.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Interval,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from workorders.domain import calendar as calendars
from workorders.domain import sla
from workorders.domain.figures import Dim, Measure, OrderFacts, Tally
from workorders.domain.taxonomy import Kind, Priority
from workorders.models import Event, Property, SlaPolicy, SlaSettings, WorkOrder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.calendar import WorkingCalendar

REPEAT_WINDOW = timedelta(days=30)
# Before any order: the start of a window that reaches back over the whole history.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


# --- local days ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Days:
    """A property's local days, in its timezone (daylight saving included)."""

    tz: ZoneInfo

    def of(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def start(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.tz).astimezone(UTC)

    def ceil(self, moment: datetime) -> date:
        """The first day starting at or after `moment`."""
        day = self.of(moment)
        return day if self.start(day) == moment else day + timedelta(days=1)


async def days_of(session: AsyncSession, property_id: str) -> Days:
    tz = await session.scalar(select(Property.timezone).where(Property.id == property_id))
    return Days(ZoneInfo(tz or "Asia/Shanghai"))


# --- working time ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeBasis:
    """How durations are measured: working time on the property's calendar for the orders whose
    deadline policy uses it (category's policy, else the priority's, else the default), wall-clock
    time otherwise. `key` names the rules, so rollups measured under other rules are known stale."""

    calendar: WorkingCalendar | None
    flags: Mapping[tuple[str, str | None], bool] = field(default_factory=dict)
    key: str = "wall-clock"

    def uses_calendar(self, priority: str, category: str | None) -> bool:
        if self.calendar is None:
            return False
        found = self.flags.get((priority, category)) if category is not None else None
        if found is None:
            found = self.flags.get((priority, None))
        if found is None:
            found = sla.DEFAULT_TARGETS[Priority(priority)].use_calendar
        return found

    def minutes(
        self, priority: str, category: str | None, start: datetime, end: datetime | None
    ) -> int | None:
        """Whole minutes from `start` to `end` (rounded to the second, then down to the minute)."""
        if end is None:
            return None
        if self.calendar is not None and self.uses_calendar(priority, category):
            seconds = self.calendar.working_time(start, end).total_seconds()
        else:
            seconds = (end - start).total_seconds()
        return max(math.floor(round(seconds) / 60), 0)


async def time_basis(session: AsyncSession, property_id: str) -> TimeBasis:
    settings = await session.get(SlaSettings, property_id)
    if settings is None or settings.calendar is None:
        return TimeBasis(None)
    policies = (
        await session.execute(
            select(SlaPolicy.priority, SlaPolicy.category, SlaPolicy.use_calendar).where(
                SlaPolicy.property_id == property_id
            )
        )
    ).all()
    flags = {(priority, category): bool(use) for priority, category, use in policies}
    rules = {"calendar": settings.calendar, "policies": sorted(map(list, policies), key=str)}
    key = hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:32]
    return TimeBasis(calendars.from_data(settings.calendar), flags, key)


# --- the facts ---------------------------------------------------------------------------------------


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _place(session: AsyncSession, order: Any) -> list[ColumnElement[Any]]:
    """Building, unit and room, written exactly as `ix_work_orders_repair_place` indexes them."""
    if _is_postgresql(session):
        return [order.location[part].as_string() for part in ("building", "unit", "room")]
    return [
        cast(func.json_extract(order.location, literal_column(f"'$.\"{part}\"'")), String)
        for part in ("building", "unit", "room")
    ]


def _repeats(session: AsyncSession) -> ColumnElement[bool]:
    dialect = session.get_bind().dialect.name
    if dialect not in _REPEATS:
        _REPEATS[dialect] = _repeats_of(session)
    return _REPEATS[dialect]


# Built once per dialect: the expression is immutable, and building the alias's comparators is slow.
_REPEATS: dict[str, ColumnElement[bool]] = {}


def _repeats_of(session: AsyncSession) -> ColumnElement[bool]:
    """A repair (with a category and a room) filed within the 30 days after another repair in the same
    place for the same category (orders filed at the same instant: the lower id first)."""
    prior = aliased(WorkOrder, name="prior")
    mine, theirs = _place(session, WorkOrder), _place(session, prior)
    if _is_postgresql(session):
        recent = prior.created_at >= WorkOrder.created_at - literal(REPEAT_WINDOW, Interval())
    else:
        recent = func.julianday(prior.created_at) >= func.julianday(WorkOrder.created_at) - (
            REPEAT_WINDOW.total_seconds() / 86400
        )
    earlier = or_(
        prior.created_at < WorkOrder.created_at,
        and_(prior.created_at == WorkOrder.created_at, prior.id < WorkOrder.id),
    )
    found = exists().where(
        prior.property_id == WorkOrder.property_id,
        prior.kind == str(Kind.REPAIR),
        prior.category == WorkOrder.category,
        *(a == b for a, b in zip(theirs, mine, strict=True)),
        recent,
        earlier,
    )
    return and_(_is_repair(session), found)


def _is_repair(session: AsyncSession) -> ColumnElement[bool]:
    room = _place(session, WorkOrder)[2]
    return and_(
        WorkOrder.kind == str(Kind.REPAIR), WorkOrder.category.is_not(None), room.is_not(None)
    )


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


async def fetch(
    session: AsyncSession,
    property_id: str,
    scope: ColumnElement[bool],
    start: datetime,
    end: datetime,
    basis: TimeBasis,
) -> list[OrderFacts]:
    """The facts of every order in `scope` filed, due or ended in `[start, end)`.

    One plain read of the orders (a union of index ranges), then one query each for what lies in
    other rows: who resolved the orders without an assignee, which were reopened, which repeat a
    repair. Kept apart so that no per-order subquery inflates the orders' read (PostgreSQL would
    otherwise hash every reopen in the property, or JIT-compile a query that reads a day)."""
    anchors = (
        WorkOrder.created_at,
        WorkOrder.respond_by,
        WorkOrder.start_by,
        WorkOrder.resolve_by,
        WorkOrder.resolved_at,
        WorkOrder.cancelled_at,
    )
    in_window = and_(scope, or_(*(_in(anchor, start, end) for anchor in anchors)))
    query = select(
        WorkOrder.id,
        WorkOrder.created_at,
        WorkOrder.queue,
        WorkOrder.assignee_id,
        WorkOrder.category,
        _place(session, WorkOrder)[0],
        WorkOrder.priority,
        WorkOrder.respond_by,
        WorkOrder.responded_at,
        WorkOrder.start_by,
        WorkOrder.started_at,
        WorkOrder.resolve_by,
        WorkOrder.resolved_at,
        WorkOrder.cancelled_at,
        WorkOrder.rating_score,
        _is_repair(session),
    ).where(in_window)
    # Plain rows through the connection: the ORM's per-row loading costs more than the read here.
    rows = (await (await session.connection()).execute(query)).all()
    if not rows:
        return []
    # A reopened order goes back to the queue without an assignee; it still counts against whoever
    # resolved it last, or a failed first fix would vanish from that person's figures.
    resolvers: dict[str, str | None] = {}
    unassigned = select(WorkOrder.id).where(in_window, WorkOrder.assignee_id.is_(None))
    for order_id, actor_id in await session.execute(
        select(Event.work_order_id, Event.actor_id)
        .where(Event.type == "work_order.resolved", Event.work_order_id.in_(unassigned))
        .order_by(Event.seq)
    ):
        if order_id is not None:
            resolvers[order_id] = actor_id  # in feed order: the last one stays
    reopened = set(
        (
            await session.execute(
                select(Event.work_order_id).where(
                    Event.property_id == property_id,
                    Event.type == "work_order.reopened",
                    Event.work_order_id.in_(select(WorkOrder.id).where(in_window)),
                )
            )
        ).scalars()
    )
    repeats = set(
        (
            await session.execute(
                select(WorkOrder.id).where(
                    scope, _in(WorkOrder.created_at, start, end), _repeats(session)
                )
            )
        ).scalars()
    )
    facts = []
    for (
        order_id, created_at, queue, assignee, category, building, priority, respond_by,
        responded_at, start_by, started_at, resolve_by, resolved_at, cancelled_at, rating, repair,
    ) in rows:  # fmt: skip
        facts.append(
            OrderFacts(
                created_at=created_at,
                queue=queue,
                groups={
                    Dim.QUEUE: queue,
                    Dim.ASSIGNEE: assignee or resolvers.get(order_id),
                    Dim.CATEGORY: category,
                    Dim.BUILDING: building,
                },
                deadlines={
                    "respond": (respond_by, responded_at),
                    "start": (start_by, started_at),
                    "resolve": (resolve_by, resolved_at),
                },
                resolved_at=resolved_at,
                cancelled_at=cancelled_at,
                rating=rating,
                reopened=order_id in reopened,
                repair=bool(repair),
                repeat=order_id in repeats,
                minutes={
                    Measure.RESPOND: basis.minutes(priority, category, created_at, responded_at),
                    Measure.RESOLVE: basis.minutes(priority, category, created_at, resolved_at),
                },
            )
        )
    return facts


async def tally(
    session: AsyncSession,
    property_id: str,
    scope: ColumnElement[bool],
    days: Days,
    basis: TimeBasis,
    *,
    start: datetime,
    end: datetime,
    due_before: datetime,
    open_at: datetime | None = None,
    dims: tuple[Dim, ...] = tuple(Dim),
) -> Tally:
    """The sums of the orders in `scope` over the window `[start, end)` (domain/figures.py Tally)."""
    window = Tally(days.of, start, end, due_before, open_at, dims)
    if start < end:
        window.extend(await fetch(session, property_id, scope, start, end, basis))
    return window
