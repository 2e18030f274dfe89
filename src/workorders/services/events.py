"""Writing events: the timeline, the feed and the outbox are one table, written with the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workorders.db import new_id
from workorders.domain.actors import ActorType
from workorders.models import Event

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.actors import Principal
    from workorders.models import WorkOrder


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
    return {
        "id": new_id("evt"),
        "property_id": order.property_id,
        "work_order_id": order.id,
        "type": type,
        "actor_type": str(actor.actor_type if actor else ActorType.SYSTEM),
        "actor_id": actor.sub if actor else None,
        "data": order_facts(order) | {"previous_status": previous_status} | (extra or {}),
        "occurred_at": at,
    }


def record(
    session: AsyncSession,
    *,
    order: WorkOrder,
    type: str,
    actor: Principal | None,
    at: datetime,
    previous_status: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Event:
    """Add the event for a change to `order`; it commits (or not) with the change itself."""
    event = Event(
        **row(
            order=order,
            type=type,
            actor=actor,
            at=at,
            previous_status=previous_status,
            extra=extra,
        )
    )
    session.add(event)
    return event
