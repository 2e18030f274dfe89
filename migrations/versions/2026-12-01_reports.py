"""Stream tickets for pages, and the indexes the reports read.

`stream_tickets` holds hashed single-use passes to the live stream (API.md "Live updates inside apps and
pages"). The indexes serve `GET /v1/reports/summary`: one range per deadline clock for compliance, the
resolution time for the backlog, and the event type for the reopen rate.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workorders.db import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORDER_INDEXES = ("respond_by", "start_by", "resolve_by", "resolved_at")


def upgrade() -> None:
    op.create_table(
        "stream_tickets",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("sub", sa.String(64), nullable=True),
        sa.Column("dept", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name="fk_stream_tickets_property_id_properties",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stream_tickets"),
    )
    op.create_index("ix_stream_tickets_expires_at", "stream_tickets", ["expires_at"])
    for column in _ORDER_INDEXES:
        op.create_index(
            f"ix_work_orders_property_id_{column}", "work_orders", ["property_id", column]
        )
    op.create_index(
        "ix_events_property_id_type_work_order_id",
        "events",
        ["property_id", "type", "work_order_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_events_property_id_type_work_order_id", table_name="events")
    for column in reversed(_ORDER_INDEXES):
        op.drop_index(f"ix_work_orders_property_id_{column}", table_name="work_orders")
    op.drop_index("ix_stream_tickets_expires_at", table_name="stream_tickets")
    op.drop_table("stream_tickets")
