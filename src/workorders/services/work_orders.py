"""Work-order use cases: file, find, list, act. They flush, never commit: the request owns the transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm.exc import StaleDataError

from workorders.db import new_id
from workorders.domain import lifecycle, routing
from workorders.domain.actors import Principal, Role
from workorders.domain.lifecycle import Action, OrderFacts, Status
from workorders.domain.taxonomy import Channel, Priority, Queue
from workorders.errors import (
    ConcurrentChange,
    FieldError,
    Forbidden,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from workorders.models import Event, Owner, Property, Staff, WorkOrder
from workorders.services import dispatch, events, placement
from workorders.services import sla as sla_clocks
from workorders.services.numbers import next_number

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.schemas import WorkOrderCreate
    from workorders.services.context import Context

# Fields an owner may not choose: where an order goes and how it stands is the service's decision.
OWNER_FORBIDDEN_FIELDS = ("priority", "owner_id", "channel")
TITLE_LENGTH = 30


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition for the orders `principal` may see (the Roles table of API.md)."""
    in_property = WorkOrder.property_id == principal.property_id
    if principal.sees_whole_property:
        return in_property
    if principal.role is Role.OWNER:
        return and_(in_property, WorkOrder.owner_id == principal.sub)
    if principal.is_department_staff:
        mine = [WorkOrder.queue == str(principal.dept)]
        if principal.sub is not None:
            mine.append(WorkOrder.assignee_id == principal.sub)
        return and_(in_property, or_(*mine))
    return false()


def facts(order: WorkOrder) -> OrderFacts:
    return OrderFacts(
        status=Status(order.status),
        queue=Queue(order.queue),
        owner_id=order.owner_id,
        assignee_id=order.assignee_id,
        closed_at=order.closed_at,
    )


def allowed_actions(ctx: Context, order: WorkOrder) -> list[Action]:
    allowed = lifecycle.allowed_actions(
        ctx.principal, facts(order), now=ctx.now, reopen_window=ctx.settings.reopen_window
    )
    if not dispatch.claimable(order):
        allowed = [a for a in allowed if a is not Action.CLAIM]
    return allowed


async def get_visible(ctx: Context, order_id: str) -> WorkOrder:
    order = (
        await ctx.session.execute(
            select(WorkOrder).where(WorkOrder.id == order_id, visible_to(ctx.principal))
        )
    ).scalar_one_or_none()
    if order is None:
        raise NotFound(f"work order {order_id} does not exist or is not visible to you")
    return order


# --- filing ---------------------------------------------------------------------------------------


async def _load_property(ctx: Context) -> Property:
    prop = await ctx.session.get(Property, ctx.principal.property_id)
    if prop is None:
        raise Forbidden(f"property {ctx.principal.property_id} does not exist")
    return prop


async def _require_owner(ctx: Context, owner_id: str, field: str) -> Owner:
    owner = await ctx.session.get(Owner, owner_id)
    if owner is None or owner.property_id != ctx.principal.property_id:
        if field == "sub":
            raise Forbidden("your token's owner is not in this property's owner directory")
        raise ValidationFailed.on(field, f"no owner {owner_id} in this property")
    return owner


def _check_who_may_file(principal: Principal, body: WorkOrderCreate) -> None:
    if principal.role is Role.OWNER:
        sent = [name for name in OWNER_FORBIDDEN_FIELDS if getattr(body, name) is not None]
        if sent:
            raise ValidationFailed(
                f"owners may not set {', '.join(sent)}",
                [FieldError(name, "owners may not set this field") for name in sent],
            )


def _draft(body: WorkOrderCreate, local_hour: int) -> routing.Draft:
    location = body.location
    return routing.Draft(
        description=body.description,
        title=body.title,
        category=str(body.category) if body.category else None,
        kind=body.kind,
        channel=str(body.channel or Channel.APP),
        building=location.building if location else None,
        area=location.area if location else None,
        local_hour=local_hour,
    )


async def create(ctx: Context, body: WorkOrderCreate) -> WorkOrder:
    principal = ctx.principal
    _check_who_may_file(principal, body)
    if principal.role is Role.ADMIN:
        raise Forbidden("the admin configures the service and does not file work orders")
    prop = await _load_property(ctx)
    if principal.role is Role.OWNER:
        assert principal.sub is not None  # guaranteed by the token rules
        owner_id: str | None = (await _require_owner(ctx, principal.sub, "sub")).id
        channel = Channel.APP
    else:
        owner_id = (
            (await _require_owner(ctx, body.owner_id, "owner_id")).id if body.owner_id else None
        )
        channel = body.channel or Channel.PHONE

    local_hour = ctx.now.astimezone(ZoneInfo(prop.timezone)).hour
    decision = await placement.route(ctx, _draft(body, local_hour))
    priority = body.priority or decision.priority
    deadlines = await placement.deadlines(ctx, priority, decision.category, ctx.now)
    order = WorkOrder(
        id=new_id("wo"),
        property_id=prop.id,
        number=await next_number(ctx.session, prop.id, prop.timezone, ctx.now),
        kind=decision.kind,
        category=decision.category,
        title=body.title or _title_from(body.description),
        description=body.description,
        location=body.location.model_dump(exclude_none=True) if body.location else {},
        preferred_time=body.preferred_time.model_dump(mode="json") if body.preferred_time else None,
        contact_phone=body.contact_phone,
        status=Status.TRIAGE if decision.triage else Status.QUEUED,
        queue=decision.queue,
        priority=priority,
        priority_rank=priority.rank,
        owner_id=owner_id,
        reporter_type=principal.actor_type,
        reporter_id=principal.sub,
        channel=channel,
        escalation_level=0,
        routing={
            "rule_id": decision.rule_id,
            "rule_name": decision.rule_name,
            "reason": decision.reason,
        },
        respond_by=deadlines.respond_by,
        start_by=deadlines.start_by,
        resolve_by=deadlines.resolve_by,
        breached=[],
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    if not decision.triage:
        await dispatch.enter_queue(ctx, order, decision.dispatch, decision.skills)
    ctx.session.add(order)
    await ctx.session.flush()
    events.record(
        ctx.session,
        order=order,
        type="work_order.created",
        actor=principal,
        at=ctx.now,
        extra={"channel": channel, "routing": order.routing},
    )
    await dispatch.dispatch_queued(ctx, order)
    return order


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else description
    return first_line[:TITLE_LENGTH]


# --- acting ----------------------------------------------------------------------------------------


def etag_matches(if_match: str, version: int) -> bool:
    """RFC 9110 `If-Match`: `*` or a list of entity tags, weak ones compared weakly."""
    for tag in if_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag == str(version):
            return True
    return False


async def _validate_params(ctx: Context, order: WorkOrder, action: Action, params: dict) -> None:
    """Checks on an action's parameters that need the database (422s, which precede 412 and 409)."""
    if action is Action.ASSIGN:
        staff = await ctx.session.get(Staff, params["assignee_id"])
        if staff is None or staff.property_id != order.property_id:
            raise ValidationFailed.on("assignee_id", f"no staff member {params['assignee_id']}")
        if staff.department != order.queue:
            raise ValidationFailed.on(
                "assignee_id", f"{staff.name} works in {staff.department}, not in {order.queue}"
            )
        if staff.id == order.assignee_id:
            # Nothing would change, and every successful action is a new version.
            raise ValidationFailed.on(
                "assignee_id", f"the order is already assigned to {staff.name}"
            )
    if action is Action.ROUTE and params["queue"] == order.queue and order.status != Status.TRIAGE:
        raise ValidationFailed.on("queue", f"the order is already in the {order.queue} queue")


async def _check_claimer(ctx: Context, order: WorkOrder) -> None:
    staff = await ctx.session.get(Staff, ctx.principal.sub) if ctx.principal.sub else None
    if staff is None or staff.property_id != ctx.principal.property_id:
        raise Forbidden("your token's staff member is not in this property's directory")
    if staff.department != ctx.principal.dept:
        raise Forbidden(f"the directory lists you in {staff.department}, not {ctx.principal.dept}")
    await dispatch.check_claim(ctx, order, staff)


async def act(
    ctx: Context,
    order: WorkOrder,
    action: Action,
    params: dict[str, Any],
    *,
    if_match: str | None = None,
) -> WorkOrder:
    """Take `action` on `order` as a compare-and-set on its version, with its event."""
    await _validate_params(ctx, order, action, params)
    if if_match is not None and not etag_matches(if_match, order.version):
        raise PreconditionFailed(
            f"If-Match {if_match} does not match the current version {order.version}"
        )
    try:
        transition = lifecycle.decide(
            action,
            ctx.principal,
            facts(order),
            now=ctx.now,
            reopen_window=ctx.settings.reopen_window,
        )
    except lifecycle.WrongStatus as refused:
        raise InvalidTransition(refused.detail, allowed_actions(ctx, order)) from None
    except lifecycle.NotPermitted as refused:
        raise Forbidden(refused.detail) from None
    if action is Action.CLAIM:
        await _check_claimer(ctx, order)

    change = _effects(order, action, ctx.principal, ctx.now, params)
    previous_status = _set(order, transition, change, ctx.now)
    if action is Action.ROUTE:
        await dispatch.enter_queue(ctx, order, None)
    await _move_clocks(ctx, order, action)
    await _write(
        ctx.session,
        order,
        previous_status,
        type=action.event_type,
        actor=ctx.principal,
        at=ctx.now,
        extra=dict(change.event_data),
    )
    if action in (Action.DECLINE, Action.ROUTE):
        await dispatch.dispatch_queued(ctx, order)
    return order


def _effects(
    order: WorkOrder,
    action: Action,
    principal: Principal | None,
    now: datetime,
    params: dict[str, Any],
) -> lifecycle.Change:
    return lifecycle.effects(
        action,
        principal,
        now=now,
        escalation_level=order.escalation_level,
        responded_at=order.responded_at,
        started_at=order.started_at,
        params=params,
    )


def _set(
    order: WorkOrder, transition: lifecycle.Transition, change: lifecycle.Change, now: datetime
) -> str:
    """Put a decided transition on the order (not yet written); returns the status it had."""
    previous_status = order.status
    if transition.target is not None:
        order.status = transition.target
    for name, value in change.fields.items():
        setattr(order, name, value)
    if "priority" in change.fields:
        order.priority_rank = Priority(order.priority).rank
    order.updated_at = now
    return previous_status


async def _write(
    session: AsyncSession,
    order: WorkOrder,
    previous_status: str,
    *,
    type: str,
    actor: Principal | None,
    at: datetime,
    extra: dict[str, Any],
) -> None:
    """The compare-and-set on the order's version, then its event, in the caller's transaction."""
    order_id = order.id
    try:
        await session.flush()
    except StaleDataError:
        raise ConcurrentChange(
            f"work order {order_id} was changed by someone else; read it again"
        ) from None
    events.record(
        session,
        order=order,
        type=type,
        actor=actor,
        at=at,
        previous_status=previous_status,
        extra=extra,
    )


async def _move_clocks(ctx: Context, order: WorkOrder, action: Action) -> None:
    """A hold stops the deadline clocks and a resume restarts them; after any action the clock
    worker looks at the order again."""
    if action is Action.HOLD:
        sla_clocks.pause(order, ctx.now)
    elif action is Action.RESUME:
        await sla_clocks.resume(ctx.session, order, ctx.now)
    order.sla_check_at = ctx.now


async def act_as_system(
    session: AsyncSession,
    order: WorkOrder,
    action: Action,
    *,
    now: datetime,
    params: dict[str, Any],
    event_type: str | None = None,
    extra: dict[str, Any] | None = None,
) -> WorkOrder:
    """A change the service makes by itself (automatic dispatch, auto-close, a schedule's assignee),
    recorded with a system actor. The lifecycle table decides it like any other: the system is one
    more relation in it (`Relation.SYSTEM`)."""
    try:
        # The system never reopens, so the reopen window plays no part here.
        transition = lifecycle.decide(
            action, None, facts(order), now=now, reopen_window=timedelta(0)
        )
    except lifecycle.TransitionRefused as refused:
        raise InvalidTransition(refused.detail, []) from None
    change = _effects(order, action, None, now, params)
    previous_status = _set(order, transition, change, now)
    order.sla_check_at = now
    await _write(
        session,
        order,
        previous_status,
        type=event_type or action.event_type,
        actor=None,
        at=now,
        extra=dict(change.event_data) | (extra or {}),
    )
    return order


# --- reading ---------------------------------------------------------------------------------------


async def timeline(ctx: Context, order: WorkOrder) -> list[Event]:
    query = select(Event).where(Event.work_order_id == order.id).order_by(Event.seq)
    rows = (await ctx.session.execute(query)).scalars().all()
    if ctx.principal.role is Role.OWNER:
        return [e for e in rows if e.data.get("visibility") != "internal"]
    return list(rows)
