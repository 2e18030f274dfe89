"""Retention (PIPL): owners' contact numbers are kept no longer than the work needs them.

An order closed or cancelled longer ago than `WORKORDERS_CONTACT_RETENTION` (default P3Y) loses its
`contact_phone`; the order itself, its timeline and its figures (deadlines, ratings, durations) stay,
so reports over past years still add up. Run by the workers (workers/runner.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, update

from workorders.domain.lifecycle import Status
from workorders.models import WorkOrder

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.clock import Clock
    from workorders.config import Settings


async def erase_contacts(session: AsyncSession, clock: Clock, *, settings: Settings) -> int:
    """De-identify the contact numbers of orders ended before the retention period; how many."""
    now = clock.now()
    ended_at = func.coalesce(WorkOrder.closed_at, WorkOrder.cancelled_at)
    result = await session.execute(
        update(WorkOrder)
        .where(
            WorkOrder.status.in_([Status.CLOSED, Status.CANCELLED]),
            WorkOrder.contact_phone.is_not(None),
            ended_at < now - settings.contact_retention,
        )
        # A new version: the order's representation changed, so its ETag must too.
        .values(contact_phone=None, version=WorkOrder.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
