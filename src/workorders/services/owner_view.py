"""The owner's view (domain/owner_view.py) applied to rows: the timeline, the feed and the stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from workorders.domain import owner_view
from workorders.domain.actors import Role
from workorders.models import Event

T = TypeVar("T")

if TYPE_CHECKING:
    from collections.abc import Iterable

    from workorders.domain.actors import Principal
    from workorders.services.feed import EventRow


def order_field(principal: Principal, name: str, value: T) -> T | None:
    """An order's field as `principal` may read it: None for an owner when it is staff-only."""
    if principal.role is Role.OWNER and name in owner_view.ORDER_STAFF_ONLY:
        return None
    return value


def hidden_from(principal: Principal, event: EventRow) -> bool:
    return principal.role is Role.OWNER and not owner_view.shows_event(event.type, event.data)


def owner_copy(event: EventRow) -> Event | None:
    """The event (an Event, or a row of its columns) as an owner sees it: a detached copy whose `data`
    holds only the owner's fields (the row itself is left untouched, so nothing is written back);
    None when owners never see it."""
    data = owner_view.event_data(event.type, event.data)
    if data is None:
        return None
    return Event(
        seq=event.seq,
        txid=event.txid,
        id=event.id,
        property_id=event.property_id,
        work_order_id=event.work_order_id,
        type=event.type,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        data=data,
        occurred_at=event.occurred_at,
    )


def shown(principal: Principal, events: Iterable[Event]) -> list[Event]:
    """`events` as `principal` may see them: all of them for staff; for an owner, the owner's copies
    of those shown to owners."""
    if principal.role is not Role.OWNER:
        return list(events)
    return [copy for event in events if (copy := owner_copy(event)) is not None]
