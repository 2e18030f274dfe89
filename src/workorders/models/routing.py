"""Routing rules per property, the rule set's revision, and each queue's dispatch setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, JSONType, UTCDateTime, utcnow
from workorders.models.core import Timestamps


class RoutingRuleSet(Base):
    """One row per property whose rules exist: the marker that its defaults were seeded, and the
    revision every change replaces, so that a replica can tell whether the rules it holds are current
    with a single primary-key read."""

    __tablename__ = "routing_rule_sets"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    revision: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RoutingRule(Timestamps, Base):
    """A rule as data: first enabled match by `position` wins. `when`/`then` hold the API's shapes."""

    __tablename__ = "routing_rules"
    __table_args__ = (Index(None, "property_id", "position"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    position: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(100))
    when: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    then: Mapped[dict[str, Any]] = mapped_column(JSONType)


class QueueDispatch(Base):
    """A queue's dispatch strategy and round-robin turn. The row is also what concurrent dispatchers
    of one queue lock, so that two new orders never both go to the same "next" person."""

    __tablename__ = "queue_dispatch"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    queue: Mapped[str] = mapped_column(String(32), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16))
    last_assignee_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
