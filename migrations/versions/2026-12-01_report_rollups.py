"""Daily rollups for the reports, and the indexes the report's live hours read.

`report_days` holds per local day, queue and group the sums of domain/figures.py; `report_times` the
response and resolution minutes in buckets, per day and per month; `report_rollups` how far each
property's rollups go and the lock the clock worker takes to extend them (services/report_rollups.py).
On the orders: the cancellation time (an order's end anchors the backlog) and, for repairs, the place
and category (the repeat-repair look-back); the open orders by assignee (each member's load).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workorders.db import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "filed", "rated", "rating_sum", "low_rated", "reopened", "resolved", "first_fix", "repairs",
    "repeats", "open", "ended", "due_respond", "met_respond", "due_start", "met_start",
    "due_resolve", "met_resolve",
)  # fmt: skip

# The open statuses (domain/lifecycle.py OPEN_STATUSES), fixed here.
OPEN = "status IN ('triage', 'queued', 'assigned', 'in_progress', 'on_hold')"

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _place(dialect: str) -> list[sa.TextClause]:
    if dialect == "postgresql":
        parts = [f"(location ->> '{name}')" for name in ("building", "unit", "room")]
    else:
        parts = [f"json_extract(location, '$.\"{name}\"')" for name in ("building", "unit", "room")]
    return [sa.text(part) for part in parts]


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("grp", sa.String(64), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in SUMS),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name="fk_report_days_property_id_properties"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_days"),
    )
    op.create_index(
        "ix_report_days_property_id_dim_day", "report_days", ["property_id", "dim", "day"]
    )
    op.create_table(
        "report_times",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("grain", sa.String(8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("grp", sa.String(64), nullable=True),
        sa.Column("measure", sa.String(8), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name="fk_report_times_property_id_properties"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_report_times"),
    )
    op.create_index(
        "ix_report_times_property_id_dim_grain_day",
        "report_times",
        ["property_id", "dim", "grain", "day"],
    )
    op.create_table(
        "report_rollups",
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("position", sa.String(128), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("through_day", sa.Date(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name="fk_report_rollups_property_id_properties"
        ),
        sa.PrimaryKeyConstraint("property_id", name="pk_report_rollups"),
    )
    op.create_index(
        "ix_work_orders_property_id_cancelled_at", "work_orders", ["property_id", "cancelled_at"]
    )
    dialect = op.get_bind().dialect.name
    op.create_index(
        "ix_work_orders_repair_place",
        "work_orders",
        [sa.text("property_id"), sa.text("category"), *_place(dialect), sa.text("created_at")],
        postgresql_where=sa.text("kind = 'repair'"),
        sqlite_where=sa.text("kind = 'repair'"),
    )

    op.create_index(
        "ix_work_orders_open_assignee",
        "work_orders",
        ["property_id", "assignee_id"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_work_orders_open_assignee", table_name="work_orders")
    op.drop_index("ix_work_orders_repair_place", table_name="work_orders")
    op.drop_index("ix_work_orders_property_id_cancelled_at", table_name="work_orders")
    op.drop_table("report_rollups")
    op.drop_index("ix_report_times_property_id_dim_grain_day", table_name="report_times")
    op.drop_table("report_times")
    op.drop_index("ix_report_days_property_id_dim_day", table_name="report_days")
    op.drop_table("report_days")
