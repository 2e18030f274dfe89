"""Follow-ups: an order that spawns linked work in another department (一盘棋).

A burst pipe is fixed by engineering and its corridor dried by cleaning: the follow-up is a new order
in the cleaning queue with `parent_id`, and each side's timeline names the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from workorders.db import new_id
from workorders.domain import lifecycle, routing
from workorders.domain.lifecycle import Relation, Status
from workorders.domain.taxonomy import CATEGORIES, Kind
from workorders.errors import Conflict, Forbidden, ValidationFailed
from workorders.models import Property, WorkOrder
from workorders.services import dispatch, events, placement, work_orders
from workorders.services.numbers import next_number
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from workorders.schemas.routing import FollowUpCreate
    from workorders.services.context import Context

FOLLOW_UP_CREATED = "work_order.follow_up_created"
FOLLOW_UP_ORDER = Ordering("created_at", (WorkOrder.created_at, WorkOrder.id))

# Whoever works on or coordinates the parent may call in another department.
MAY_FOLLOW_UP = frozenset(
    {
        Relation.CUSTOMER_SERVICE,
        Relation.DEPARTMENT,
        Relation.ASSIGNEE,
        Relation.SUPERVISOR,
        Relation.MANAGER,
    }
)


async def create(ctx: Context, parent: WorkOrder, body: FollowUpCreate) -> WorkOrder:
    if body.category is not None and CATEGORIES[body.category][0] is not body.queue:
        raise ValidationFailed.on(
            "category", f"{body.category} does not belong to the {body.queue} queue"
        )
    if parent.status == Status.CANCELLED:
        raise Conflict(f"work order {parent.number} is cancelled; it needs no follow-up")
    if not lifecycle.relations(ctx.principal, work_orders.facts(parent)) & MAY_FOLLOW_UP:
        raise Forbidden("only those working on or coordinating this order may add follow-ups")

    prop = await ctx.session.get(Property, parent.property_id)
    assert prop is not None  # the parent belongs to it
    location = body.location.model_dump(exclude_none=True) if body.location else parent.location
    draft = routing.Draft(
        description=body.description,
        title=body.title,
        category=body.category,
        channel=parent.channel,
        building=location.get("building"),
        area=location.get("area"),
        local_hour=ctx.now.astimezone(ZoneInfo(prop.timezone)).hour,
    )
    decision = await placement.route(ctx, draft)
    # The caller chose the queue; the rules still read the text for urgency, and for category,
    # dispatch and skills when they agree on the queue.
    agrees = not decision.triage and decision.queue == body.queue
    category = body.category or (decision.category if agrees else None)
    priority = body.priority or decision.priority
    deadlines = await placement.deadlines(ctx, priority, category, ctx.now)
    order = WorkOrder(
        id=new_id("wo"),
        property_id=parent.property_id,
        number=await next_number(ctx.session, prop.id, prop.timezone, ctx.now),
        kind=Kind.TASK,
        category=category,
        title=body.title or body.description.strip()[: work_orders.TITLE_LENGTH],
        description=body.description,
        location=location,
        preferred_time=None,
        contact_phone=parent.contact_phone,
        status=Status.QUEUED,
        queue=body.queue,
        priority=priority,
        priority_rank=priority.rank,
        owner_id=parent.owner_id,
        reporter_type=ctx.principal.actor_type,
        reporter_id=ctx.principal.sub,
        channel=parent.channel,
        escalation_level=0,
        parent_id=parent.id,
        routing=_routing(parent, decision, agrees),
        respond_by=deadlines.respond_by,
        start_by=deadlines.start_by,
        resolve_by=deadlines.resolve_by,
        breached=[],
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    if agrees:
        await dispatch.enter_queue(ctx, order, decision.dispatch, decision.skills)
    else:
        await dispatch.enter_queue(ctx, order, None)
    ctx.session.add(order)
    await ctx.session.flush()
    link: dict[str, Any] = {"note": body.note}
    events.record(
        ctx.session,
        order=order,
        type="work_order.created",
        actor=ctx.principal,
        at=ctx.now,
        extra=link
        | {
            "channel": order.channel,
            "routing": order.routing,
            "parent_id": parent.id,
            "parent_number": parent.number,
        },
    )
    events.record(
        ctx.session,
        order=parent,
        type=FOLLOW_UP_CREATED,
        actor=ctx.principal,
        at=ctx.now,
        previous_status=parent.status,
        extra=link
        | {
            "follow_up_id": order.id,
            "follow_up_number": order.number,
            "follow_up_queue": order.queue,
        },
    )
    await dispatch.dispatch_queued(ctx, order)
    return order


def _routing(parent: WorkOrder, decision: routing.Decision, agrees: bool) -> dict[str, Any]:
    reason = f"follow-up of {parent.number}, sent to its queue by hand"
    if agrees:
        reason += f"; the rules agree: {decision.reason}"
    elif decision.priority.rank == 0:
        reason += f"; {decision.reason}"
    return {
        "rule_id": decision.rule_id if agrees else None,
        "rule_name": decision.rule_name if agrees else None,
        "reason": reason,
    }


async def list_for(
    ctx: Context, parent: WorkOrder, *, limit: int, cursor: str | None
) -> tuple[list[WorkOrder], str | None]:
    """The parent's follow-ups that this caller may see, oldest first."""
    query = select(WorkOrder).where(
        WorkOrder.parent_id == parent.id, work_orders.visible_to(ctx.principal)
    )
    return await fetch_page(ctx.session, query, FOLLOW_UP_ORDER, limit=limit, cursor=cursor)
