"""Webhook endpoints, the deliveries of events to them, and every attempt at sending one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, JSONType, UTCDateTime, utcnow
from workorders.models.core import BigIntPK, Timestamps


class WebhookEndpoint(Timestamps, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "property_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(Text)
    # None: every event type; otherwise exact types or `prefix.*` wildcards.
    event_types: Mapped[list[str] | None] = mapped_column(JSONType)
    # Kept whole: the service signs with it. The previous one keeps signing for a grace period after a
    # rotation, so receivers can switch over without dropping a delivery.
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Set by the first failure after a success; an endpoint failing long enough is disabled.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """One event on its way to one endpoint. `seq` orders an order's deliveries to an endpoint."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "endpoint_id", "work_order_id", "seq"),
        Index(None, "endpoint_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    work_order_id: Mapped[str | None] = mapped_column(String(64))
    # pending (to send, or being sent under a lease), succeeded, failed (gave up; `recover` re-queues)
    status: Mapped[str] = mapped_column(String(16))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker sending this delivery holds it until `locked_until`; the token proves it still does.
    lease_token: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index(None, "delivery_seq", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    delivery_seq: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.seq", ondelete="CASCADE")
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    # The start of the receiver's answer, capped (settings.webhook_response_body_limit).
    response_body: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """One line of a person's inbox in the mobile app: an event, in words for that person."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(None, "recipient_type", "recipient_id", "seq"),
        Index(None, "recipient_type", "recipient_id", "read_at"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    # `owner` or `staff`, and the directory id.
    recipient_type: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    work_order_id: Mapped[str | None] = mapped_column(String(64))
    # Why this person hears of it: customer_service, owner, assignee, supervisor, manager.
    reason: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
