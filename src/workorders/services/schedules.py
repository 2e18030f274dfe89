"""Scheduled work: schedules as data, and the orders the clock worker makes of their occurrences.

Each occurrence becomes an order once: the worker moves a schedule's `next_run_at` as a compare-and-set
(`WHERE next_run_at = :seen`), and records the occurrence under a unique key before filing its order,
so two workers never both file it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, select, update

from workorders.db import new_id
from workorders.domain import schedules as rules
from workorders.domain.actors import Role
from workorders.domain.dispatch import Strategy
from workorders.domain.taxonomy import Channel, Kind
from workorders.errors import Forbidden, Label, NotFound, ValidationFailed, _
from workorders.models import Schedule, ScheduleRun, Staff, WorkOrder
from workorders.services import configuration, filing
from workorders.services import sla as sla_policies
from workorders.services.pagination import Ordering, fetch_page
from workorders.services.sla_clock import rfc3339

if TYPE_CHECKING:
    from datetime import datetime

    from dateutil.rrule import rrule
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.schemas.schedules import ScheduleCreate, ScheduleUpdate
    from workorders.services.context import Context

log = logging.getLogger(__name__)

BATCH = 100
SCHEDULE_ORDER = Ordering("schedule", [Schedule.created_at, Schedule.id])


# --- who may ---------------------------------------------------------------------------------------


def _may_manage(ctx: Context, queue: str) -> bool:
    principal = ctx.principal
    if principal.role in (Role.MANAGER, Role.ADMIN):
        return True
    return principal.role is Role.SUPERVISOR and principal.dept == queue


def _require_manager_of(ctx: Context, queue: str) -> None:
    if not _may_manage(ctx, queue):
        raise Forbidden(
            _(
                "schedules of the {queue} queue are kept by its supervisor or the manager",
                queue=Label("queue", queue),
            )
        )


# --- schedules as data -----------------------------------------------------------------------------


def _rule(rule: str, dtstart: datetime, timezone: str, now: datetime) -> rrule:
    """The rule of a schedule being set at `now`, or a 422 naming the field at fault."""
    try:
        rules.check_start(dtstart, now)
        return rules.parse(rule, dtstart, timezone)
    except rules.InvalidRule as exc:
        raise ValidationFailed.on(exc.field, str(exc)) from None


async def _check_assignee(ctx: Context, assignee_id: str | None, queue: str) -> None:
    if assignee_id is None:
        return
    staff = await ctx.session.get(Staff, assignee_id)
    if staff is None or staff.property_id != ctx.principal.property_id:
        raise ValidationFailed.on(
            "assignee_id", _("no staff member {assignee_id}", assignee_id=assignee_id)
        )
    if staff.department != queue:
        raise ValidationFailed.on(
            "assignee_id",
            _("{name} does not work in {queue}", name=staff.name, queue=Label("queue", queue)),
        )


def _check_dispatch(dispatch: str, assignee_id: str | None) -> None:
    if dispatch == "assign" and assignee_id is None:
        raise ValidationFailed.on("assignee_id", _("dispatch `assign` needs an assignee"))


async def list_schedules(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[Schedule], str | None]:
    principal = ctx.principal
    query = select(Schedule).where(Schedule.property_id == principal.property_id)
    if principal.role not in (Role.MANAGER, Role.ADMIN):
        if principal.dept is None:
            raise Forbidden(_("schedules are for staff"))
        query = query.where(Schedule.queue == str(principal.dept))
    return await fetch_page(ctx.session, query, SCHEDULE_ORDER, limit=limit, cursor=cursor)


async def get_schedule(ctx: Context, schedule_id: str) -> Schedule:
    principal = ctx.principal
    schedule = await ctx.session.get(Schedule, schedule_id)
    visible = schedule is not None and schedule.property_id == principal.property_id
    if visible and principal.role not in (Role.MANAGER, Role.ADMIN):
        visible = schedule is not None and principal.dept == schedule.queue
    if not visible:
        raise NotFound(
            _(
                "schedule {schedule_id} does not exist or is not visible to you",
                schedule_id=schedule_id,
            )
        )
    assert schedule is not None
    return schedule


async def create_schedule(ctx: Context, body: ScheduleCreate) -> Schedule:
    _require_manager_of(ctx, body.queue)
    rule = _rule(body.rrule, body.dtstart, body.timezone, ctx.now)
    await _check_assignee(ctx, body.assignee_id, body.queue)
    dispatch = body.dispatch or ("assign" if body.assignee_id else "claim")
    _check_dispatch(dispatch, body.assignee_id)
    first = rules.first_run(rule, body.dtstart)
    if first is None:
        raise ValidationFailed.on("rrule", _("the rule has no occurrence at or after dtstart"))
    schedule = Schedule(
        id=new_id("sch"),
        property_id=ctx.principal.property_id,
        title=body.title,
        queue=str(body.queue),
        category=body.category,
        priority=str(body.priority),
        location=body.location.model_dump(exclude_none=True) if body.location else {},
        checklist=list(body.checklist),
        rrule=body.rrule,
        dtstart=body.dtstart,
        timezone=body.timezone,
        dispatch=dispatch,
        assignee_id=body.assignee_id,
        active=body.active,
        next_run_at=first,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(schedule)
    await ctx.session.flush()
    return schedule


async def update_schedule(ctx: Context, schedule: Schedule, body: ScheduleUpdate) -> Schedule:
    _require_manager_of(ctx, schedule.queue)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for name in ("title", "priority", "checklist", "rrule", "dtstart", "timezone", "active"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, _("cannot be cleared"))
    if "assignee_id" in changes:
        await _check_assignee(ctx, changes["assignee_id"], schedule.queue)
    dispatch = changes.get("dispatch") or schedule.dispatch
    if "assignee_id" in changes and changes["assignee_id"] is None and "dispatch" not in changes:
        dispatch = "claim"
    _check_dispatch(dispatch, changes.get("assignee_id", schedule.assignee_id))
    timing = {"rrule", "dtstart", "timezone"} & set(changes)
    reactivated = changes.get("active") is True and not schedule.active
    for name, value in changes.items():
        if name == "location":
            value = value or {}
        elif name in ("priority",):
            value = str(value)
        setattr(schedule, name, value)
    schedule.dispatch = dispatch
    if timing:
        # From now on: a changed schedule does not make up for occurrences it skipped.
        rule = _rule(schedule.rrule, schedule.dtstart, schedule.timezone, ctx.now)
        schedule.next_run_at = rules.next_after(
            rule, max(schedule.dtstart, ctx.now), inclusive=True
        )
    elif reactivated:
        # Resumed as it was: walked on from its last known occurrence, however old its start.
        rule = rules.resumed(
            schedule.rrule, schedule.dtstart, schedule.timezone, schedule.next_run_at
        )
        schedule.next_run_at = rules.next_after(
            rule, max(schedule.dtstart, ctx.now), inclusive=True
        )
    schedule.updated_at = ctx.now
    await ctx.session.flush()
    return schedule


async def delete_schedule(ctx: Context, schedule: Schedule) -> None:
    """The schedule goes; the orders it produced stay (their `schedule_id` names it still)."""
    _require_manager_of(ctx, schedule.queue)
    await ctx.session.execute(delete(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id))
    await ctx.session.delete(schedule)
    await ctx.session.flush()


# --- the clock's job -------------------------------------------------------------------------------


async def run_due(session: AsyncSession, now: datetime) -> int:
    """File an order for each schedule whose next occurrence has come; returns how many."""
    query = (
        select(Schedule)
        .where(Schedule.active.is_(True), Schedule.next_run_at <= now)
        .order_by(Schedule.next_run_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    filed = 0
    for schedule in list((await session.execute(query)).scalars()):
        async with session.begin_nested():
            filed += await _run(session, schedule, now)
    return filed


async def _run(session: AsyncSession, schedule: Schedule, now: datetime) -> int:
    try:
        # `next_run_at` is always one of the rule's occurrences: walked on from there, not from
        # a start that may lie years back.
        rule = rules.resumed(
            schedule.rrule, schedule.dtstart, schedule.timezone, schedule.next_run_at
        )
    except rules.InvalidRule:
        log.exception("schedule %s has an unusable rule; it is skipped", schedule.id)
        return 0
    plan = rules.plan(rule, schedule.next_run_at, now)
    moved = await session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.next_run_at == schedule.next_run_at)
        .values(next_run_at=plan.next_run_at, last_run_at=plan.occurrence, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", moved).rowcount != 1 or plan.occurrence is None:
        return 0  # another worker ran it
    run = {
        "schedule_id": schedule.id,
        "occurrence_at": plan.occurrence,
        "work_order_id": None,
        "created_at": now,
    }
    if not await sla_policies.insert_once(session, ScheduleRun, run):
        return 0
    order = await file_occurrence(session, schedule, plan.occurrence, now)
    await session.execute(
        update(ScheduleRun)
        .where(
            ScheduleRun.schedule_id == schedule.id,
            ScheduleRun.occurrence_at == plan.occurrence,
        )
        .values(work_order_id=order.id)
        .execution_options(synchronize_session=False)
    )
    return 1


async def file_occurrence(
    session: AsyncSession, schedule: Schedule, occurrence: datetime, now: datetime
) -> WorkOrder:
    """The task order of one occurrence, filed by the service itself (`channel: schedule`): assigned
    at once to the schedule's assignee (when still in the queue), else left to be claimed."""
    snap = await configuration.snapshot(session, schedule.property_id, verify=True)
    local = occurrence.astimezone(ZoneInfo(schedule.timezone))
    lines = [f"{schedule.title}（计划时间 {local:%Y-%m-%d %H:%M}）"]
    lines += [f"- {item}" for item in schedule.checklist]
    assign = schedule.dispatch == "assign" and await _still_in_queue(session, schedule)
    where = filing.Placement(
        queue=schedule.queue,
        triage=False,
        priority=schedule.priority,
        category=schedule.category,
        kind=Kind.TASK,
        routing={"rule_id": None, "rule_name": None, "reason": f"schedule {schedule.id}"},
        # The schedule decides who works it: its assignee, else whoever claims it.
        dispatch=None if assign else Strategy.CLAIM,
        assignee_id=schedule.assignee_id if assign else None,
    )
    what = filing.Filing(
        description="\n".join(lines),
        title=schedule.title,
        channel=Channel.SCHEDULE,
        location=dict(schedule.location),
        schedule_id=schedule.id,
        checklist=[{"item": item, "result": None} for item in schedule.checklist] or None,
        event_data={"schedule_id": schedule.id, "occurrence_at": rfc3339(occurrence)},
    )
    return await filing.file(session, snap, None, now, what, where)


async def _still_in_queue(session: AsyncSession, schedule: Schedule) -> bool:
    """The assignee may have moved department since; then the task waits in the queue."""
    if schedule.assignee_id is None:
        return False
    staff = await session.get(Staff, schedule.assignee_id)
    return staff is not None and staff.department == schedule.queue
