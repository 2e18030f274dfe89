"""The manager's figures: `GET /v1/reports/summary`, the same on SQLite and PostgreSQL.

Definitions, for a period `[from, to)` and one group (queue, current assignee, category, building, or a
local day in the property's timezone):

- **filed**: orders created in the period.
- **backlog**: orders created before `to` and neither resolved nor cancelled by `to` (an order reopened
  later counts by its latest resolution). With `group_by=day` an order belongs to its filing day, so the
  day's backlog is "filed that day and still open at `to`".
- **compliance** per clock (respond, start, resolve): among orders whose deadline fell in the period (and
  before now: a deadline still ahead is not yet met or missed), the share met; an order cancelled before
  its deadline is left out. Deadlines are the stored ones, already moved by time spent on hold. With
  `group_by=day` a deadline counts on the day it fell.
- **time_to_respond**: from `created_at` to `responded_at` (first assignment or claim);
  **time_to_resolve**: to `resolved_at`; both over orders filed in the period, in working time on the
  property's calendar when the order's deadline policy uses it (wall-clock otherwise), as p50 and p90
  by the nearest rank, in whole minutes bucketed as domain/figures.py says (exact below 64 minutes,
  at most 3.1% low above).
- **rating_avg**, **low_rating_share** (share of 1–2 ratings): over rated orders filed in the period.
- **reopen_rate**: among orders filed in the period and ever resolved, the share with a
  `work_order.reopened` event.
- **repeat_repair_rate**: among repairs filed in the period with a category and a room, the share filed
  within 30 days after a repair in the same building, unit and room for the same category.
- `group_by=assignee` groups by the current assignee or, for an order without one (a reopened order
  goes back to the queue), whoever resolved it last. It also carries **load** (the member's open orders
  now) and **first_time_fix_rate** (among their orders filed in the period and ever resolved, the share
  never reopened).

Shares are 0 to 1; a figure with nothing to measure is `None`.

How it is computed: whole local days before the rollups' horizon are summed from the daily rollups
(services/report_rollups.py; whole months of durations from monthly ones); the partial days at `from`
and `to`, and every day not rolled up yet (today at least), are tallied live from the orders, with the
same code (services/report_facts.py, domain/figures.py). Without rollups the whole answer is live.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, text, true

from workorders.domain.actors import Role
from workorders.domain.figures import CLOCKS, SUM_FIELDS, Dim, Measure, Sums, nearest_rank
from workorders.domain.taxonomy import QUEUE_LABELS, Queue
from workorders.errors import Forbidden, ValidationFailed, _
from workorders.models import Staff, WorkOrder
from workorders.models.reports import OPEN, ReportDay, ReportTimes
from workorders.services import report_rollups
from workorders.services.report_facts import EPOCH, Days, days_of, tally, time_basis

if TYPE_CHECKING:
    from workorders.domain.figures import Tally
    from workorders.services.context import Context
    from workorders.services.report_rollups import Coverage

MAX_PERIOD = timedelta(days=400)


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


@dataclass(frozen=True)
class Scope:
    """Which orders the caller may count: the whole property (manager) or one queue (supervisor)."""

    property_id: str
    queue: str | None

    @classmethod
    def of(cls, ctx: Context) -> Scope:
        principal = ctx.principal
        if principal.role is Role.MANAGER:
            return cls(principal.property_id, None)
        if principal.role is Role.SUPERVISOR and principal.dept is not None:
            return cls(principal.property_id, str(principal.dept))
        raise Forbidden(
            _("the figures are for the manager, and for supervisors of their own queue")
        )

    def orders(self) -> ColumnElement[bool]:
        condition = WorkOrder.property_id == self.property_id
        return condition if self.queue is None else and_(condition, WorkOrder.queue == self.queue)

    def rolled(self, table: type[ReportDay] | type[ReportTimes], dim: Dim) -> ColumnElement[bool]:
        condition = and_(table.property_id == self.property_id, table.dim == str(dim))
        return condition if self.queue is None else and_(condition, table.queue == self.queue)


Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class Plan:
    """Which parts of the period come from the rollups and which are tallied live.

    `rolled`: the whole days `[a, b)` of the period read from the rollups, but `pending` (days with
    changes not rolled up yet); `live`: the windows of the period tallied from the orders. The backlog
    sums the rollups' days before `backlog_days` (but `pending`) and tallies `backlog_live`."""

    rolled: tuple[date, date] | None
    pending: frozenset[date]
    live: tuple[Window, ...]
    backlog_days: date | None
    backlog_live: tuple[Window, ...]

    @classmethod
    def of(cls, days: Days, start: datetime, end: datetime, cover: Coverage | None) -> Plan:
        if cover is None:
            return cls(None, frozenset(), ((start, end),), None, ((EPOCH, end),))
        a, b = days.ceil(start), min(days.of(end), cover.through)
        pending = frozenset(d for d in cover.pending if d < b)
        tail = (days.start(b), end)
        # Runs of pending days, split where the period's whole days begin.
        runs = [
            (days.start(run[0]), days.start(run[-1] + timedelta(days=1)))
            for part in ([d for d in pending if d < a], [d for d in pending if d >= a])
            for run in _runs(sorted(part))
        ]
        if a < b:
            inside = tuple(w for w in runs if w[0] >= days.start(a))
            live = ((start, days.start(a)), *inside, tail)
            return cls((a, b), pending, live, b, (*runs, tail))
        return cls(None, pending, ((start, end),), b, (*runs, tail))


def _runs(ordered: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in ordered:
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


@dataclass
class _Figures:
    """What the report adds up per group before it becomes a Row."""

    sums: dict[Any, Sums] = field(default_factory=dict)
    backlog: Counter[Any] = field(default_factory=Counter)
    times: dict[tuple[Any, str], Counter[int]] = field(default_factory=dict)
    quantiles: dict[tuple[Any, str], tuple[int, int]] = field(default_factory=dict)

    def at(self, key: Any) -> Sums:
        return self.sums.setdefault(key, Sums())

    def durations(self, key: Any, measure: str) -> Counter[int]:
        return self.times.setdefault((key, str(measure)), Counter())


def _share(part: Any, whole: Any) -> float | None:
    return round(float(part) / whole, 4) if whole else None


async def summary(
    ctx: Context, *, start: datetime | None, end: datetime | None, group_by: GroupBy
) -> list[Row]:
    scope = Scope.of(ctx)
    end = end or ctx.now
    start = start or end - timedelta(days=30)
    if start >= end:
        raise ValidationFailed.on("from", _("must be before `to`"))
    if end - start > MAX_PERIOD:
        raise ValidationFailed.on("from", _("the period is at most 400 days"))
    session = ctx.session
    days = await days_of(session, scope.property_id)
    basis = await time_basis(session, scope.property_id)
    cover = await report_rollups.coverage(session, scope.property_id, basis, days)
    plan = Plan.of(days, start, end, cover)
    by_day = group_by is GroupBy.DAY
    dim = Dim.QUEUE if by_day else Dim(str(group_by))
    figures = _Figures()

    live: list[Tally] = []
    for window_start, window_end in plan.live:
        live.append(
            await tally(
                session,
                scope.property_id,
                scope.orders(),
                days,
                basis,
                start=window_start,
                end=window_end,
                due_before=min(end, ctx.now),
                open_at=end,
                dims=(dim,),
            )
        )
    for window in live:
        _add_live(figures, window, dim, by_day)
    if plan.rolled is not None:
        await _add_rolled(ctx, figures, scope, dim, by_day, plan, end)
    if not by_day:
        await _add_backlog(ctx, figures, scope, dim, plan, live, days, basis, end)
    rows = _rows(figures, by_day)
    await _label(ctx, scope, group_by, rows)
    return sorted(rows.values(), key=lambda r: (r.group is None, r.group or ""))


def _add_live(figures: _Figures, window: Tally, dim: Dim, by_day: bool) -> None:
    for (day, _queue, row_dim, group), sums in window.sums.items():
        if row_dim is dim:
            key = day if by_day else group
            figures.at(key).add(sums)
            if by_day:
                figures.backlog[key] += sums.open
    for (day, _queue, row_dim, group, measure), counts in window.times.items():
        if row_dim is dim:
            figures.durations(day if by_day else group, measure).update(counts)


async def _add_rolled(
    ctx: Context,
    figures: _Figures,
    scope: Scope,
    dim: Dim,
    by_day: bool,
    plan: Plan,
    end: datetime,
) -> None:
    """The whole days `[a, b)` but the pending ones from the rollups: sums, durations, and (by day)
    the backlog."""
    assert plan.rolled is not None
    a, b = plan.rolled
    d, t = ReportDay, ReportTimes
    key = d.day if by_day else d.grp
    query = (
        select(key, *(func.sum(getattr(d, name)) for name in SUM_FIELDS))
        .where(scope.rolled(d, dim), d.day >= a, d.day < b, _settled(d, plan))
        .group_by(key)
    )
    for group, *values in (await ctx.session.execute(query)).all():
        figures.at(group).add(Sums(*(int(v) for v in values)))
        if by_day:
            figures.backlog[group] += int(values[SUM_FIELDS.index("open")])
    if by_day:
        await _add_ended_after(ctx, figures, scope, plan, end)

    if by_day:
        days_in = [and_(t.grain == "day", t.day >= a, t.day < b, _settled(t, plan))]
        signed: Any = t.n
    else:
        months, plus, minus = _months_and_days(a, b, plan.pending)
        days_in = [and_(t.grain == "day", t.day.in_(plus + minus))] if plus or minus else []
        if months:
            days_in.append(and_(t.grain == "month", t.day.in_(months)))
        if not days_in:
            return
        subtracted = and_(t.grain == "day", t.day.in_(minus)) if minus else false()
        signed = case((subtracted, -t.n), else_=t.n)
    picked = or_(*days_in)
    time_key = t.day if by_day else t.grp
    times = (
        select(time_key.label("g"), t.measure, t.minutes, func.sum(signed).label("n"))
        .where(scope.rolled(t, dim), picked)
        .group_by(time_key, t.measure, t.minutes)
    )
    if by_day:
        # Each rolled day is a group of its own, with nothing live to merge into it: its
        # percentiles are picked in SQL, two numbers a day instead of every bucket.
        for day, measure, p50, p90 in (await ctx.session.execute(_nearest_ranks(times))).all():
            figures.quantiles[(day, measure)] = (p50, p90)
        return
    for group, measure, minutes, n in (await ctx.session.execute(times)).all():
        figures.durations(group, measure)[minutes] += int(n)


def _nearest_ranks(buckets: Any) -> Any:
    """p50 and p90 per group and measure from bucket counts: the first bucket whose running count
    reaches p × n (domain/figures.py `nearest_rank`, in SQL)."""
    b = buckets.subquery("buckets").c
    running = select(
        b.g,
        b.measure,
        b.minutes,
        func.sum(b.n).over(partition_by=(b.g, b.measure), order_by=b.minutes).label("upto"),
        func.sum(b.n).over(partition_by=(b.g, b.measure)).label("total"),
    ).subquery("running")
    r = running.c
    return select(
        r.g,
        r.measure,
        func.min(r.minutes).filter(r.upto * 10 >= r.total * 5),
        func.min(r.minutes).filter(r.upto * 10 >= r.total * 9),
    ).group_by(r.g, r.measure)


def _settled(table: type[ReportDay] | type[ReportTimes], plan: Plan) -> ColumnElement[bool]:
    """Not one of the days with changes the rollups do not have yet."""
    return table.day.not_in(sorted(plan.pending)) if plan.pending else true()


def _months_and_days(
    a: date, b: date, pending: frozenset[date]
) -> tuple[list[date], list[date], list[date]]:
    """How to read the settled days of `[a, b)` from the fewest rows: per calendar month, its month
    rows when most of its days are wanted, less the day rows of the days that are not; the wanted
    days' rows otherwise. Returns (months, days to add, days to subtract)."""
    months: list[date] = []
    plus: list[date] = []
    minus: list[date] = []
    month = a.replace(day=1)
    while month < b:
        following = (month + timedelta(days=32)).replace(day=1)
        every = [month + timedelta(days=n) for n in range((following - month).days)]
        wanted = [d for d in every if a <= d < b and d not in pending]
        unwanted = [d for d in every if not (a <= d < b and d not in pending)]
        if wanted and len(unwanted) < len(wanted):
            months.append(month)
            minus += unwanted
        else:
            plus += wanted
        month = following
    return months, plus, minus


async def _add_ended_after(
    ctx: Context, figures: _Figures, scope: Scope, plan: Plan, end: datetime
) -> None:
    """The rollups count an order filed on a day as open while it has not ended; one that ended only
    at or after `to` was open at `to` too."""
    assert plan.rolled is not None
    a, b = plan.rolled
    days = await days_of(ctx.session, scope.property_id)
    o = WorkOrder
    ended_after = or_(
        and_(o.resolved_at >= end, or_(o.cancelled_at.is_(None), o.cancelled_at >= end)),
        and_(o.cancelled_at >= end, o.resolved_at.is_(None)),
    )
    query = select(o.created_at).where(
        scope.orders(), o.created_at >= days.start(a), o.created_at < days.start(b), ended_after
    )
    for created_at in (await ctx.session.execute(query)).scalars():
        if days.of(created_at) not in plan.pending:
            figures.backlog[days.of(created_at)] += 1


async def _add_backlog(
    ctx: Context,
    figures: _Figures,
    scope: Scope,
    dim: Dim,
    plan: Plan,
    live: list[Tally],
    days: Days,
    basis: Any,
    end: datetime,
) -> None:
    """Open at `to` = filed before `to` less ended before `to`: rolled-up days, then the rest live."""
    if plan.backlog_days is not None:
        d = ReportDay
        query = (
            select(d.grp, func.sum(d.filed) - func.sum(d.ended))
            .where(scope.rolled(d, dim), d.day < plan.backlog_days, _settled(d, plan))
            .group_by(d.grp)
        )
        for group, count in (await ctx.session.execute(query)).all():
            figures.backlog[group] += int(count)
    tallied = {(w.start, w.end): w for w in live}
    for lo, hi in plan.backlog_live:
        window = tallied.get((lo, hi)) or await tally(
            ctx.session,
            scope.property_id,
            scope.orders(),
            days,
            basis,
            start=lo,
            end=hi,
            due_before=lo,
            dims=(dim,),
        )
        for (_day, _queue, row_dim, group), sums in window.sums.items():
            if row_dim is dim:
                figures.backlog[group] += sums.filed - sums.ended


def _rows(figures: _Figures, by_day: bool) -> dict[Any, Row]:
    rows: dict[Any, Row] = {}
    for key in set(figures.sums) | set(figures.backlog):
        group = key.isoformat() if by_day else key
        s = figures.sums.get(key, Sums())
        row = rows[key] = Row(group=group, filed=s.filed, backlog=figures.backlog[key])
        row.rating_avg = round(s.rating_sum / s.rated, 2) if s.rated else None
        row.low_rating_share = _share(s.low_rated, s.rated)
        row.reopen_rate = _share(s.reopened, s.resolved)
        row.first_time_fix_rate = _share(s.first_fix, s.resolved)
        row.repeat_repair_rate = _share(s.repeats, s.repairs)
        for clock in CLOCKS:
            row.compliance[clock] = _share(getattr(s, f"met_{clock}"), getattr(s, f"due_{clock}"))
        for measure, name in ((Measure.RESPOND, "time_to_respond"), (Measure.RESOLVE, "time_to_resolve")):  # fmt: skip
            counts = figures.times.get((key, str(measure)), Counter())
            p50, p90 = figures.quantiles.get((key, str(measure))) or (nearest_rank(counts, 0.5), nearest_rank(counts, 0.9))  # fmt: skip
            setattr(row, name, {"p50": _seconds(p50), "p90": _seconds(p90)})
    return rows


def _seconds(minutes: int | None) -> float | None:
    return None if minutes is None else float(minutes * 60)


async def _label(ctx: Context, scope: Scope, group_by: GroupBy, rows: dict[Any, Row]) -> None:
    if group_by is GroupBy.ASSIGNEE:
        load = (
            select(WorkOrder.assignee_id, func.count())
            # Written out, so that the partial index of open orders serves every plan of it.
            .where(scope.orders(), text(OPEN))
            .where(WorkOrder.assignee_id.is_not(None))
            .group_by(WorkOrder.assignee_id)
        )
        loads = dict((await ctx.session.execute(load)).all())
        names = dict(
            (
                await ctx.session.execute(
                    select(Staff.id, Staff.name).where(
                        Staff.id.in_([r.group for r in rows.values() if r.group is not None])
                    )
                )
            ).all()
        )
        for r in rows.values():
            r.load = loads.get(r.group, 0) if r.group is not None else None
            r.label = names.get(r.group) if r.group else None
    else:
        for r in rows.values():
            r.first_time_fix_rate = None
            if group_by is GroupBy.QUEUE:
                r.label = QUEUE_LABELS.get(Queue(r.group)) if r.group in set(Queue) else None


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
