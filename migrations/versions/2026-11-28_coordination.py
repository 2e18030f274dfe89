"""Coordination: webhook endpoints, deliveries and attempts, notifications, feed consumers; the
writing transaction's id on each event and a NOTIFY when events commit (PostgreSQL).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:45:00.000000
"""

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workorders.db import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed here rather than imported from the service, so that this revision means the same thing forever.
EVENTS_CHANNEL = "workorders_events"
# The feed's followers (workers/deliveries.py) and the position format of services/feed.py,
# `base64url("<txid>.<seq>")`: txid 0 is below every backfilled event's.
FOLLOWERS = ("webhooks", "notifications")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
        batch.create_index(
            op.f("ix_events_property_id_txid_seq"), ["property_id", "txid", "seq"], unique=False
        )
    if _postgresql():
        # Events written before this revision all committed long ago: they come first in the feed.
        op.execute("UPDATE events SET txid = 0 WHERE txid IS NULL")
        # NOTIFY is transactional: listeners hear it when the events' transaction commits, once per
        # transaction (identical notifications within one transaction are folded).
        op.execute(
            f"""
            CREATE FUNCTION workorders_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{EVENTS_CHANNEL}', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER events_notify AFTER INSERT ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION workorders_notify_events()"
        )

    op.create_table(
        "feed_consumers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.String(length=128), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feed_consumers")),
    )
    # The background followers of the feed start after the events already there: a database that
    # had history before this revision neither floods inboxes with it nor sends it as webhooks.
    last = op.get_bind().execute(sa.text("SELECT coalesce(max(seq), -1) FROM events")).scalar()
    position = base64.urlsafe_b64encode(f"0.{last}".encode()).decode().rstrip("=")
    consumers = sa.table(
        "feed_consumers",
        sa.column("name", sa.String()),
        sa.column("position", sa.String()),
        sa.column("updated_at", UTCDateTime()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        consumers,
        [{"name": name, "position": position, "updated_at": now} for name in FOLLOWERS],
    )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("event_types", JSON, nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_webhook_endpoints_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_property_id_created_at_id"),
        "webhook_endpoints",
        ["property_id", "created_at", "id"],
        unique=False,
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("endpoint_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_token", sa.String(length=64), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_webhook_deliveries_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("id", name=op.f("uq_webhook_deliveries_id")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_status_next_attempt_at"),
        "webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_endpoint_id_work_order_id_seq"),
        "webhook_deliveries",
        ["endpoint_id", "work_order_id", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_endpoint_id_seq"),
        "webhook_deliveries",
        ["endpoint_id", "seq"],
        unique=False,
    )

    op.create_table(
        "webhook_attempts",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("delivery_seq", BIGINT_PK, nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_seq"],
            ["webhook_deliveries.seq"],
            name=op.f("fk_webhook_attempts_delivery_seq_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_seq_id"),
        "webhook_attempts",
        ["delivery_seq", "id"],
        unique=False,
    )

    op.create_table(
        "notifications",
        sa.Column("seq", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("recipient_type", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_notifications_property_id_properties")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notifications")),
        sa.UniqueConstraint("id", name=op.f("uq_notifications_id")),
    )
    op.create_index(
        op.f("ix_notifications_recipient_type_recipient_id_seq"),
        "notifications",
        ["recipient_type", "recipient_id", "seq"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notifications_recipient_type_recipient_id_read_at"),
        "notifications",
        ["recipient_type", "recipient_id", "read_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    op.drop_table("feed_consumers")
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS workorders_notify_events()")
    with op.batch_alter_table("events") as batch:
        batch.drop_index(op.f("ix_events_property_id_txid_seq"))
        batch.drop_column("txid")
