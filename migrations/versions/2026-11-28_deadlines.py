"""Deadlines and scheduled work: SLA policies (seeded for the `default` property), service settings,
the clock's firings, return visits, schedules and their runs; pause accounting, the clock's next look
and a checklist on work orders.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:40:00.000000
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workorders.db import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed here rather than imported, so that this revision means the same thing forever:
# priority -> (respond, start, resolve) in seconds, and whether the working calendar counts.
DEFAULT_POLICIES = {
    "urgent": (15 * 60, 30 * 60, 4 * 3600, False),
    "high": (30 * 60, 2 * 3600, 24 * 3600, False),
    "normal": (2 * 3600, 24 * 3600, 3 * 86400, True),
    "low": (24 * 3600, 3 * 86400, 7 * 86400, True),
}
OPEN_STATUSES = ("triage", "queued", "assigned", "in_progress")


def _created_updated() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("paused_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("paused_seconds", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("sla_check_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("checklist", JSON, nullable=True))
        batch.create_index(op.f("ix_work_orders_sla_check_at"), ["sla_check_at"], unique=False)
        batch.create_index(
            op.f("ix_work_orders_status_resolved_at"), ["status", "resolved_at"], unique=False
        )
    work_orders = sa.table(
        "work_orders",
        sa.column("status", sa.String()),
        sa.column("created_at", UTCDateTime()),
        sa.column("sla_check_at", UTCDateTime()),
    )
    # Orders already open get their first look from the clock at once.
    op.execute(
        work_orders.update()
        .where(work_orders.c.status.in_(OPEN_STATUSES))
        .values(sla_check_at=work_orders.c.created_at)
    )

    op.create_table(
        "sla_settings",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("return_visit_policy", sa.String(length=16), nullable=False),
        sa.Column("calendar", JSON, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_sla_settings_property_id_properties")
        ),
        sa.PrimaryKeyConstraint("property_id", name=op.f("pk_sla_settings")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("respond_within_s", sa.Integer(), nullable=False),
        sa.Column("start_within_s", sa.Integer(), nullable=False),
        sa.Column("resolve_within_s", sa.Integer(), nullable=False),
        sa.Column("use_calendar", sa.Boolean(), nullable=False),
        *_created_updated(),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_sla_policies_property_id_properties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(
        op.f("ix_sla_policies_property_id_priority_category"),
        "sla_policies",
        ["property_id", "priority", "category"],
        unique=True,
    )
    op.create_index(
        "uq_sla_policies_property_id_priority_default",
        "sla_policies",
        ["property_id", "priority"],
        unique=True,
        sqlite_where=sa.text("category IS NULL"),
        postgresql_where=sa.text("category IS NULL"),
    )

    op.create_table(
        "sla_firings",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=False),
        sa.Column("deadline", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("fired_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_sla_firings_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_firings")),
        sa.UniqueConstraint(
            "work_order_id",
            "deadline",
            "kind",
            name=op.f("uq_sla_firings_work_order_id_deadline_kind"),
        ),
    )

    op.create_table(
        "return_visits",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("visited_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_return_visits_property_id_properties"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_return_visits_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_visits")),
        sa.UniqueConstraint(
            "work_order_id", "closed_at", name=op.f("uq_return_visits_work_order_id_closed_at")
        ),
    )
    op.create_index(
        op.f("ix_return_visits_property_id_status_created_at_id"),
        "return_visits",
        ["property_id", "status", "created_at", "id"],
        unique=False,
    )

    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("location", JSON, nullable=False),
        sa.Column("checklist", JSON, nullable=False),
        sa.Column("rrule", sa.Text(), nullable=False),
        sa.Column("dtstart", UTCDateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("dispatch", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        *_created_updated(),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_schedules_property_id_properties")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["staff.id"], name=op.f("fk_schedules_assignee_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index(
        op.f("ix_schedules_active_next_run_at"),
        "schedules",
        ["active", "next_run_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_schedules_property_id_created_at_id"),
        "schedules",
        ["property_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "schedule_runs",
        sa.Column("schedule_id", sa.String(length=64), nullable=False),
        sa.Column("occurrence_at", UTCDateTime(), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], name=op.f("fk_schedule_runs_schedule_id_schedules")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_schedule_runs_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("schedule_id", "occurrence_at", name=op.f("pk_schedule_runs")),
    )

    _seed_default_property()


def _seed_default_property() -> None:
    """The `default` property starts with the default policies, like any new property."""
    now = datetime.now(UTC)
    settings = sa.table(
        "sla_settings",
        sa.column("property_id", sa.String()),
        sa.column("return_visit_policy", sa.String()),
        sa.column("updated_at", UTCDateTime()),
    )
    policies = sa.table(
        "sla_policies",
        sa.column("id", sa.String()),
        sa.column("property_id", sa.String()),
        sa.column("priority", sa.String()),
        sa.column("respond_within_s", sa.Integer()),
        sa.column("start_within_s", sa.Integer()),
        sa.column("resolve_within_s", sa.Integer()),
        sa.column("use_calendar", sa.Boolean()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    exists = op.get_bind().execute(sa.text("SELECT 1 FROM properties WHERE id = 'default'"))
    if exists.first() is None:
        return
    op.bulk_insert(
        settings,
        [{"property_id": "default", "return_visit_policy": "unrated", "updated_at": now}],
    )
    op.bulk_insert(
        policies,
        [
            {
                "id": f"sla_{secrets.token_bytes(15).hex()}",
                "property_id": "default",
                "priority": priority,
                "respond_within_s": respond,
                "start_within_s": start,
                "resolve_within_s": resolve,
                "use_calendar": calendar,
                "created_at": now,
                "updated_at": now,
            }
            for priority, (respond, start, resolve, calendar) in DEFAULT_POLICIES.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("schedules")
    op.drop_table("return_visits")
    op.drop_table("sla_firings")
    op.drop_table("sla_policies")
    op.drop_table("sla_settings")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_index(op.f("ix_work_orders_status_resolved_at"))
        batch.drop_index(op.f("ix_work_orders_sla_check_at"))
        batch.drop_column("checklist")
        batch.drop_column("sla_check_at")
        batch.drop_column("paused_seconds")
        batch.drop_column("paused_at")
