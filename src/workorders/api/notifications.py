"""`/v1/notifications`: the caller's inbox (what the mobile app shows), and marking it read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from workorders.api import V1
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.responses import problems
from workorders.models import Notification
from workorders.schemas.events import (
    MarkedRead,
    MarkNotificationsRead,
    NotificationPage,
    NotificationRead,
)
from workorders.services import notifications

router = APIRouter(prefix=f"{V1}/notifications", tags=["notifications"])


def _read(row: Notification) -> NotificationRead:
    return NotificationRead(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        work_order_id=row.work_order_id,
        reason=row.reason,
        title=row.title,
        body=row.body,
        count=int((row.data or {}).get("count", 1)),
        data=row.data,
        read=row.read_at is not None,
        read_at=row.read_at,
        created_at=row.created_at,
    )


@router.get(
    "",
    operation_id="listNotifications",
    summary="The caller's notifications, newest first",
    responses=problems(),
)
async def list_notifications(
    ctx: ReadContext,
    unread: Annotated[bool | None, Query(description="true: unread only; false: read only")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> NotificationPage:
    rows, next_cursor = await notifications.inbox(ctx, unread=unread, limit=limit, cursor=cursor)
    return NotificationPage(items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/read",
    operation_id="markNotificationsRead",
    summary="Mark some (ids) or all of the caller's notifications read",
    responses=problems(),
)
async def mark_notifications_read(body: MarkNotificationsRead, ctx: WriteContext) -> MarkedRead:
    return MarkedRead(marked=await notifications.mark_read(ctx, ids=body.ids))
