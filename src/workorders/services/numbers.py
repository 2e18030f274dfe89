"""Human-readable order numbers, `WO-20261128-0001`, counted per property and local day."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from workorders.models import NumberCounter

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


async def next_number(session: AsyncSession, property_id: str, timezone: str, at: datetime) -> str:
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    # One atomic upsert: concurrent creators queue on the counter row and each get their own value.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = cast("Table", NumberCounter.__table__)
    statement = (
        insert(table)
        .values(property_id=property_id, day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.property_id, table.c.day],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    value = (await session.execute(statement)).scalar_one()
    return f"WO-{day}-{value:04d}"
