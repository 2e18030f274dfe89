"""A property's routing configuration: its own rules, its edits of the package's default rules, the
examples customer service taught it, its trained models, and each queue's dispatch setting.

The default rules themselves are not stored: they are an asset of the package, so that an upgrade of
the defaults reaches every property that has not edited them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, JSONType, UTCDateTime, utcnow
from workorders.models.core import Timestamps


class RoutingRule(Timestamps, Base):
    """A property's own rule. `when`/`then` hold the API's shapes.

    Its place among the defaults is `anchor`, the id of the default rule it comes right after (None:
    before every default); `position` orders the property's own rules among themselves.
    """

    __tablename__ = "routing_rules"
    __table_args__ = (Index(None, "property_id", "position"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    position: Mapped[int] = mapped_column(Integer)
    anchor: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(100))
    when: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    then: Mapped[dict[str, Any]] = mapped_column(JSONType)


class RoutingRuleOverride(Timestamps, Base):
    """A property's edit of one default rule: only the parts it changed (None: as the package says).

    A row with only `enabled = false` is a default the property disabled.
    """

    __tablename__ = "routing_rule_overrides"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    default_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=2)
    enabled: Mapped[bool | None] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))
    when: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    then: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class RoutingExample(Base):
    """A labelled request: where customer service put an order the router could not place, or moved."""

    __tablename__ = "routing_examples"
    __table_args__ = (Index(None, "property_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    work_order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id"))
    description: Mapped[str] = mapped_column(Text)
    queue: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RoutingModel(Base):
    """One trained version of a property's model, with the figures it was judged by.

    At most one row of a property is active; none active means the package's default model.
    `examples_seen` is how many of the property's examples existed when it was trained, so that the
    worker knows how many are new since the last training.
    """

    __tablename__ = "routing_models"
    __table_args__ = (Index(None, "property_id", "version", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    version: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType)
    trained_on: Mapped[dict[str, Any]] = mapped_column(JSONType)
    examples_seen: Mapped[int] = mapped_column(Integer)
    blob: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QueueDispatch(Base):
    """A queue's dispatch strategy and round-robin turn. The row is also what concurrent dispatchers
    of one queue lock, so that two new orders never both go to the same "next" person."""

    __tablename__ = "queue_dispatch"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    queue: Mapped[str] = mapped_column(String(32), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16))
    last_assignee_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
