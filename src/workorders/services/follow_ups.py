"""Follow-ups: an order that spawns linked work in another department (一盘棋).

A burst pipe is fixed by engineering and its corridor dried by cleaning: the follow-up is a new order
in the cleaning queue with `parent_id`, and each side's timeline names the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from workorders.domain import lifecycle, routing
from workorders.domain.lifecycle import Relation, Status
from workorders.domain.taxonomy import CATEGORIES, Kind
from workorders.errors import Conflict, Forbidden, Label, ValidationFailed, _
from workorders.models import WorkOrder
from workorders.services import configuration, events, filing, placement
from workorders.services.access import facts, visible_to
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
    """A task in another department, opened by staff for themselves: it is not the owner's order (the
    owner does not see it, hear of it or cancel it), though it keeps the parent's place and phone."""
    if body.category is not None and CATEGORIES[body.category][0] is not body.queue:
        raise ValidationFailed.on(
            "category",
            _(
                "{category} does not belong to the {queue} queue",
                category=Label("category", body.category),
                queue=Label("queue", body.queue),
            ),
        )
    if parent.status == Status.CANCELLED:
        raise Conflict(
            _("work order {number} is cancelled; it needs no follow-up", number=parent.number)
        )
    if not lifecycle.relations(ctx.principal, facts(parent)) & MAY_FOLLOW_UP:
        raise Forbidden(_("only those working on or coordinating this order may add follow-ups"))

    snap = await configuration.snapshot(ctx.session, parent.property_id, verify=True)
    location = body.location.model_dump(exclude_none=True) if body.location else parent.location
    draft = routing.Draft(
        description=body.description,
        title=body.title,
        category=body.category,
        channel=parent.channel,
        building=location.get("building"),
        area=location.get("area"),
        local_hour=ctx.now.astimezone(ZoneInfo(snap.timezone)).hour,
    )
    decision = await placement.route(ctx, draft, snap)
    # The caller chose the queue; the rules still read the text for urgency, and for category,
    # dispatch and skills when they agree on the queue.
    agrees = not decision.triage and decision.queue == body.queue
    where = filing.Placement(
        queue=body.queue,
        triage=False,
        priority=body.priority or decision.priority,
        category=body.category or (decision.category if agrees else None),
        kind=Kind.TASK,
        routing=_routing(parent, decision, agrees),
        dispatch=decision.dispatch if agrees else None,
        skills=tuple(decision.skills) if agrees else (),
    )
    link: dict[str, Any] = {"note": body.note}
    what = filing.Filing(
        description=body.description,
        title=body.title,
        channel=parent.channel,
        location=location,
        contact_phone=parent.contact_phone,
        parent_id=parent.id,
        event_data=link | {"parent_id": parent.id, "parent_number": parent.number},
    )
    order = await filing.file(ctx.session, snap, ctx.principal, ctx.now, what, where)
    await events.record(
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
    query = select(WorkOrder).where(WorkOrder.parent_id == parent.id, visible_to(ctx.principal))
    return await fetch_page(ctx.session, query, FOLLOW_UP_ORDER, limit=limit, cursor=cursor)
