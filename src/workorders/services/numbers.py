"""Human-readable order numbers, `WO-20261128-0001`, counted per property and local day.

The parts of the statements that file an order (services/filing.py) and number it as they write it:
the counter's upsert, on whose row concurrent filers of a property queue, each getting their own
value, and the number made of the value it leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from typing import cast as typed
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, Table, bindparam, cast, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from workorders.models import NumberCounter, Property

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import BindParameter, ColumnElement
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

COUNTERS = typed("Table", NumberCounter.__table__)


def day_of(at: datetime, timezone: str) -> str:
    """The local day an order filed at `at` is counted in, as its number spells it."""
    local = at.astimezone(ZoneInfo(timezone))
    # Not `strftime`, which goes through the C library's (the format rebuilt, the text converted to
    # wide characters and back): 15,000 instructions more a filing, about 1% of its time in py-spy.
    return f"{local.year:04d}{local.month:02d}{local.day:02d}"


def day_param() -> BindParameter[str]:
    return bindparam("day", type_=String)


def revision_matches(property_id: BindParameter[Any]) -> ColumnElement[bool]:
    """The property's configuration is still at the bound `revision`."""
    properties = typed("Table", Property.__table__)
    return exists().where(
        properties.c.id == property_id,
        properties.c.config_revision == bindparam("revision", type_=Integer),
    )


def taking(
    dialect: str, property_id: BindParameter[Any], *, checked: bool
) -> PostgresInsert | SqliteInsert:
    """The counter's upsert for the bound `day`: 1 for the day's first order, else one more. With
    `checked`, nothing at all unless `revision_matches` (SQLite's `INSERT … SELECT … ON CONFLICT`
    needs that WHERE clause anyway, or it reads ON as a join's)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if checked:
        first = select(property_id, day_param(), literal(1)).where(revision_matches(property_id))
        upsert = insert(COUNTERS).from_select(["property_id", "day", "last_value"], first)
    else:
        upsert = insert(COUNTERS).values(property_id=property_id, day=day_param(), last_value=1)
    return upsert.on_conflict_do_update(
        index_elements=[COUNTERS.c.property_id, COUNTERS.c.day],
        set_={"last_value": COUNTERS.c.last_value + 1},
    )


def number(dialect: str, value: ColumnElement[int]) -> ColumnElement[str]:
    """`WO-<day>-<value>`, the value zero-padded to at least four digits."""
    if dialect == "postgresql":
        digits = cast(value, String)
        padded = func.lpad(digits, func.greatest(4, func.length(digits)), "0")
    else:
        padded = func.printf("%04d", value)
    return literal("WO-") + day_param() + literal("-") + padded
