"""Retention (PIPL): owners' contact numbers are kept no longer than the work needs them.

An order closed or cancelled longer ago than `WORKORDERS_CONTACT_RETENTION` (default P3Y) loses its
`contact_phone`; the order itself, its timeline and its figures (deadlines, ratings, durations) stay,
so reports over past years still add up. Run by the workers (workers/runner.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, exists, func, select, update

from workorders.domain.lifecycle import Status
from workorders.models import WorkOrder
from workorders.models.attachments import Attachment
from workorders.services import attachments
from workorders.storage import DirectoryStorage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.clock import Clock
    from workorders.config import Settings


async def erase_contacts(session: AsyncSession, clock: Clock, *, settings: Settings) -> int:
    """De-identify the contact numbers of orders ended before the retention period, and remove their
    photos (pictures of someone's home are personal data too; the files go once this commits);
    returns how many orders."""
    now = clock.now()
    ended_at = func.coalesce(WorkOrder.closed_at, WorkOrder.cancelled_at)
    ended = (
        WorkOrder.status.in_([Status.CLOSED, Status.CANCELLED]),
        ended_at < now - settings.contact_retention,
    )
    photographed = exists().where(Attachment.work_order_id == WorkOrder.id)
    storage = DirectoryStorage.from_settings(settings)
    with_photos = select(WorkOrder.id).where(*ended, photographed)
    for order_id in (await session.execute(with_photos)).scalars().all():
        await attachments.delete_for_order(session, storage, order_id)
    result = await session.execute(
        update(WorkOrder)
        .where(*ended, WorkOrder.contact_phone.is_not(None))
        # A new version: the order's representation changed, so its ETag must too.
        .values(contact_phone=None, version=WorkOrder.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount or 0
