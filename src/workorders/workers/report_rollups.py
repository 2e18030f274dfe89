"""Keep the reports' daily rollups up to date (services/report_rollups.py), every clock interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workorders.services import report_rollups

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.clock import Clock


async def roll_up_reports(session: AsyncSession, clock: Clock) -> int:
    return await report_rollups.roll_up(session, clock.now())
