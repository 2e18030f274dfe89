"""The deadline sweep: warnings at 80%, breaches, and escalations to the supervisor and the manager.

Each firing is a row with a unique key (order, deadline, kind), inserted with ON CONFLICT DO NOTHING
before its event is written: of several workers sweeping at once, only the one whose insert went in
writes the event. On PostgreSQL the sweep also claims its orders with `FOR UPDATE SKIP LOCKED`, so
replicas share the work instead of queueing behind each other. Breaches change the order (its
`breached` list and escalation level) as a compare-and-set on its version, like any other change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from workorders.domain import sla
from workorders.domain.calendar import WorkingCalendar
from workorders.domain.sla import Audience, Deadline, Firing
from workorders.models import SlaFiring, Staff, WorkOrder
from workorders.services import events
from workorders.services import sla as policies

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

BATCH = 200
# The key under which a complaint's immediate escalation is recorded (it belongs to no deadline).
WHOLE_ORDER = "order"
COMPLAINT_REASON = "高优先级投诉，直接上报经理"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class _Property:
    """What the sweep needs of one property, read once per sweep."""

    calendar: WorkingCalendar | None
    supervisors: dict[str | None, list[str]]
    managers: list[str]
    targets: dict[tuple[str, str | None], sla.Targets] = field(default_factory=dict)


class _Properties:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen: dict[str, _Property] = {}

    async def get(self, property_id: str) -> _Property:
        if property_id not in self.seen:
            people = (
                await self.session.execute(
                    select(Staff.id, Staff.department, Staff.role).where(
                        Staff.property_id == property_id,
                        Staff.role.in_(("supervisor", "manager")),
                    )
                )
            ).all()
            supervisors: dict[str | None, list[str]] = {}
            for staff_id, department, role in people:
                if role == "supervisor":
                    supervisors.setdefault(department, []).append(staff_id)
            self.seen[property_id] = _Property(
                calendar=await policies.calendar_for(self.session, property_id),
                supervisors=supervisors,
                managers=[staff_id for staff_id, _, role in people if role == "manager"],
            )
        return self.seen[property_id]

    async def targets(self, order: WorkOrder) -> sla.Targets:
        view = await self.get(order.property_id)
        key = (order.priority, order.category)
        if key not in view.targets:
            view.targets[key] = await policies.targets_for(
                self.session, order.property_id, order.priority, order.category
            )
        return view.targets[key]


async def sweep(session: AsyncSession, now: datetime) -> int:
    """Fire what has fallen due on the orders whose next look is due; returns how many fired."""
    query = (
        select(WorkOrder)
        .where(WorkOrder.status.in_(policies.CLOCKED), WorkOrder.sla_check_at <= now)
        .order_by(WorkOrder.sla_check_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    orders = list((await session.execute(query)).scalars())
    if not orders:
        return 0
    fired: dict[str, set[tuple[str, str]]] = {order.id: set() for order in orders}
    rows = await session.execute(
        select(SlaFiring.work_order_id, SlaFiring.deadline, SlaFiring.kind).where(
            SlaFiring.work_order_id.in_(list(fired))
        )
    )
    for order_id, deadline, kind in rows:
        fired[order_id].add((deadline, kind))
    properties = _Properties(session)
    count = 0
    for order in orders:
        try:
            async with session.begin_nested():
                count += await _check(session, order, now, fired[order.id], properties)
        except StaleDataError:
            # Someone acted on the order meanwhile; their action asked for a fresh look.
            log.info("work order %s changed during the deadline sweep", order.id)
    return count


async def _check(
    session: AsyncSession,
    order: WorkOrder,
    now: datetime,
    fired: set[tuple[str, str]],
    properties: _Properties,
) -> int:
    targets = await properties.targets(order)
    view = await properties.get(order.property_id)
    state = policies.state_of(order, view.calendar if targets.use_calendar else None)
    todo: list[tuple[str, Firing]] = [(str(d), f) for d, f in sla.due_firings(state, now, fired)]
    if (
        sla.escalates_at_once(order.kind, order.priority)
        and (WHOLE_ORDER, Firing.COMPLAINT_ESCALATION) not in fired
    ):
        todo.insert(0, (WHOLE_ORDER, Firing.COMPLAINT_ESCALATION))
    count = 0
    for deadline, kind in todo:
        due_at = state.due.get(Deadline(deadline)) if deadline != WHOLE_ORDER else None
        won = await policies.insert_once(
            session,
            SlaFiring,
            {
                "work_order_id": order.id,
                "deadline": deadline,
                "kind": str(kind),
                "due_at": due_at,
                "fired_at": now,
            },
        )
        fired.add((deadline, str(kind)))
        if not won:
            continue  # another worker fired it
        await _fire(session, order, now, deadline, kind, due_at, view)
        count += 1
    following = sla.next_check(
        state, {(Deadline(d), Firing(k)) for d, k in fired if d != WHOLE_ORDER}
    )
    await session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.version == order.version)
        # When to look again is bookkeeping, not the order's representation: neither its version
        # nor its `updated_at` (which the column's onupdate would set) may move, or ETags would lie.
        .values(sla_check_at=following, updated_at=WorkOrder.updated_at)
        .execution_options(synchronize_session=False)
    )
    return count


def _notify(view: _Property, order: WorkOrder, audience: Audience) -> list[str]:
    if audience is Audience.MANAGER:
        return view.managers
    return view.supervisors.get(order.queue, [])


async def _fire(
    session: AsyncSession,
    order: WorkOrder,
    now: datetime,
    deadline: str,
    kind: Firing,
    due_at: datetime | None,
    view: _Property,
) -> None:
    extra: dict[str, Any] = {}
    if kind is Firing.WARNING:
        event_type = "work_order.sla_warning"
    else:
        if kind is Firing.BREACH:
            event_type = "work_order.sla_breached"
            order.breached = [*order.breached, deadline]
            order.escalation_level += 1
            audience = sla.audience(order.escalation_level, order.priority)
        else:
            event_type = "work_order.escalated"
            order.escalation_level = max(order.escalation_level + 1, sla.MANAGER_LEVEL)
            audience = Audience.MANAGER
            extra["reason"] = COMPLAINT_REASON
        order.updated_at = now
        await session.flush()
        extra |= {"escalated_to": str(audience), "notify": _notify(view, order, audience)}
    if deadline != WHOLE_ORDER:
        extra["deadline"] = deadline
    if due_at is not None:
        extra["due_at"] = rfc3339(due_at)
    await events.record(
        session,
        order=order,
        type=event_type,
        actor=None,
        at=now,
        previous_status=order.status,
        extra=extra,
    )
