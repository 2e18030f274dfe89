"""Dispatch: handing queued orders to people, and who may claim them.

An order's strategy is fixed when it enters a queue (its rule's, else the queue's). Automatic
strategies assign in the same transaction as the change that queued the order, through the
lifecycle's ASSIGN transition as the system, and write their decision on the event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from workorders.db import new_id
from workorders.domain import dispatch
from workorders.domain.actors import ActorType, Role
from workorders.domain.dispatch import DEFAULT_STRATEGY, Member, Pick, Strategy
from workorders.domain.lifecycle import Action, Status
from workorders.domain.taxonomy import Queue
from workorders.errors import Forbidden
from workorders.models import Event, QueueDispatch, Staff, WorkOrder
from workorders.services import events, transitions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from workorders.services.context import Context

# Orders that occupy their assignee (what `max_open` counts).
WORKING = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
NEEDS_ASSIGNMENT = "work_order.needs_assignment"


# --- queue settings ------------------------------------------------------------------------------


async def queue_strategy(ctx: Context, queue: str) -> Strategy:
    row = await ctx.session.get(QueueDispatch, (ctx.principal.property_id, str(queue)))
    return Strategy(row.strategy) if row is not None else DEFAULT_STRATEGY


async def queue_settings(ctx: Context) -> list[QueueDispatch]:
    if not ctx.principal.is_staff_side:
        raise Forbidden("owners do not see how queues are dispatched")
    rows = (
        await ctx.session.execute(
            select(QueueDispatch).where(QueueDispatch.property_id == ctx.principal.property_id)
        )
    ).scalars()
    found = {row.queue: row for row in rows}
    return [
        found.get(str(queue))
        or QueueDispatch(
            property_id=ctx.principal.property_id, queue=str(queue), strategy=DEFAULT_STRATEGY
        )
        for queue in Queue
    ]


async def set_queue_strategy(ctx: Context, queue: Queue, strategy: Strategy) -> QueueDispatch:
    """Applies to orders entering the queue from now on; those already queued keep theirs."""
    principal = ctx.principal
    own_queue = principal.role is Role.SUPERVISOR and principal.dept == queue
    if principal.role not in (Role.MANAGER, Role.ADMIN) and not own_queue:
        raise Forbidden("the manager, the admin or the queue's supervisor set its dispatch")
    row = await _lock_queue(ctx, str(queue))
    previous = row.strategy
    row.strategy = strategy
    row.updated_at = ctx.now
    ctx.session.add(
        Event(
            id=new_id("evt"),
            property_id=principal.property_id,
            work_order_id=None,
            type="queue.dispatch_changed",
            actor_type=principal.actor_type,
            actor_id=principal.sub,
            data={"queue": str(queue), "strategy": str(strategy), "previous": previous},
            occurred_at=ctx.now,
        )
    )
    await ctx.session.flush()
    return row


async def _lock_queue(ctx: Context, queue: str) -> QueueDispatch:
    """The queue's row, created if missing, locked until the transaction ends: dispatchers of one
    queue take turns, so two new orders never both see the same person as next or least loaded."""
    dialect = ctx.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await ctx.session.execute(
        insert(QueueDispatch)
        .values(
            property_id=ctx.principal.property_id,
            queue=queue,
            strategy=DEFAULT_STRATEGY,
            updated_at=ctx.now,
        )
        .on_conflict_do_nothing(index_elements=["property_id", "queue"])
    )
    query = (
        select(QueueDispatch)
        .where(QueueDispatch.property_id == ctx.principal.property_id, QueueDispatch.queue == queue)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await ctx.session.execute(query)).scalar_one()


# --- orders entering a queue ---------------------------------------------------------------------


async def enter_queue(
    ctx: Context, order: WorkOrder, strategy: Strategy | None, skills: Sequence[str] = ()
) -> None:
    """Fix how `order` is handed out in its (new) queue; the caller flushes."""
    order.dispatch = strategy or await queue_strategy(ctx, order.queue)
    order.required_skills = list(skills)


async def dispatch_queued(ctx: Context, order: WorkOrder) -> Pick | None:
    """Hand a queued, unassigned order to someone when its strategy is automatic.

    Nobody eligible: the order stays queued and its department's supervisor is told by an event.
    """
    if order.status != Status.QUEUED or order.assignee_id is not None:
        return None
    strategy = (
        Strategy(order.dispatch) if order.dispatch else await queue_strategy(ctx, order.queue)
    )
    if not strategy.automatic:
        return None
    turn = await _lock_queue(ctx, order.queue)
    pick = dispatch.choose(
        strategy,
        await _members(ctx, order.queue),
        skills=order.required_skills,
        declined=await _decliners(ctx, order),
        last_assignee=turn.last_assignee_id,
    )
    if pick.chosen is None:
        events.record(
            ctx.session,
            order=order,
            type=NEEDS_ASSIGNMENT,
            actor=None,
            at=ctx.now,
            previous_status=order.status,
            extra={
                "dispatch": pick.as_data(),
                "notify": {"role": "supervisor", "queue": order.queue},
            },
        )
        return pick
    await _assign(ctx, order, pick)
    turn.last_assignee_id = pick.chosen
    turn.updated_at = ctx.now
    await ctx.session.flush()
    return pick


async def _assign(ctx: Context, order: WorkOrder, pick: Pick) -> None:
    """The ASSIGN transition, taken by the system: the lifecycle table says whether it may."""
    assert pick.chosen is not None
    await transitions.act_as_system(
        ctx.session,
        order,
        Action.ASSIGN,
        now=ctx.now,
        params={"assignee_id": pick.chosen},
        extra={"dispatch": pick.as_data()},
    )


async def _members(ctx: Context, queue: str) -> list[Member]:
    """The department's staff (not its supervisors: they hand work out), in directory order."""
    staff = (
        (
            await ctx.session.execute(
                select(Staff)
                .where(
                    Staff.property_id == ctx.principal.property_id,
                    Staff.department == queue,
                    Staff.role == "staff",
                )
                .order_by(Staff.created_at, Staff.id)
            )
        )
        .scalars()
        .all()
    )
    load = await _open_orders(ctx, [s.id for s in staff])
    return [_member(s, load.get(s.id, 0)) for s in staff]


def _member(staff: Staff, open_orders: int) -> Member:
    return Member(
        staff_id=staff.id,
        on_duty=staff.on_duty,
        max_open=staff.max_open,
        open_orders=open_orders,
        skills=frozenset(staff.skills or ()),
    )


async def _open_orders(ctx: Context, staff_ids: Sequence[str]) -> dict[str, int]:
    if not staff_ids:
        return {}
    rows = await ctx.session.execute(
        select(WorkOrder.assignee_id, func.count())
        .where(
            WorkOrder.assignee_id.in_(staff_ids),
            WorkOrder.status.in_([str(s) for s in WORKING]),
        )
        .group_by(WorkOrder.assignee_id)
    )
    return {assignee: count for assignee, count in rows.all()}  # noqa: C416


async def _decliners(ctx: Context, order: WorkOrder) -> set[str]:
    rows = await ctx.session.execute(
        select(Event.actor_id).where(
            Event.work_order_id == order.id,
            Event.type == Action.DECLINE.event_type,
            Event.actor_type == ActorType.STAFF,
        )
    )
    return {actor for (actor,) in rows.all() if actor is not None}


# --- claims --------------------------------------------------------------------------------------


async def check_claim(ctx: Context, order: WorkOrder, staff: Staff) -> None:
    """抢单 is for on-duty staff under their `max_open`, in queues that are not assigned by hand."""
    load = await _open_orders(ctx, [staff.id])
    strategy = (
        Strategy(order.dispatch) if order.dispatch else await queue_strategy(ctx, order.queue)
    )
    refusal = dispatch.claim_refusal(_member(staff, load.get(staff.id, 0)), strategy)
    if refusal is not None:
        raise Forbidden(f"you may not claim this order: {refusal}")


def claimable(order: WorkOrder) -> bool:
    """Whether the order's strategy lets staff claim it (for drawing the claim button)."""
    return order.dispatch != Strategy.MANUAL
