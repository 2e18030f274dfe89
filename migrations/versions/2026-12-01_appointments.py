"""Visit appointments: the proposals on a work order; on the order, its current one as a card and
the accepted visit window its deadlines count on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workorders.db import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("proposed_by_type", sa.String(length=16), nullable=False),
        sa.Column("proposed_by_id", sa.String(length=64), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("preferred_start", UTCDateTime(), nullable=True),
        sa.Column("preferred_end", UTCDateTime(), nullable=True),
        sa.Column("answered_by_type", sa.String(length=16), nullable=True),
        sa.Column("answered_by_id", sa.String(length=64), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("deadline_shift", JSON, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_appointments_property_id_properties")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_appointments_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(
        op.f("ix_appointments_work_order_id_created_at_id"),
        "appointments",
        ["work_order_id", "created_at", "id"],
        unique=False,
    )
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("appointment", JSON, nullable=True))
        batch.add_column(sa.Column("visit_start", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("visit_end", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("visit_end")
        batch.drop_column("visit_start")
        batch.drop_column("appointment")
    op.drop_index(op.f("ix_appointments_work_order_id_created_at_id"), table_name="appointments")
    op.drop_table("appointments")
