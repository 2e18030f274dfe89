"""Notifications: derived from the events (by the notifier, following the feed), read by each person."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from workorders.db import new_id
from workorders.domain.actors import Principal, Role
from workorders.domain.notifications import Audience, EventFacts, notices
from workorders.domain.taxonomy import Department
from workorders.models import Notification, Staff, WorkOrder
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.models import Event
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


async def derive(session: AsyncSession, events: list[Event], now: datetime) -> int:
    """Write the notifications for `events`; the caller moves the notifier's position with them."""
    order_ids = {e.work_order_id for e in events if e.work_order_id}
    owners: dict[str, str | None] = {}
    if order_ids:
        rows = await session.execute(
            select(WorkOrder.id, WorkOrder.owner_id).where(WorkOrder.id.in_(order_ids))
        )
        owners = dict(rows.all())
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
    rows = []
    for event in events:
        if event.work_order_id is None:
            continue
        audience = Audience(
            owner_id=owners.get(event.work_order_id),
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
    return len(rows)


# Comments come in bursts: a person hears of them as one unread line per order, with a count,
# rather than one line per comment (300 comments must not be 300 notifications).
COALESCED = frozenset({"work_order.commented"})


def _counted(title: str, count: int) -> str:
    return f"{title}（{count} 条）" if count > 1 else title


async def _coalesce(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows still to insert, once those that join an unread line of the same recipient, order
    and type have been counted into it (a line already stored, or one earlier in this batch)."""
    joining = [r for r in rows if r["event_type"] in COALESCED]
    if not joining:
        return rows
    stored = await session.execute(
        select(Notification).where(
            Notification.event_type.in_(COALESCED),
            Notification.read_at.is_(None),
            Notification.work_order_id.in_({r["work_order_id"] for r in joining}),
            Notification.recipient_id.in_({r["recipient_id"] for r in joining}),
        )
    )
    lines: dict[tuple[str, str, str, str], Any] = {}
    for line in stored.scalars():
        lines[(line.recipient_type, line.recipient_id, line.work_order_id, line.event_type)] = line
    out = []
    for row in rows:
        key = (row["recipient_type"], row["recipient_id"], row["work_order_id"], row["event_type"])
        if row["event_type"] not in COALESCED:
            out.append(row)
            continue
        line = lines.get(key)
        if line is None:
            row["data"] = row["data"] | {"count": 1, "first_title": row["title"]}
            lines[key] = row
            out.append(row)
            continue
        if isinstance(line, dict):
            data = line["data"]
            count = data.get("count", 1) + 1
            line["data"] = data | {"count": count}
            line["title"] = _counted(data.get("first_title", line["title"]), count)
            line["event_id"] = row["event_id"]
        else:
            data = dict(line.data or {})
            count = data.get("count", 1) + 1
            line.data = data | {"count": count}
            line.title = _counted(data.get("first_title", line.title), count)
            line.event_id = row["event_id"]
            line.created_at = row["created_at"]
    return out


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
    return result.rowcount or 0
