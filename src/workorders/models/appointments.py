"""Visit appointments of work orders: every proposal is a row, answered or withdrawn in place. The
order itself carries the current one as its `appointment` card (models/core.py), so that reading and
listing orders cost no extra query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, JSONType, UTCDateTime, utcnow


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index(None, "work_order_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    status: Mapped[str] = mapped_column(String(16))  # domain/appointments.AppointmentStatus
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Words for the other side (never staff-only): the proposer's message to the owner, and the
    # owner's reply when asking for another time.
    message: Mapped[str | None] = mapped_column(Text)
    proposed_by_type: Mapped[str] = mapped_column(String(16))
    proposed_by_id: Mapped[str | None] = mapped_column(String(64))
    reply: Mapped[str | None] = mapped_column(Text)
    # The window the owner would rather have, when they asked for another time.
    preferred_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preferred_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_type: Mapped[str | None] = mapped_column(String(16))
    answered_by_id: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How far accepting it moved each deadline, in seconds ({"start": 86400, …}), so that withdrawing
    # it (or accepting another) moves them back.
    deadline_shift: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
