"""Deadlines and scheduled work: SLA policies, per-property service settings, the clock's bookkeeping,
return visits, and recurring schedules with the occurrences they produced."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, JSONType, UTCDateTime, partial_index, utcnow
from workorders.models.core import BigIntPK, Timestamps, WorkOrder


class SlaSettings(Base):
    """One row per property whose deadline defaults were seeded: its return-visit policy and working
    calendar (null: deadlines run around the clock)."""

    __tablename__ = "sla_settings"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    return_visit_policy: Mapped[str] = mapped_column(String(16), default="unrated")
    calendar: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaPolicy(Timestamps, Base):
    """Targets for orders of a priority, or of a priority and category (which wins)."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        Index(None, "property_id", "priority", "category", unique=True),
        # NULLs are distinct in a unique index: one category-less policy per priority needs its own.
        Index(
            "uq_sla_policies_property_id_priority_default",
            "property_id",
            "priority",
            unique=True,
            sqlite_where=text("category IS NULL"),
            postgresql_where=text("category IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    priority: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(40))
    respond_within_s: Mapped[int] = mapped_column(Integer)
    start_within_s: Mapped[int] = mapped_column(Integer)
    resolve_within_s: Mapped[int] = mapped_column(Integer)
    use_calendar: Mapped[bool] = mapped_column(Boolean, default=False)


class SlaFiring(Base):
    """A warning, breach or escalation the clock fired for an order: the unique key is what keeps
    several workers from firing the same one twice."""

    __tablename__ = "sla_firings"
    __table_args__ = (UniqueConstraint("work_order_id", "deadline", "kind"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    deadline: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReturnVisit(Base):
    """Customer service's call-back after an order closed (回访), or the follow-up a poor rating opens.
    One decision per closing (`closed_at`): `skipped` records that the policy asked for none."""

    __tablename__ = "return_visits"
    __table_args__ = (
        UniqueConstraint("work_order_id", "closed_at"),
        Index(None, "property_id", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    visited_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Schedule(Timestamps, Base):
    """Recurring work nobody reports: maintenance, inspections, patrols, cleaning rounds."""

    __tablename__ = "schedules"
    __table_args__ = (
        Index(None, "active", "next_run_at"),
        Index(None, "property_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    title: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(16))
    location: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    checklist: Mapped[list[str]] = mapped_column(JSONType, default=list)
    rrule: Mapped[str] = mapped_column(Text)
    dtstart: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    dispatch: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ScheduleRun(Base):
    """An occurrence a schedule produced; its key makes each occurrence an order once."""

    __tablename__ = "schedule_runs"

    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"), primary_key=True)
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    work_order_id: Mapped[str | None] = mapped_column(ForeignKey("work_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The clock worker's scans: open orders due a look, resolved orders due to close.
Index("ix_work_orders_sla_check_at", WorkOrder.sla_check_at)
partial_index(
    "ix_work_orders_status_resolved_at",
    WorkOrder.status,
    WorkOrder.resolved_at,
    where="resolved_at IS NOT NULL",
)
