"""The core tables: properties, the directory, work orders, comments, events, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, JSONType, UTCDateTime, utcnow
from workorders.models.feed import current_txid

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Property(Timestamps, Base):
    __tablename__ = "properties"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Raised by every change to the property's configuration (services/configuration.py), so that each
    # process can keep that configuration in memory and know at once when its copy is stale.
    config_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Staff(Timestamps, Base):
    __tablename__ = "staff"
    __table_args__ = (Index(None, "property_id", "department", "role"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    max_open: Mapped[int] = mapped_column(Integer, default=5)
    phone: Mapped[str | None] = mapped_column(String(32))
    # An inactive member keeps their history but no token of theirs is accepted (services/principals.py).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Owner(Timestamps, Base):
    __tablename__ = "owners"
    __table_args__ = (Index(None, "property_id", "phone"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    name: Mapped[str] = mapped_column(String(100))
    # Stored whole; served masked (see services/owners.py).
    phone: Mapped[str] = mapped_column(String(32))
    units: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class WorkOrder(Timestamps, Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        Index(None, "property_id", "created_at", "id"),
        Index(None, "property_id", "priority_rank", "created_at", "id"),
        Index(None, "property_id", "queue", "status"),
        Index(None, "property_id", "owner_id", "created_at", "id"),
        Index(None, "assignee_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    preferred_time: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The order's latest visit appointment as its card shows it ({"id", "status", "start", "end", …};
    # services/appointments.py), kept with the order so that reads and lists need no join.
    appointment: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    contact_phone: Mapped[str | None] = mapped_column(String(32))

    status: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    # 0 = urgent … 3 = low, kept beside `priority` so that "by priority, then age" is an index scan.
    priority_rank: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("owners.id"))
    reporter_type: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"))
    schedule_id: Mapped[str | None] = mapped_column(String(64))
    routing: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # How the order's queue hands it out (domain/dispatch.Strategy), fixed when it enters the queue,
    # and the skills automatic dispatch requires of its assignee.
    dispatch: Mapped[str | None] = mapped_column(String(16))
    required_skills: Mapped[list[str]] = mapped_column(JSONType, default=list)

    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Deadline clocks stop on hold: `paused_at` is when the current hold began; on resume the unmet
    # deadlines move by the time spent on hold, which adds up in `paused_seconds`.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The visit window the owner accepted (services/appointments.py): the waiting clocks count on it
    # (domain/sla.with_visit), and the deadline sweep warns within it rather than before it.
    visit_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    visit_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the clock worker looks at this order next (None: nothing left to watch). New orders and
    # every action set it to "now"; see workers/clock.py.
    sla_check_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=lambda ctx: ctx.get_current_parameters().get("created_at")
    )
    # Scheduled tasks: [{"item", "result": null|"passed"|"failed", "note", "checked_by", "checked_at",
    # "follow_up_id"}].
    checklist: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)

    hold_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    rating_score: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)

    # The ORM turns every UPDATE into a compare-and-set on this column (`WHERE version = :seen`) and
    # raises StaleDataError when another transaction won: the lifecycle's optimistic lock.
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (Index(None, "work_order_id", "seq"),)

    # Insertion order: comments read in the order they were written, even within one clock tick.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    author_type: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Event(Base):
    """Timeline, feed and outbox in one: written in the same transaction as the change it records."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "work_order_id", "seq"),
        Index(None, "property_id", "seq"),
        Index(None, "property_id", "txid", "seq"),
        # The whole feed in commit order (the delivery worker's followers); SQLite has no txid.
        Index(None, "txid", "seq", sqlite_where=text("txid IS NOT NULL")),
    )

    # Commit order is not `seq` order under concurrency; readers of the feed account for that.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # The writing transaction (PostgreSQL only): see models/feed.py for how the feed uses it.
    txid: Mapped[int | None] = mapped_column(BigInteger, default=current_txid())
    id: Mapped[str] = mapped_column(String(64), unique=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    work_order_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"))
    type: Mapped[str] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NumberCounter(Base):
    """The last order number handed out per property and local day (`WO-20261128-0001`)."""

    __tablename__ = "number_counters"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("principal", "key"),
        Index(None, "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who looked at what they must account for (an owner's full phone number, say), and why."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "property_id", "subject_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
