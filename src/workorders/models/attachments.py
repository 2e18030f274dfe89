"""Photos attached to work orders: one row per file, the bytes themselves in `workorders.storage`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, UTCDateTime, utcnow


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (Index(None, "work_order_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    # What was stored: the re-encoded image (metadata stripped), not the bytes that were sent.
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # Keys in the storage; the thumbnail is always JPEG.
    storage_key: Mapped[str] = mapped_column(String(128))
    thumbnail_key: Mapped[str] = mapped_column(String(128))
    thumbnail_size: Mapped[int] = mapped_column(Integer)
    uploaded_by_type: Mapped[str] = mapped_column(String(16))
    uploaded_by_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
