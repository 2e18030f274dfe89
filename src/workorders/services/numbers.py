"""Human-readable order numbers, `WO-20261128-0001`, counted per property and local day."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from workorders.models import NumberCounter

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql import Executable


async def next_number(session: AsyncSession, property_id: str, timezone: str, at: datetime) -> str:
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    statement = _taking(session.get_bind().dialect.name)
    value = (
        await session.execute(statement, {"property_id": property_id, "day": day})
    ).scalar_one()
    return f"WO-{day}-{value:04d}"


@cache
def _taking(dialect: str) -> Executable:
    """One atomic upsert: concurrent creators queue on the counter row and each get their own value.
    Built once per dialect (bound parameters only): building it per filing cost more than running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast("Table", NumberCounter.__table__)
    return (
        insert(table)
        .values(property_id=bindparam("property_id"), day=bindparam("day"), last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.property_id, table.c.day],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
