"""Creating a property: its row and the defaults it starts with, in the caller's transaction.

A property's defaults are written when it is created, not discovered missing on the request path:
filing an order reads its deadline policies from the configuration cache and never seeds anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workorders.models import Property
from workorders.services import sla
from workorders.services.sla import insert_once

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


async def provision(
    session: AsyncSession, property_id: str, name: str, timezone: str, now: datetime
) -> Property | None:
    """The new property, with the default deadline policy per priority; None when a property with
    this id exists already (of two creating the same id at once, one inserts and the other gets None).
    Routing needs nothing written: a property's rules are its own edits over the packaged defaults."""
    values = {"id": property_id, "name": name, "timezone": timezone}
    if not await insert_once(session, Property, values | {"created_at": now, "updated_at": now}):
        return None
    await sla.seed_defaults(session, property_id, now)
    return await session.get(Property, property_id)
