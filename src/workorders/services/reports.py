"""The manager's figures: `GET /v1/reports/summary`, computed in SQL on SQLite and PostgreSQL alike.

Definitions, for a period `[from, to)` and one group (queue, current assignee, category, building, or the
local day an order was filed, in the property's timezone):

- **filed**: orders created in the period.
- **backlog**: orders created before `to` and neither resolved nor cancelled by `to` (an order reopened
  later counts by its latest resolution). With `group_by=day` an order belongs to its filing day, so the
  day's backlog is "filed that day and still open at `to`".
- **compliance** per clock (respond, start, resolve): among orders whose deadline fell in the period (and
  before now: a deadline still ahead is not yet met or missed), the share met; an order cancelled before
  its deadline is left out. Deadlines are the stored ones, already moved by time spent on hold.
- **time_to_respond**: `responded_at - created_at` (first assignment or claim); **time_to_resolve**:
  `resolved_at - created_at`; both over orders filed in the period, as p50 and p90 by the nearest-rank
  method to the whole minute (per-minute counts and a running sum with window functions, so the same
  SQL runs on both databases). These are wall-clock times: the working-time calendars of the deadline
  policies are not applied here.
- **rating_avg**, **low_rating_share** (share of 1–2 ratings): over rated orders filed in the period.
- **reopen_rate**: among orders filed in the period and ever resolved, the share with a
  `work_order.reopened` event.
- **repeat_repair_rate**: among repairs filed in the period with a category and a room, the share whose
  building, unit, room and category match an order filed within the 30 days before.
- `group_by=assignee` groups by the current assignee or, for an order without one (a reopened order
  goes back to the queue), whoever resolved it last. It also carries **load** (the member's open orders
  now) and **first_time_fix_rate** (among their orders filed in the period and ever resolved, the share
  never reopened).

Shares are 0 to 1; a figure with nothing to measure is `None`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    text,
)

from workorders.domain.actors import Role
from workorders.domain.lifecycle import OPEN_STATUSES
from workorders.domain.taxonomy import QUEUE_LABELS, Kind, Queue
from workorders.errors import Forbidden, ValidationFailed, _
from workorders.models import Event, Property, Staff, WorkOrder

if TYPE_CHECKING:
    from workorders.services.context import Context

REPEAT_WINDOW = timedelta(days=30)
MAX_PERIOD = timedelta(days=400)
CLOCKS = ("respond", "start", "resolve")


class GroupBy(StrEnum):
    QUEUE = "queue"
    ASSIGNEE = "assignee"
    CATEGORY = "category"
    BUILDING = "building"
    DAY = "day"


@dataclass
class Row:
    group: str | None
    label: str | None = None
    filed: int = 0
    backlog: int = 0
    compliance: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(CLOCKS))
    time_to_respond: dict[str, float | None] = field(
        default_factory=lambda: {"p50": None, "p90": None}
    )
    time_to_resolve: dict[str, float | None] = field(
        default_factory=lambda: {"p50": None, "p90": None}
    )
    rating_avg: float | None = None
    low_rating_share: float | None = None
    reopen_rate: float | None = None
    repeat_repair_rate: float | None = None
    load: int | None = None
    first_time_fix_rate: float | None = None


def _scope(ctx: Context) -> ColumnElement[bool]:
    """Which orders the caller may count: the whole property (manager) or their queue (supervisor)."""
    principal = ctx.principal
    in_property = WorkOrder.property_id == principal.property_id
    if principal.role is Role.MANAGER:
        return in_property
    if principal.role is Role.SUPERVISOR and principal.dept is not None:
        return and_(in_property, WorkOrder.queue == str(principal.dept))
    raise Forbidden(_("the figures are for the manager, and for supervisors of their own queue"))


def _seconds(ctx: Context, start: Any, end: Any) -> ColumnElement[float]:
    if ctx.session.get_bind().dialect.name == "postgresql":
        # date_part answers double precision; EXTRACT answers numeric, much slower to sum and sort.
        return func.date_part("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _local_day(ctx: Context, column: Any, tz: ZoneInfo, at: datetime) -> ColumnElement[str]:
    if ctx.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz.key, column), "YYYY-MM-DD")
    # SQLite has no timezone database: the property's offset at the period's start (the properties
    # this serves are in China, where the offset never changes).
    offset = tz.utcoffset(at.replace(tzinfo=None))
    seconds = int(offset.total_seconds()) if offset else 0
    return func.strftime("%Y-%m-%d", column, f"{seconds:+d} seconds")


def _group_key(ctx: Context, group_by: GroupBy, tz: ZoneInfo, at: datetime) -> Any:
    match group_by:
        case GroupBy.QUEUE:
            return WorkOrder.queue
        case GroupBy.ASSIGNEE:
            # A reopened order goes back to the queue without an assignee; it still counts against
            # whoever resolved it last, or a failed first fix would vanish from that person's figures.
            last_resolver = (
                select(Event.actor_id)
                .where(Event.work_order_id == WorkOrder.id, Event.type == "work_order.resolved")
                .order_by(Event.seq.desc())
                .limit(1)
                .scalar_subquery()
            )
            return func.coalesce(WorkOrder.assignee_id, last_resolver)
        case GroupBy.CATEGORY:
            return WorkOrder.category
        case GroupBy.BUILDING:
            return WorkOrder.location["building"].as_string()
        case GroupBy.DAY:
            return _local_day(ctx, WorkOrder.created_at, tz, at)


def _share(part: Any, whole: Any) -> float | None:
    return round(float(part) / whole, 4) if whole else None


def _ratio(n: Any) -> float | None:
    return None if n is None else round(float(n), 4)


async def summary(
    ctx: Context, *, start: datetime | None, end: datetime | None, group_by: GroupBy
) -> list[Row]:
    scope = _scope(ctx)
    end = end or ctx.now
    start = start or end - timedelta(days=30)
    if start >= end:
        raise ValidationFailed.on("from", _("must be before `to`"))
    if end - start > MAX_PERIOD:
        raise ValidationFailed.on("from", _("the period is at most 400 days"))
    if _is_postgresql(ctx):
        # The percentiles and the repeat-repair window sort a year of orders: in memory, not on disk.
        await ctx.session.execute(text("SET LOCAL work_mem = '128MB'"))
    prop = await ctx.session.get(Property, ctx.principal.property_id)
    tz = ZoneInfo(prop.timezone if prop else "Asia/Shanghai")
    key = _group_key(ctx, group_by, tz, start)
    rows: dict[Any, Row] = {}

    def row(group: Any) -> Row:
        return rows.setdefault(group, Row(group=None if group is None else str(group)))

    query = _totals_query(ctx, scope, key, start, end, min(end, ctx.now))
    for group, filed, rating, low, rated, reopened, resolved, ftf, backlog, *clocks in (
        await ctx.session.execute(query)
    ).all():
        r = row(group)
        r.filed = filed
        r.rating_avg = None if rating is None else round(float(rating), 2)
        r.low_rating_share = _share(low, rated)
        r.reopen_rate = _share(reopened, resolved)
        if group_by is GroupBy.ASSIGNEE:
            r.first_time_fix_rate = _share(ftf, resolved)
        r.backlog = backlog
        for n, clock in enumerate(CLOCKS):
            r.compliance[clock] = _share(clocks[2 * n + 1], clocks[2 * n])

    for field_name, done in (
        ("time_to_respond", WorkOrder.responded_at),
        ("time_to_resolve", WorkOrder.resolved_at),
    ):
        query = _percentile_query(ctx, scope, key, start, end, done)
        for group, p50, p90 in (await ctx.session.execute(query)).all():
            setattr(
                row(group),
                field_name,
                {"p50": _minutes_to_seconds(p50), "p90": _minutes_to_seconds(p90)},
            )

    query = _repeat_query(ctx, scope, key, start, end)
    for group, repairs, repeats in (await ctx.session.execute(query)).all():
        row(group).repeat_repair_rate = _share(repeats, repairs)

    if group_by is GroupBy.ASSIGNEE:
        load = (
            select(WorkOrder.assignee_id, func.count())
            .where(scope, WorkOrder.status.in_([str(s) for s in OPEN_STATUSES]))
            .where(WorkOrder.assignee_id.is_not(None))
            .group_by(WorkOrder.assignee_id)
        )
        for group, count in (await ctx.session.execute(load)).all():
            row(group).load = count
        for r in rows.values():
            r.load = r.load or 0 if r.group is not None else None
        names = dict(
            (
                await ctx.session.execute(
                    select(Staff.id, Staff.name).where(
                        Staff.id.in_([g for g in rows if g is not None])
                    )
                )
            ).all()
        )
        for r in rows.values():
            r.label = names.get(r.group) if r.group else None
    elif group_by is GroupBy.QUEUE:
        for r in rows.values():
            r.label = QUEUE_LABELS.get(Queue(r.group)) if r.group in set(Queue) else None
    return sorted(rows.values(), key=lambda r: (r.group is None, r.group or ""))


def _is_postgresql(ctx: Context) -> bool:
    return ctx.session.get_bind().dialect.name == "postgresql"


def _totals_query(
    ctx: Context,
    scope: ColumnElement[bool],
    key: Any,
    start: datetime,
    end: datetime,
    due_before: datetime,
) -> Any:
    """Every count in one pass over the orders filed before `end`, each a filtered aggregate: what
    was filed in the period (ratings, reopens, first-time fixes), the backlog at `end`, and per clock
    the deadlines that fell in `[start, due_before)` and how many were met."""
    reopened_ids = select(Event.work_order_id).where(
        Event.property_id == ctx.principal.property_id, Event.type == "work_order.reopened"
    )
    deadlines = (
        (WorkOrder.respond_by, WorkOrder.responded_at),
        (WorkOrder.start_by, WorkOrder.started_at),
        (WorkOrder.resolve_by, WorkOrder.resolved_at),
    )
    columns: list[Any] = [
        key.label("g"),
        case((WorkOrder.created_at >= start, 1), else_=0).label("filed"),
        WorkOrder.rating_score.label("rating"),
        case((WorkOrder.id.in_(reopened_ids), 1), else_=0).label("reopened"),
        case((WorkOrder.resolved_at.is_not(None), 1), else_=0).label("resolved"),
        case(
            (
                and_(
                    or_(WorkOrder.resolved_at.is_(None), WorkOrder.resolved_at >= end),
                    or_(WorkOrder.cancelled_at.is_(None), WorkOrder.cancelled_at >= end),
                ),
                1,
            ),
            else_=0,
        ).label("open_at_end"),
    ]
    for n, (deadline, done) in enumerate(deadlines):
        due = and_(
            deadline >= start,
            deadline < due_before,
            or_(WorkOrder.cancelled_at.is_(None), WorkOrder.cancelled_at > deadline),
        )
        columns += [
            case((due, 1), else_=0).label(f"due{n}"),
            case((and_(due, done <= deadline), 1), else_=0).label(f"met{n}"),
        ]
    orders = select(*columns).where(scope, WorkOrder.created_at < end).subquery("orders")
    c = orders.c
    filed = c.filed == 1
    ever_resolved = and_(filed, or_(c.resolved == 1, c.reopened == 1))
    figures: list[Any] = [
        func.count().filter(filed),
        func.avg(c.rating).filter(filed),
        func.count().filter(filed, c.rating <= 2),
        func.count(c.rating).filter(filed),
        func.count().filter(filed, c.reopened == 1),
        func.count().filter(ever_resolved),
        func.count().filter(ever_resolved, c.reopened == 0),
        func.sum(c.open_at_end),
    ]
    for n in range(len(deadlines)):
        figures += [func.sum(c[f"due{n}"]), func.sum(c[f"met{n}"])]
    return select(c.g, *figures).group_by(c.g)


def _whole_minutes(ctx: Context, seconds: Any) -> Any:
    if _is_postgresql(ctx):
        return cast(func.floor(func.round(seconds) / 60), Integer)
    # SQLite has no floor() in every build; the durations are never negative, so truncation is it.
    return cast(func.round(seconds) / 60, Integer)


def _bytewise(key: Any) -> Any:
    """The group key compared byte by byte: sorting a million keys by a linguistic collation is most
    of the cost of the sorts here, and the groups only need to be told apart."""
    return key.collate("C")


def _minutes_to_seconds(minutes: Any) -> float | None:
    return None if minutes is None else float(minutes) * 60


def _percentile_query(
    ctx: Context,
    scope: ColumnElement[bool],
    key: Any,
    start: datetime,
    end: datetime,
    done: Any,
) -> Any:
    """p50 and p90 of `done - created_at` over the orders filed in the period, in whole minutes.

    Nearest rank, the same SQL on both databases: count the orders per group and minute (a hash
    aggregate, no sort of the orders themselves), run a cumulative sum over those few rows with a
    window function, and take the first minute whose running count reaches p × n."""
    minutes = _whole_minutes(ctx, _seconds(ctx, WorkOrder.created_at, done))
    if _is_postgresql(ctx):
        key = _bytewise(key)
    buckets = (
        select(key.label("g"), minutes.label("m"), func.count().label("n"))
        .where(scope, WorkOrder.created_at >= start, WorkOrder.created_at < end, done.is_not(None))
        .group_by(key, minutes)
        # Materialised, so PostgreSQL hashes the orders into their few (group, minute) buckets
        # instead of sorting every order to suit the window that follows.
        .cte("buckets")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    b = buckets.c
    running = select(
        b.g,
        b.m,
        func.sum(b.n).over(partition_by=b.g, order_by=b.m).label("upto"),
        func.sum(b.n).over(partition_by=b.g).label("total"),
    ).subquery("running")
    r = running.c
    return select(
        r.g,
        func.min(r.m).filter(r.upto * 10 >= r.total * 5),
        func.min(r.m).filter(r.upto * 10 >= r.total * 9),
    ).group_by(r.g)


def _repeat_query(
    ctx: Context, scope: ColumnElement[bool], key: Any, start: datetime, end: datetime
) -> Any:
    """Per group, the repairs filed in the period with a category and a room, and how many repeat
    one filed in the same room for the same category within the 30 days before (`lag` over narrow
    rows; the 30 days before the period are read so its first repairs find what they repeat)."""
    building = WorkOrder.location["building"].as_string()
    unit = WorkOrder.location["unit"].as_string()
    room = WorkOrder.location["room"].as_string()
    place: tuple[Any, ...] = (WorkOrder.category, building, unit, room)
    if _is_postgresql(ctx):
        # Sorting by four collated strings is most of the cost at a million orders; a 64-bit hash of
        # them sorts as one integer (two places sharing a hash: about one chance in 10^10 a year).
        place = (func.hashtextextended(func.concat_ws("|", *place), 0),)
    # Orders filed at the same instant in the same place are one repeat apart whichever comes first.
    previous = func.lag(WorkOrder.created_at).over(
        partition_by=place, order_by=WorkOrder.created_at
    )
    repairs = (
        select(
            key.label("g"),
            WorkOrder.created_at.label("created_at"),
            _seconds(ctx, previous, WorkOrder.created_at).label("gap"),
        )
        .where(
            scope,
            WorkOrder.kind == str(Kind.REPAIR),
            WorkOrder.category.is_not(None),
            room.is_not(None),
            WorkOrder.created_at >= start - REPEAT_WINDOW,
            WorkOrder.created_at < end,
        )
        .subquery("repairs")
    )
    return (
        select(
            repairs.c.g,
            func.count(),
            func.count().filter(repairs.c.gap <= REPEAT_WINDOW.total_seconds()),
        )
        .where(repairs.c.created_at >= start)
        .group_by(repairs.c.g)
    )


def iso_duration(seconds: float | None) -> str | None:
    """ISO 8601 duration, whole seconds: 90061 -> `P1DT1H1M1S`."""
    if seconds is None:
        return None
    total = max(round(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    clock += f"{secs}S" if secs or not (days or hours or minutes) else ""
    return out + ("T" + clock if clock else "")


CSV_COLUMNS = (
    "group", "label", "filed", "backlog", "compliance_respond", "compliance_start",
    "compliance_resolve", "time_to_respond_p50", "time_to_respond_p90", "time_to_resolve_p50",
    "time_to_resolve_p90", "rating_avg", "low_rating_share", "reopen_rate", "repeat_repair_rate",
    "load", "first_time_fix_rate",
)  # fmt: skip


def to_csv(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        flat = dict(item)
        for nested in ("compliance", "time_to_respond", "time_to_resolve"):
            for name, value in (item.get(nested) or {}).items():
                flat[f"{nested}_{name}"] = value
        writer.writerow(["" if flat.get(col) is None else flat[col] for col in CSV_COLUMNS])
    return out.getvalue()


__all__ = ["GroupBy", "Row", "iso_duration", "summary", "to_csv"]
