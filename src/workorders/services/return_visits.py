"""After the fix: resolved orders the owner never confirms close by themselves, and customer service
calls owners back (回访) as the property's policy says, or because the owner rated the work 1 or 2."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from workorders.db import new_id
from workorders.domain import sla
from workorders.domain.actors import Role
from workorders.domain.lifecycle import Action, Status
from workorders.errors import ConcurrentChange, Conflict, Forbidden, NotFound, _
from workorders.models import ReturnVisit, SlaSettings, Staff, WorkOrder
from workorders.services import events, transitions
from workorders.services.pagination import Ordering, fetch_page
from workorders.services.sla import insert_once
from workorders.services.sla_clock import rfc3339

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.schemas.sla import ReturnVisitComplete
    from workorders.services.context import Context

log = logging.getLogger(__name__)

BATCH = 200
# Orders closed longer ago than this when the worker first sees them get no return visit.
DECISION_HORIZON = timedelta(days=30)
VISIT_ORDER = Ordering("return_visit", [ReturnVisit.created_at, ReturnVisit.id])


# --- the clock's jobs --------------------------------------------------------------------------------


async def close_unconfirmed(session: AsyncSession, now: datetime, after: timedelta) -> int:
    """Close the resolved orders their owner has not confirmed for `after` (a system change)."""
    query = (
        select(WorkOrder)
        .where(WorkOrder.status == Status.RESOLVED, WorkOrder.resolved_at <= now - after)
        .order_by(WorkOrder.resolved_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    closed = 0
    for order in list((await session.execute(query)).scalars()):
        assert order.resolved_at is not None
        resolved_at = rfc3339(order.resolved_at)
        try:
            async with session.begin_nested():
                await transitions.act_as_system(
                    session,
                    order,
                    Action.CONFIRM,
                    now=now,
                    params={},
                    event_type="work_order.closed",
                    extra={"reason": "not confirmed in time", "resolved_at": resolved_at},
                )
            closed += 1
        except ConcurrentChange:
            log.info("work order %s changed while closing it; next time", order.id)
    return closed


async def open_return_visits(session: AsyncSession, now: datetime) -> int:
    """Decide, once per closing, whether customer service calls the owner back."""
    decided = exists().where(
        ReturnVisit.work_order_id == WorkOrder.id, ReturnVisit.closed_at == WorkOrder.closed_at
    )
    query = (
        select(WorkOrder)
        .where(
            WorkOrder.status == Status.CLOSED,
            WorkOrder.closed_at >= now - DECISION_HORIZON,
            ~decided,
        )
        .order_by(WorkOrder.closed_at)
        .limit(BATCH)
    )
    policies: dict[str, str] = {}
    opened = 0
    for order in list((await session.execute(query)).scalars()):
        if order.property_id not in policies:
            settings = await session.get(SlaSettings, order.property_id)
            policies[order.property_id] = settings.return_visit_policy if settings else "unrated"
        reason = sla.return_visit_reason(policies[order.property_id], order.rating_score)
        visit_id = new_id("rv")
        assert order.closed_at is not None
        inserted = await insert_once(
            session,
            ReturnVisit,
            {
                "id": visit_id,
                "property_id": order.property_id,
                "work_order_id": order.id,
                "closed_at": order.closed_at,
                "reason": str(reason) if reason else "policy",
                "status": "pending" if reason else "skipped",
                "created_at": now,
            },
        )
        if not inserted or reason is None:
            continue
        opened += 1
        if reason is sla.ReturnVisitReason.LOW_RATING:
            await _tell_supervisor(session, order, visit_id, now)
    return opened


async def _tell_supervisor(
    session: AsyncSession, order: WorkOrder, visit_id: str, now: datetime
) -> None:
    supervisors = (
        await session.execute(
            select(Staff.id).where(
                Staff.property_id == order.property_id,
                Staff.department == order.queue,
                Staff.role == "supervisor",
            )
        )
    ).scalars()
    await events.record(
        session,
        order=order,
        type="work_order.follow_up_opened",
        actor=None,
        at=now,
        previous_status=order.status,
        extra={
            "return_visit_id": visit_id,
            "reason": "low_rating",
            "rating": order.rating_score,
            "escalated_to": "supervisor",
            "notify": list(supervisors),
        },
    )


# --- customer service's work -------------------------------------------------------------------------


def _require_visitor(ctx: Context) -> None:
    principal = ctx.principal
    if not (principal.is_customer_service or principal.role is Role.MANAGER):
        raise Forbidden(_("return visits are made by customer service"))


async def list_visits(
    ctx: Context, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[ReturnVisit], str | None]:
    _require_visitor(ctx)
    query = select(ReturnVisit).where(ReturnVisit.property_id == ctx.principal.property_id)
    if status is not None:
        query = query.where(ReturnVisit.status == status)
    return await fetch_page(ctx.session, query, VISIT_ORDER, limit=limit, cursor=cursor)


async def get_visit(ctx: Context, visit_id: str) -> ReturnVisit:
    visit = await ctx.session.get(ReturnVisit, visit_id)
    if visit is None or visit.property_id != ctx.principal.property_id:
        raise NotFound(_("return visit {visit_id} does not exist", visit_id=visit_id))
    _require_visitor(ctx)
    return visit


async def complete(ctx: Context, visit: ReturnVisit, body: ReturnVisitComplete) -> ReturnVisit:
    """Record what the owner said; the order's timeline gets it as `work_order.return_visited`."""
    _require_visitor(ctx)
    if visit.status != "pending":
        raise Conflict(_("this return visit is {status} already", status=visit.status))
    visit.status = "done"
    visit.outcome = body.outcome
    visit.score = body.score
    visit.note = body.note
    visit.visited_by = ctx.principal.sub
    visit.completed_at = ctx.now
    order = await ctx.session.get(WorkOrder, visit.work_order_id)
    assert order is not None
    await ctx.session.flush()
    await events.record(
        ctx.session,
        order=order,
        type="work_order.return_visited",
        actor=ctx.principal,
        at=ctx.now,
        previous_status=order.status,
        extra={
            "return_visit_id": visit.id,
            "reason": visit.reason,
            "outcome": body.outcome,
            "score": body.score,
            "visibility": "internal",
        },
    )
    return visit
