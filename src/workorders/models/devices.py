"""Push-notification devices of owners and staff: a push gateway reads them with the
`notification.created` events it receives by webhook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, UTCDateTime, utcnow


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (
        # A push token names one app install; whoever registered it last holds it.
        UniqueConstraint("platform", "token"),
        Index(None, "property_id", "holder_type", "holder_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    platform: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(512))
    holder_type: Mapped[str] = mapped_column(String(16))
    holder_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
