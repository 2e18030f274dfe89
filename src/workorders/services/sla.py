"""Deadline policies and settings per property, the deadlines of a new order, and the pause a hold
puts on an order's clock.

A property gets its default policies when it is created (services/properties.py; migration 0007 for
those created before); the deadlines of a new order come from the policies cached per configuration
revision, so every write of a policy or of the settings calls `configuration.touch`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from workorders.db import new_id
from workorders.domain import calendar as calendars
from workorders.domain import sla
from workorders.domain.actors import Role
from workorders.domain.lifecycle import Status
from workorders.domain.sla import Deadline
from workorders.domain.taxonomy import Priority
from workorders.errors import Conflict, Forbidden, NotFound, ValidationFailed, _
from workorders.models import SlaPolicy, SlaSettings
from workorders.services import configuration
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.calendar import WorkingCalendar
    from workorders.models import WorkOrder
    from workorders.schemas.sla import SlaPolicyCreate, SlaPolicyUpdate, SlaSettingsUpdate
    from workorders.services.configuration import Snapshot
    from workorders.services.context import Context

POLICY_ORDER = Ordering("policy", [SlaPolicy.created_at, SlaPolicy.id])


async def insert_once(session: AsyncSession, model: type[Any], values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True when this call inserted the row, False when a row with
    the same key exists (or a concurrent transaction inserted it first and committed)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    key = next(iter(model.__table__.primary_key.columns))
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing().returning(key)
    return (await session.execute(statement)).first() is not None


# --- seeding and lookup -----------------------------------------------------------------------------


async def seed_defaults(session: AsyncSession, property_id: str, now: datetime) -> None:
    """Give a property the default policy per priority, once (the settings row is the marker).

    Run when a property is provisioned (services/properties.py; migration 0007 did it for the
    properties older than that), never on the request path: a read must not write."""
    marker = {"property_id": property_id, "return_visit_policy": "unrated", "updated_at": now}
    if await insert_once(session, SlaSettings, marker):
        for priority, targets in sla.DEFAULT_TARGETS.items():
            session.add(_policy_row(property_id, priority, None, targets, now))
        await session.flush()
        await configuration.touch(session, property_id)


def _policy_row(
    property_id: str, priority: str, category: str | None, targets: sla.Targets, now: datetime
) -> SlaPolicy:
    return SlaPolicy(
        id=new_id("sla"),
        property_id=property_id,
        priority=str(priority),
        category=category,
        respond_within_s=int(targets.respond_within.total_seconds()),
        start_within_s=int(targets.start_within.total_seconds()),
        resolve_within_s=int(targets.resolve_within.total_seconds()),
        use_calendar=targets.use_calendar,
        created_at=now,
        updated_at=now,
    )


def targets_of(policy: SlaPolicy) -> sla.Targets:
    return sla.Targets(
        respond_within=timedelta(seconds=policy.respond_within_s),
        start_within=timedelta(seconds=policy.start_within_s),
        resolve_within=timedelta(seconds=policy.resolve_within_s),
        use_calendar=policy.use_calendar,
    )


async def targets_for(
    session: AsyncSession, property_id: str, priority: str, category: str | None
) -> sla.Targets:
    """The property's targets for an order: its category's policy, else its priority's, else the
    defaults (a property whose manager deleted the priority's policy)."""
    rows = (
        await session.execute(
            select(SlaPolicy).where(
                SlaPolicy.property_id == property_id, SlaPolicy.priority == str(priority)
            )
        )
    ).scalars()
    by_category = {row.category: row for row in rows}
    chosen = by_category.get(category) if category is not None else None
    chosen = chosen or by_category.get(None)
    return targets_of(chosen) if chosen else sla.DEFAULT_TARGETS[Priority(priority)]


async def calendar_for(session: AsyncSession, property_id: str) -> WorkingCalendar | None:
    return _calendar_of(await session.get(SlaSettings, property_id))


def _calendar_of(settings: SlaSettings | None) -> WorkingCalendar | None:
    if settings is None or settings.calendar is None:
        return None
    return calendars.from_data(settings.calendar)


class _Policies:
    """A property's deadline policies and working calendar, as one configuration revision has them."""

    def __init__(self, rows: list[SlaPolicy], settings: SlaSettings | None) -> None:
        self.targets = {(row.priority, row.category): targets_of(row) for row in rows}
        self.calendar = _calendar_of(settings)

    def targets_for(self, priority: str, category: str | None) -> sla.Targets:
        found = self.targets.get((str(priority), category)) if category is not None else None
        found = found or self.targets.get((str(priority), None))
        return found or sla.DEFAULT_TARGETS[Priority(priority)]

    def clock_for(
        self, priority: str, category: str | None
    ) -> tuple[sla.Targets, WorkingCalendar | None]:
        """An order's targets, and the calendar its clock counts in (None: around the clock)."""
        targets = self.targets_for(priority, category)
        return targets, self.calendar if targets.use_calendar else None


async def _policies(session: AsyncSession, snap: Snapshot) -> _Policies:
    """The property's policies and calendar as `snap`'s revision has them, read once per revision."""
    return await snap.load("sla_policies", session, _policies_of(snap.property_id))


def _policies_of(property_id: str) -> Any:
    async def load(session: AsyncSession) -> _Policies:
        rows = (
            await session.execute(select(SlaPolicy).where(SlaPolicy.property_id == property_id))
        ).scalars()
        return _Policies(list(rows), await session.get(SlaSettings, property_id))

    return load


async def deadlines_for(
    session: AsyncSession,
    snap: Snapshot,
    priority: str,
    category: str | None,
    created_at: datetime,
) -> sla.Deadlines:
    """The deadlines of a new order, from the property's policies under this revision."""
    targets, calendar = (await _policies(session, snap)).clock_for(priority, category)
    return sla.deadlines(targets, created_at, calendar)


# --- the sweep's view of an order -------------------------------------------------------------------

# On hold the clocks stand still; resolved, closed and cancelled orders have nothing left to meet.
CLOCKED = (Status.TRIAGE, Status.QUEUED, Status.ASSIGNED, Status.IN_PROGRESS)


def state_of(order: WorkOrder, calendar: WorkingCalendar | None) -> sla.SlaState:
    """An order's clock as the deadline sweep reads it."""
    return sla.SlaState(
        created_at=order.created_at,
        due={
            Deadline.RESPOND: order.respond_by,
            Deadline.START: order.start_by,
            Deadline.RESOLVE: order.resolve_by,
        },
        met={
            Deadline.RESPOND: order.responded_at,
            Deadline.START: order.started_at,
            Deadline.RESOLVE: order.resolved_at,
        },
        paused=timedelta(seconds=order.paused_seconds or 0),
        calendar=calendar,
        visit=(
            (order.visit_start, order.visit_end)
            if order.visit_start is not None and order.visit_end is not None
            else None
        ),
    )


async def next_look(session: AsyncSession, order: WorkOrder, now: datetime) -> datetime | None:
    """When the deadline sweep must next look at `order`, changed in this transaction: the moment
    its own look would set, or sooner; `now` when only the sweep can tell.

    The order records its breaches, not the warnings fired (rows only the sweep reads), so a warning
    fired already counts here as still to come: its moment is past and the sweep looks at once, as
    it used to after every change. An order whose warnings are all ahead, the usual one, waits for
    the first of them instead of being loaded, checked and written back at once (~2 ms of the
    sweep's CPU an order: bench/RESULTS.md, round 17). Policies and calendar come from the
    configuration the request's token check holds; without it, `now`."""
    snap = configuration.of(session).held(order.property_id)
    if (
        snap is None
        or order.status not in CLOCKED
        or sla.escalates_at_once(order.kind, order.priority)
    ):
        return now
    _, calendar = (await _policies(session, snap)).clock_for(order.priority, order.category)
    breached = [(deadline, sla.Firing.BREACH) for deadline in order.breached]
    return sla.next_check(state_of(order, calendar), breached)


# --- pauses -----------------------------------------------------------------------------------------


def pause(order: WorkOrder, now: datetime) -> None:
    """The order went on hold: its clocks stop now."""
    order.paused_at = now


async def resume(session: AsyncSession, order: WorkOrder, now: datetime) -> None:
    """The order left hold: every unmet deadline moves by the (working) time spent on hold."""
    if order.paused_at is None:
        return
    targets = await targets_for(session, order.property_id, order.priority, order.category)
    calendar = await calendar_for(session, order.property_id) if targets.use_calendar else None
    span = sla.pause_span(order.paused_at, now, calendar)
    for due, met in (
        ("respond_by", order.responded_at),
        ("start_by", order.started_at),
        ("resolve_by", order.resolved_at),
    ):
        current = getattr(order, due)
        if current is not None and met is None:
            setattr(order, due, sla.add_time(current, span, calendar))
    order.paused_seconds = (order.paused_seconds or 0) + int(span.total_seconds())
    order.paused_at = None


# --- policies ---------------------------------------------------------------------------------------


def _require_manager(ctx: Context) -> None:
    if ctx.principal.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden(_("deadline policies are set by the manager"))


def _require_staff_side(ctx: Context) -> None:
    if not ctx.principal.is_staff_side:
        raise Forbidden(_("deadline policies are for staff"))


async def list_policies(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[SlaPolicy], str | None]:
    _require_staff_side(ctx)
    query = select(SlaPolicy).where(SlaPolicy.property_id == ctx.principal.property_id)
    return await fetch_page(ctx.session, query, POLICY_ORDER, limit=limit, cursor=cursor)


async def get_policy(ctx: Context, policy_id: str) -> SlaPolicy:
    policy = await ctx.session.get(SlaPolicy, policy_id)
    if policy is None or policy.property_id != ctx.principal.property_id:
        raise NotFound(_("SLA policy {policy_id} does not exist", policy_id=policy_id))
    _require_staff_side(ctx)
    return policy


async def create_policy(ctx: Context, body: SlaPolicyCreate) -> SlaPolicy:
    _require_manager(ctx)
    targets = sla.Targets(
        body.respond_within, body.start_within, body.resolve_within, body.use_calendar
    )
    row = _policy_row(ctx.principal.property_id, body.priority, body.category, targets, ctx.now)
    if not await insert_once(ctx.session, SlaPolicy, _columns(row)):
        which = f"{body.priority} / {body.category}" if body.category else str(body.priority)
        raise Conflict(_("a policy for {which} exists already: change that one", which=which))
    await configuration.touch(ctx.session, ctx.principal.property_id)
    return await get_policy(ctx, row.id)


def _columns(row: SlaPolicy) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in SlaPolicy.__table__.columns}


async def update_policy(ctx: Context, policy: SlaPolicy, body: SlaPolicyUpdate) -> SlaPolicy:
    _require_manager(ctx)
    changes = body.model_dump(exclude_unset=True)
    for name in ("respond_within", "start_within", "resolve_within", "use_calendar"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, _("cannot be cleared"))
    for name in ("respond_within", "start_within", "resolve_within"):
        if name in changes:
            setattr(policy, f"{name}_s", int(changes[name].total_seconds()))
    if "use_calendar" in changes:
        policy.use_calendar = changes["use_calendar"]
    windows = (policy.respond_within_s, policy.start_within_s, policy.resolve_within_s)
    if list(windows) != sorted(windows):
        raise ValidationFailed.on(
            "resolve_within", _("respond_within <= start_within <= resolve_within must hold")
        )
    policy.updated_at = ctx.now
    await ctx.session.flush()
    await configuration.touch(ctx.session, policy.property_id)
    return policy


async def delete_policy(ctx: Context, policy: SlaPolicy) -> None:
    _require_manager(ctx)
    await ctx.session.delete(policy)
    await ctx.session.flush()
    await configuration.touch(ctx.session, policy.property_id)


# --- settings ---------------------------------------------------------------------------------------


async def get_settings(ctx: Context) -> SlaSettings:
    _require_staff_side(ctx)
    property_id = ctx.principal.property_id
    settings = await ctx.session.get(SlaSettings, property_id)
    if settings is None:
        # Every property is provisioned with its settings (see `seed_defaults`).
        raise NotFound(
            _("property {property_id} has no deadline settings", property_id=property_id)
        )
    return settings


async def update_settings(ctx: Context, body: SlaSettingsUpdate) -> SlaSettings:
    _require_manager(ctx)
    settings = await get_settings(ctx)
    changes = body.model_dump(exclude_unset=True, mode="json")
    if "return_visit_policy" in changes:
        if changes["return_visit_policy"] is None:
            raise ValidationFailed.on("return_visit_policy", _("cannot be cleared"))
        settings.return_visit_policy = changes["return_visit_policy"]
    if "calendar" in changes:
        if changes["calendar"] is not None:
            try:
                calendars.from_data(changes["calendar"])
            except (ValueError, KeyError) as exc:
                raise ValidationFailed.on("calendar", str(exc)) from None
        settings.calendar = changes["calendar"]
    settings.updated_at = ctx.now
    await ctx.session.flush()
    await configuration.touch(ctx.session, settings.property_id)
    return settings
