"""Creating a property: its row and the defaults it starts with, in the caller's transaction.

A property's defaults are written when it is created, not discovered missing on the request path:
filing an order reads its deadline policies from the configuration cache and never seeds anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workorders.models import Property
from workorders.services import sla

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


async def provision(
    session: AsyncSession, property_id: str, name: str, timezone: str, now: datetime
) -> Property:
    """The new property, with the default deadline policy per priority."""
    prop = Property(id=property_id, name=name, timezone=timezone, created_at=now, updated_at=now)
    session.add(prop)
    await session.flush()
    await sla.seed_defaults(session, property_id, now)
    return prop
