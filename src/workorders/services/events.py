"""Writing events: the timeline, the feed and the outbox are one table, written with the change."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any
from typing import cast as typed

from sqlalchemy import Table, insert

from workorders.db import new_id, write_unawaited_sync, wrote_events
from workorders.domain.actors import ActorType
from workorders.models import Event

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.base import Executable

    from workorders.domain.actors import Principal
    from workorders.models import WorkOrder


# A new order's event, written with it at its `created_at` (services/filing.py).
ORDER_CREATED = "work_order.created"


def order_facts(order: WorkOrder) -> dict[str, Any]:
    """The thin view of an order every event carries: no owner name, phone or free text."""
    return {
        "number": order.number,
        "status": order.status,
        "queue": order.queue,
        "priority": order.priority,
        "category": order.category,
        "kind": order.kind,
        "assignee_id": order.assignee_id,
        "escalation_level": order.escalation_level,
        "version": order.version,
    }


def row(
    *,
    order: WorkOrder,
    type: str,
    actor: Principal | None,
    at: datetime,
    previous_status: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The event for a change to `order`, as the columns of its row."""
    facts = order_facts(order) | {"previous_status": previous_status} | (extra or {})
    actor_type = actor.actor_type if actor else ActorType.SYSTEM
    return _columns(
        order.property_id, order.id, type, actor_type, actor.sub if actor else None, facts, at
    )


def _columns(
    property_id: str,
    work_order_id: str | None,
    type: str,
    actor_type: str,
    actor_id: str | None,
    data: dict[str, Any],
    at: datetime,
) -> dict[str, Any]:
    """An event's row, a new id given: an order's (`row`) and a property's own alike."""
    return {
        "id": new_id("evt"),
        "property_id": property_id,
        "work_order_id": work_order_id,
        "type": type,
        "actor_type": str(actor_type),
        "actor_id": actor_id,
        "data": data,
        "occurred_at": at,
    }


async def record(
    session: AsyncSession,
    *,
    order: WorkOrder,
    type: str,
    actor: Principal | None,
    at: datetime,
    previous_status: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the event for a change to `order`; it commits (or not) with the change itself."""
    await write(
        session,
        [
            row(
                order=order,
                type=type,
                actor=actor,
                at=at,
                previous_status=previous_status,
                extra=extra,
            )
        ],
    )


def property_row(
    *,
    property_id: str,
    type: str,
    actor_type: str,
    actor_id: str | None,
    at: datetime,
    data: dict[str, Any],
) -> dict[str, Any]:
    """An event of the property itself, of no work order (a routing rule, a routing model, a queue's
    dispatch or a webhook endpoint changed; a notification made), as the columns of its row for
    `write`, in the transaction of the change."""
    return _columns(property_id, None, type, actor_type, actor_id, data, at)


async def write(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Events as rows (`row`) of one Core insert, never objects of the session: built, added and
    flushed, those cost more CPU than the insert, and nobody reads them back. On SQLite the insert
    goes with the transaction's next trip, its commit's as a rule (`db.write_unawaited_sync`). The
    session is marked as one that wrote events: its end wakes the feed's followers
    (`db.wrote_events`)."""
    await session.run_sync(write_sync, rows)


def write_sync(session: Session, rows: list[dict[str, Any]]) -> None:
    """`write`, for code already in a greenlet of SQLAlchemy's (`AsyncSession.run_sync`)."""
    write_unawaited_sync(session, _insert(), rows)
    wrote_events(session)


@cache
def _insert() -> Executable:
    return insert(typed(Table, Event.__table__))
