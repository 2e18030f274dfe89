"""Ticking a scheduled task's checklist; an item that fails opens a linked order to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm.exc import StaleDataError

from workorders.domain import lifecycle
from workorders.domain.lifecycle import Relation, Status
from workorders.domain.taxonomy import CATEGORIES, Priority, Queue
from workorders.errors import ConcurrentChange, Forbidden, InvalidTransition, Label, NotFound, _
from workorders.schemas.routing import FollowUpCreate
from workorders.services import events, follow_ups, work_orders
from workorders.services.sla_clock import rfc3339

if TYPE_CHECKING:
    from workorders.models import WorkOrder
    from workorders.schemas.schedules import ChecklistCheck
    from workorders.services.context import Context

MAY_CHECK = frozenset({Relation.ASSIGNEE, Relation.SUPERVISOR, Relation.MANAGER})
# Categories that name the round itself, not something to fix.
ROUND_CATEGORIES = frozenset({"inspection", "patrol", "cleaning_round"})


async def check(ctx: Context, order: WorkOrder, index: int, body: ChecklistCheck) -> WorkOrder:
    """Record one item's result on a task in progress; a failed item opens a repair order in the
    task's queue, linked by `parent_id` (once per item)."""
    items = list(order.checklist or [])
    if not 0 <= index < len(items):
        raise NotFound(
            _("work order {number} has no checklist item {index}", number=order.number, index=index)
        )
    if order.status != Status.IN_PROGRESS:
        raise InvalidTransition(
            _(
                "checklist items are ticked while the work is in progress, not {status}",
                status=Label("status", order.status),
            ),
            work_orders.allowed_actions(ctx, order),
        )
    if not lifecycle.relations(ctx.principal, work_orders.facts(order)) & MAY_CHECK:
        raise Forbidden(_("the task's assignee or its supervisor ticks its checklist"))

    item: dict[str, Any] = dict(items[index])
    item |= {
        "result": body.result,
        "note": body.note,
        "checked_by": ctx.principal.sub,
        "checked_at": rfc3339(ctx.now),
    }
    if body.result == "failed" and not item.get("follow_up_id"):
        repair = await follow_ups.create(ctx, order, _repair(order, item))
        item["follow_up_id"] = repair.id
    items[index] = item
    order.checklist = items
    order.updated_at = ctx.now
    try:
        await ctx.session.flush()
    except StaleDataError:
        raise ConcurrentChange(
            _("work order {id} was changed meanwhile; read it again", id=order.id)
        ) from None
    await events.record(
        ctx.session,
        order=order,
        type="work_order.checked",
        actor=ctx.principal,
        at=ctx.now,
        previous_status=order.status,
        extra={
            "item": item["item"],
            "index": index,
            "result": body.result,
            "follow_up_id": item.get("follow_up_id"),
        },
    )
    return order


def _repair(order: WorkOrder, item: dict[str, Any]) -> FollowUpCreate:
    category = order.category
    if category in ROUND_CATEGORIES or (category and CATEGORIES[category][0] != order.queue):
        category = None
    note = f"：{item['note']}" if item.get("note") else ""
    return FollowUpCreate(
        queue=Queue(order.queue),
        title=f"{order.title}：{item['item']} 不合格"[:200],
        description=f"{order.number} {order.title}，检查项「{item['item']}」不合格{note}"[:2000],
        category=category,
        priority=Priority(order.priority),
        note="检查项不合格",
    )
