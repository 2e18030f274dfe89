"""Routing rules as data, the rule set's revision, queue dispatch settings; the dispatch strategy and
required skills of each work order.

The default rules are not seeded here: they are written for a property the first time its rules are
needed (services/routing_rules.py), so that every property, present or future, starts the same way.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workorders.db import UTCDateTime

# Fixed here rather than imported, so that this revision means the same thing forever.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_rule_sets",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_routing_rule_sets_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("property_id", name=op.f("pk_routing_rule_sets")),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("when", JSON, nullable=False),
        sa.Column("then", JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_routing_rules_property_id_properties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index(
        op.f("ix_routing_rules_property_id_position"),
        "routing_rules",
        ["property_id", "position"],
        unique=False,
    )
    op.create_table(
        "queue_dispatch",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("last_assignee_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_queue_dispatch_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("property_id", "queue", name=op.f("pk_queue_dispatch")),
    )
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("dispatch", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("required_skills", JSON, nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_column("required_skills")
        batch.drop_column("dispatch")
    op.drop_table("queue_dispatch")
    op.drop_index(op.f("ix_routing_rules_property_id_position"), table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_table("routing_rule_sets")
