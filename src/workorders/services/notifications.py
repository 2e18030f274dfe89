"""Notifications: derived from the events (by the notifier, following the feed), read by each person."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Row, insert, select, update

from workorders.db import new_id
from workorders.domain.actors import ActorType, Principal, Role
from workorders.domain.notifications import Audience, EventFacts, notices
from workorders.domain.taxonomy import Department
from workorders.models import Event, Notification, Staff, WorkOrder
from workorders.models.devices import Device
from workorders.services import feed
from workorders.services.events import property_row
from workorders.services.events import write as write_events
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.services.context import Context

NEWEST_FIRST = Ordering("-seq", (Notification.seq,), descending=True)


class _People:
    """The staff a batch of events may concern, per property, looked up once per batch."""

    def __init__(self, staff: list[Staff]) -> None:
        self.customer_service: dict[str, list[str]] = defaultdict(list)
        self.supervisors: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        self.managers: dict[str, list[str]] = defaultdict(list)
        for member in staff:
            if member.role == "manager":
                self.managers[member.property_id].append(member.id)
                continue
            if member.department == Department.CUSTOMER_SERVICE:
                self.customer_service[member.property_id].append(member.id)
            if member.role == "supervisor":
                self.supervisors[(member.property_id, member.department)].append(member.id)


# What `derive` reads of each event, with its order's owner (the notifier loads only these, in the
# feed's own statement: services/feed.py).
COLUMNS: feed.Columns = (
    *feed.EVENT_COLUMNS,
    select(WorkOrder.owner_id)
    .where(WorkOrder.id == Event.work_order_id)
    .scalar_subquery()
    .label("owner_id"),
)


async def derive(session: AsyncSession, events: Sequence[Row[Any]], now: datetime) -> int:
    """Write the notifications for `events`, rows of `COLUMNS`; the caller moves the notifier's
    position with them."""
    properties = {e.property_id for e in events}
    people = _People(
        list(
            (
                await session.execute(
                    select(Staff)
                    .where(Staff.property_id.in_(properties))
                    .where(
                        (Staff.department == str(Department.CUSTOMER_SERVICE))
                        | Staff.role.in_(["supervisor", "manager"])
                    )
                    .order_by(Staff.id)
                )
            ).scalars()
        )
    )
    rows: list[dict[str, Any]] = []
    for event in events:
        if event.work_order_id is None:
            continue
        audience = Audience(
            owner_id=event.owner_id,
            customer_service=people.customer_service[event.property_id],
            supervisors=people.supervisors[(event.property_id, event.data.get("queue"))],
            managers=people.managers[event.property_id],
        )
        facts = EventFacts(event.type, event.actor_type, event.actor_id, event.data)
        rows.extend(
            {
                "id": new_id("ntf"),
                "property_id": event.property_id,
                "recipient_type": notice.recipient.type,
                "recipient_id": notice.recipient.id,
                "event_id": event.id,
                "event_type": event.type,
                "work_order_id": event.work_order_id,
                "reason": notice.reason,
                "title": notice.title,
                "body": notice.body,
                "data": {"number": event.data.get("number"), "status": event.data.get("status")},
                "read_at": None,
                "created_at": now,
            }
            for notice in notices(facts, audience)
        )
    rows = await _coalesce(session, rows)
    if rows:
        await session.execute(insert(Notification), rows)
        devices = await _devices(session, rows)
        await write_events(session, [_created_event(row, devices, now) for row in rows])
    return len(rows)


Holder = tuple[str, str, str]  # property, recipient type, recipient id


async def _devices(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[Holder, list[Any]]:
    """The push tokens (`/v1/devices`) of the people the new lines are for, in one query."""
    found: dict[Holder, list[Any]] = defaultdict(list)
    query = (
        select(Device)
        .where(
            Device.property_id.in_({r["property_id"] for r in rows}),
            Device.holder_id.in_({r["recipient_id"] for r in rows}),
        )
        .order_by(Device.created_at, Device.id)
    )
    for device in (await session.execute(query)).scalars():
        holder = (device.property_id, device.holder_type, device.holder_id)
        found[holder].append({"platform": device.platform, "token": device.token})
    return found


NOTIFICATION_CREATED = "notification.created"


def _created_event(
    row: dict[str, Any], devices: dict[Holder, list[Any]], now: datetime
) -> dict[str, Any]:
    """`notification.created` for a push gateway subscribed to webhooks (API.md "Live updates").

    It belongs to the property, not to the order (`work_order_id` is in its data only): the order's
    timeline and the feeds of those who follow orders stay free of everyone's inbox lines. One event
    per new line: a line that only counts one more change (coalesced, below) is not pushed again.
    It names the recipient's registered devices, so a gateway needs no copy of the device list; for
    that reason only the admin's integrations read it (services/feed.py), never a person's feed."""
    return property_row(
        property_id=row["property_id"],
        type=NOTIFICATION_CREATED,
        actor_type=ActorType.SYSTEM,
        actor_id=None,
        at=now,
        data={
            "recipient": {"type": row["recipient_type"], "id": row["recipient_id"]},
            "notification_id": row["id"],
            "work_order_id": row["work_order_id"],
            "title": row["title"],
            "body": row["body"],
            "count": row["data"]["count"],
            "devices": devices.get(
                (row["property_id"], row["recipient_type"], row["recipient_id"]), []
            ),
        },
    )


# What a later notice of the same order brings to the unread line it joins: its words and facts.
_LATEST = ("event_id", "event_type", "reason", "title", "body", "created_at")


async def _coalesce(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One unread line per person and order: the rows still to insert, once those that join an unread
    line of the same recipient and order have been counted into it (a line already stored, or one
    earlier in this batch). The line says the latest words and how many changes it stands for; once
    read, the next change starts a new line. 300 comments are one line with a count of 300."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        row["data"] = row["data"] | {"count": 1}
        key = (row["recipient_type"], row["recipient_id"], row["work_order_id"])
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = row
            continue
        earlier |= {name: row[name] for name in _LATEST}
        earlier["data"] = row["data"] | {"count": earlier["data"]["count"] + 1}
    if not merged:
        return []
    stored = await session.execute(
        select(Notification).where(
            Notification.read_at.is_(None),
            Notification.work_order_id.in_({key[2] for key in merged}),
            Notification.recipient_id.in_({key[1] for key in merged}),
        )
    )
    lines: dict[tuple[str, str, str | None], Notification] = {
        (line.recipient_type, line.recipient_id, line.work_order_id): line
        for line in stored.scalars()
    }
    inserting = []
    for key, row in merged.items():
        line = lines.get(key)
        if line is not None:
            count = int((line.data or {}).get("count", 1)) + row["data"]["count"]
            # Only while it is still unread: a line read meanwhile keeps what its reader saw, and
            # this change starts a new one.
            joined = await session.execute(
                update(Notification)
                .where(Notification.id == line.id, Notification.read_at.is_(None))
                .values(
                    **{name: row[name] for name in _LATEST}, data=row["data"] | {"count": count}
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(joined, "rowcount", 0):
                continue
        inserting.append(row)
    return inserting


def _recipient(principal: Principal) -> tuple[str, str] | None:
    """Whose inbox a caller reads: an owner's or a staff member's; tokens without a person have none."""
    if principal.sub is None or principal.role is Role.ADMIN:
        return None
    return ("owner" if principal.role is Role.OWNER else "staff", principal.sub)


async def inbox(
    ctx: Context, *, unread: bool | None, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None]:
    recipient = _recipient(ctx.principal)
    if recipient is None:
        return [], None
    query = select(Notification).where(
        Notification.property_id == ctx.principal.property_id,
        Notification.recipient_type == recipient[0],
        Notification.recipient_id == recipient[1],
    )
    if unread is True:
        query = query.where(Notification.read_at.is_(None))
    elif unread is False:
        query = query.where(Notification.read_at.is_not(None))
    return await fetch_page(ctx.session, query, NEWEST_FIRST, limit=limit, cursor=cursor)


async def mark_read(ctx: Context, *, ids: list[str] | None) -> int:
    """Mark the caller's own notifications read (those listed, or all); others' ids are ignored."""
    recipient = _recipient(ctx.principal)
    if recipient is None:
        return 0
    statement = update(Notification).where(
        Notification.property_id == ctx.principal.property_id,
        Notification.recipient_type == recipient[0],
        Notification.recipient_id == recipient[1],
        Notification.read_at.is_(None),
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    result = await ctx.session.execute(statement.values(read_at=ctx.now))
    return cast("CursorResult[Any]", result).rowcount or 0
