"""Dispatch: who gets a queued order, and who may claim one.

An order's strategy is fixed when it enters a queue (its rule's, else the queue's). An automatic
strategy decides here (`decide`, returning the `Pick`); the transition code applies the decision, so
that a new order is inserted already assigned and a declined or rerouted one takes the ASSIGN
transition as the system. The queue strategies and each department's staff come from the property's
cached configuration (services/configuration.py); only the open-order counts are read every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from workorders.db import in_one_transaction
from workorders.domain import dispatch
from workorders.domain.actors import ActorType, Role
from workorders.domain.dispatch import DEFAULT_STRATEGY, Member, Pick, Strategy
from workorders.domain.lifecycle import Action, Status
from workorders.domain.taxonomy import Queue
from workorders.errors import Forbidden, _
from workorders.models import Event, QueueDispatch, Staff, WorkOrder
from workorders.services import configuration, events

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.services.configuration import Snapshot
    from workorders.services.context import Context

# Orders that occupy their assignee (what `max_open` counts).
WORKING = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD)
NEEDS_ASSIGNMENT = "work_order.needs_assignment"


# --- queue settings ------------------------------------------------------------------------------


def _strategies_of(property_id: str) -> Any:
    async def load(session: AsyncSession) -> dict[str, Strategy]:
        rows = await session.execute(
            select(QueueDispatch.queue, QueueDispatch.strategy).where(
                QueueDispatch.property_id == property_id
            )
        )
        return {queue: Strategy(strategy) for queue, strategy in rows.all()}

    return load


async def strategy_of(session: AsyncSession, snap: Snapshot, queue: str) -> Strategy:
    """The queue's strategy under this revision of the property's configuration."""
    found = await snap.load("queue_dispatch", session, _strategies_of(snap.property_id))
    return found.get(str(queue), DEFAULT_STRATEGY)


async def queue_strategy(ctx: Context, queue: str) -> Strategy:
    snap = await configuration.snapshot(ctx.session, ctx.principal.property_id)
    return await strategy_of(ctx.session, snap, queue)


async def queue_settings(ctx: Context) -> list[QueueDispatch]:
    if not ctx.principal.is_staff_side:
        raise Forbidden(_("owners do not see how queues are dispatched"))
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
        raise Forbidden(_("the manager, the admin or the queue's supervisor set its dispatch"))
    row = await _lock_queue(ctx.session, principal.property_id, str(queue), ctx.now)
    await configuration.touch(ctx.session, principal.property_id)
    previous = row.strategy
    row.strategy = strategy
    row.updated_at = ctx.now
    await events.write(
        ctx.session,
        [
            events.property_row(
                property_id=principal.property_id,
                type="queue.dispatch_changed",
                actor_type=principal.actor_type,
                actor_id=principal.sub,
                at=ctx.now,
                data={"queue": str(queue), "strategy": str(strategy), "previous": previous},
            )
        ],
    )
    return row


async def _lock_queue(
    session: AsyncSession, property_id: str, queue: str, now: datetime
) -> QueueDispatch:
    """The queue's row, created if missing, locked until the transaction ends: dispatchers of one
    queue take turns, so two new orders never both see the same person as next or least loaded. A
    new order filed in autocommit (`deps.Filer.session`) begins its transaction here."""
    await in_one_transaction(session)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(QueueDispatch)
        .values(property_id=property_id, queue=queue, strategy=DEFAULT_STRATEGY, updated_at=now)
        .on_conflict_do_nothing(index_elements=["property_id", "queue"])
    )
    query = (
        select(QueueDispatch)
        .where(QueueDispatch.property_id == property_id, QueueDispatch.queue == queue)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one()


# --- orders entering a queue ---------------------------------------------------------------------


async def decide(
    session: AsyncSession,
    snap: Snapshot,
    *,
    queue: str,
    strategy: Strategy,
    skills: Sequence[str],
    declined: set[str],
    now: datetime,
) -> Pick | None:
    """Who gets an order entering `queue` under `strategy`: None when the strategy is not automatic,
    else the pick (whose `chosen` is None when nobody is eligible). The queue's turn row is locked
    and moved on here; applying the pick to the order is the caller's."""
    if not strategy.automatic:
        return None
    turn = await _lock_queue(session, snap.property_id, str(queue), now)
    pick = dispatch.choose(
        strategy,
        await _members(session, snap, str(queue)),
        skills=skills,
        declined=declined,
        last_assignee=turn.last_assignee_id,
    )
    if pick.chosen is not None:
        turn.last_assignee_id = pick.chosen
        turn.updated_at = now
    return pick


async def decliners(session: AsyncSession, order: WorkOrder) -> set[str]:
    """Staff who gave this order back; automatic dispatch passes them over."""
    rows = await session.execute(
        select(Event.actor_id).where(
            Event.work_order_id == order.id,
            Event.type == Action.DECLINE.event_type,
            Event.actor_type == ActorType.STAFF,
        )
    )
    return {actor for (actor,) in rows.all() if actor is not None}


def _staff_of(property_id: str) -> Any:
    async def load(session: AsyncSession) -> dict[str, tuple[Staff, ...]]:
        rows = (
            await session.execute(
                select(Staff)
                .where(Staff.property_id == property_id, Staff.role == "staff")
                .order_by(Staff.created_at, Staff.id)
            )
        ).scalars()
        by_department: dict[str, list[Staff]] = {}
        for row in rows:
            session.expunge(row)  # kept across requests: detached, never lazily loaded
            by_department.setdefault(str(row.department), []).append(row)
        return {department: tuple(staff) for department, staff in by_department.items()}

    return load


async def _members(session: AsyncSession, snap: Snapshot, queue: str) -> list[Member]:
    """The department's staff (not its supervisors: they hand work out), in directory order."""
    by_department = await snap.load("staff", session, _staff_of(snap.property_id))
    staff = by_department.get(queue, ())
    load = await _open_orders(session, [s.id for s in staff])
    return [_member(s, load.get(s.id, 0)) for s in staff]


def _member(staff: Staff, open_orders: int) -> Member:
    return Member(
        staff_id=staff.id,
        on_duty=staff.on_duty,
        max_open=staff.max_open,
        open_orders=open_orders,
        skills=frozenset(staff.skills or ()),
    )


async def _open_orders(session: AsyncSession, staff_ids: Sequence[str]) -> dict[str, int]:
    if not staff_ids:
        return {}
    rows = await session.execute(
        select(WorkOrder.assignee_id, func.count())
        .where(
            WorkOrder.assignee_id.in_(staff_ids),
            WorkOrder.status.in_([str(s) for s in WORKING]),
        )
        .group_by(WorkOrder.assignee_id)
    )
    return {assignee: count for assignee, count in rows.all() if assignee is not None}


# --- claims --------------------------------------------------------------------------------------


async def check_claim(ctx: Context, order: WorkOrder, staff: Staff) -> None:
    """抢单 is for on-duty staff under their `max_open`, in queues that are not assigned by hand."""
    load = await _open_orders(ctx.session, [staff.id])
    strategy = (
        Strategy(order.dispatch) if order.dispatch else await queue_strategy(ctx, order.queue)
    )
    refusal = dispatch.claim_refusal(_member(staff, load.get(staff.id, 0)), strategy)
    if refusal is not None:
        raise Forbidden(_("you may not claim this order: {refusal}", refusal=refusal))
