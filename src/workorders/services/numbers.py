"""Human-readable order numbers, `WO-20261128-0001`, counted per property and local day: taken in
the statements that file the order (services/filing.py)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from workorders.models import NumberCounter

if TYPE_CHECKING:
    from sqlalchemy.sql.base import Executable


@cache
def counter_upsert(dialect: str) -> Executable:
    """The counter's one atomic upsert (`property_id`, `day` bound), returning the value taken:
    concurrent creators queue on the counter row and each get their own value. Built once."""
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
