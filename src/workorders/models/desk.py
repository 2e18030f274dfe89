"""The tables and indexes behind the desk: single-use stream tickets, and the indexes the reports read.

Kept apart from `models/core.py` so the reports' indexes live beside the reason they exist; the indexes
are attached to the core tables and created by `migrations/versions/2026-12-01_reports.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, UTCDateTime, partial_index, utcnow
from workorders.models.core import Event, WorkOrder


class StreamTicket(Base):
    """A one-time pass to open the live stream from a page (`EventSource` cannot send headers).

    Only a hash of the ticket is stored: a leaked database row cannot be replayed. Consuming it is one
    `DELETE … RETURNING`, so across replicas exactly one request gets to use it.
    """

    __tablename__ = "stream_tickets"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    role: Mapped[str] = mapped_column(String(16))
    sub: Mapped[str | None] = mapped_column(String(64))
    dept: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


_orders = WorkOrder.__table__
# Deadline compliance reads the orders whose deadline fell in the period, one range per clock; the
# backlog reads the orders not resolved by the end of the period.
REPORT_INDEXES = (
    Index("ix_work_orders_property_id_respond_by", _orders.c.property_id, _orders.c.respond_by),
    Index("ix_work_orders_property_id_start_by", _orders.c.property_id, _orders.c.start_by),
    Index("ix_work_orders_property_id_resolve_by", _orders.c.property_id, _orders.c.resolve_by),
    # Only the orders that have ended: a new order writes no entry (migration 0018).
    partial_index(
        "ix_work_orders_property_id_resolved_at",
        _orders.c.property_id,
        _orders.c.resolved_at,
        where="resolved_at IS NOT NULL",
    ),
    # The reopen rate looks up the orders that ever had a `work_order.reopened` event.
    Index(
        "ix_events_property_id_type_work_order_id",
        Event.__table__.c.property_id,
        Event.__table__.c.type,
        Event.__table__.c.work_order_id,
    ),
)
