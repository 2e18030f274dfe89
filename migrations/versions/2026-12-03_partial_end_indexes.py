"""The indexes of an order's end hold the orders that have one.

`(property_id, cancelled_at)`, `(property_id, resolved_at)` and `(status, resolved_at)` indexed
every order, and a new order, which has neither, wrote an entry to each: three of the 27 pages a
filing's commit wrote on SQLite. Every query that reads them compares the column (a report's range,
the clock worker's `resolved_at <= …`), which tells both planners that it is not NULL, so they use
the partial index as they used the whole one: at 1M orders the same plans, as fast (bench/RESULTS.md,
round 21).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 20:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDS = {
    "ix_work_orders_property_id_cancelled_at": ("property_id", "cancelled_at"),
    "ix_work_orders_property_id_resolved_at": ("property_id", "resolved_at"),
    "ix_work_orders_status_resolved_at": ("status", "resolved_at"),
}


def _recreate(*, partial: bool) -> None:
    for name, (first, end) in ENDS.items():
        op.drop_index(name, table_name="work_orders")
        where = {}
        if partial:
            condition = sa.text(f"{end} IS NOT NULL")
            where = {"postgresql_where": condition, "sqlite_where": condition}
        op.create_index(name, "work_orders", [first, end], **where)


def upgrade() -> None:
    _recreate(partial=True)


def downgrade() -> None:
    _recreate(partial=False)
