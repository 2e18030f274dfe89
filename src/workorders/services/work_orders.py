"""Work-order use cases: file, find, list, act. They flush, never commit: the request owns the transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, or_, select

from workorders.db import new_id
from workorders.domain import lifecycle, routing
from workorders.domain.actors import Principal, Role
from workorders.domain.lifecycle import Action, OrderFacts, Status
from workorders.domain.taxonomy import Channel, Queue
from workorders.errors import (
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from workorders.models import Event, Owner, Property, WorkOrder
from workorders.services import dispatch, events, owner_view, placement
from workorders.services.numbers import next_number

if TYPE_CHECKING:
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


# --- reading ---------------------------------------------------------------------------------------


async def timeline(ctx: Context, order: WorkOrder) -> list[Event]:
    query = select(Event).where(Event.work_order_id == order.id).order_by(Event.seq)
    rows = (await ctx.session.execute(query)).scalars().all()
    return owner_view.shown(ctx.principal, rows)
