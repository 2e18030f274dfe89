"""The reports' daily rollups: sums per day that can be added up, kept by the clock worker
(services/report_rollups.py), and the indexes the rest of the report reads from the orders live.

Created by `migrations/versions/2026-12-01_report_rollups.py`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workorders.db import Base, UTCDateTime, partial_index
from workorders.domain.figures import SUM_FIELDS
from workorders.models.core import BigIntPK, WorkOrder


class ReportDay(Base):
    """One local day's sums for one queue and one group of a dimension (domain/figures.py `Sums`).

    Rows are rewritten a whole day at a time, under the property's rollup lock, so no unique key is
    needed; a NULL group (no assignee, no building) is a group of its own.
    """

    __tablename__ = "report_days"
    __table_args__ = (Index(None, "property_id", "dim", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    day: Mapped[date] = mapped_column(Date)
    queue: Mapped[str] = mapped_column(String(32))
    dim: Mapped[str] = mapped_column(String(16))
    grp: Mapped[str | None] = mapped_column(String(64))
    filed: Mapped[int] = mapped_column(Integer)
    rated: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)
    low_rated: Mapped[int] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    first_fix: Mapped[int] = mapped_column(Integer)
    repairs: Mapped[int] = mapped_column(Integer)
    repeats: Mapped[int] = mapped_column(Integer)
    open: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)
    due_respond: Mapped[int] = mapped_column(Integer)
    met_respond: Mapped[int] = mapped_column(Integer)
    due_start: Mapped[int] = mapped_column(Integer)
    met_start: Mapped[int] = mapped_column(Integer)
    due_resolve: Mapped[int] = mapped_column(Integer)
    met_resolve: Mapped[int] = mapped_column(Integer)


assert all(name in ReportDay.__table__.c for name in SUM_FIELDS)


class ReportTimes(Base):
    """How many orders filed in a period took a bucket's minutes to be answered or resolved.

    `grain` is `day` (rewritten with the day's sums) or `month` (the sum of the month's day rows,
    rewritten with them): a year of a busy group is a dozen months of a few hundred buckets instead of
    hundreds of days of them.
    """

    __tablename__ = "report_times"
    __table_args__ = (Index(None, "property_id", "dim", "grain", "day"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    grain: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    queue: Mapped[str] = mapped_column(String(32))
    dim: Mapped[str] = mapped_column(String(16))
    grp: Mapped[str | None] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(8))
    minutes: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)


class ReportRollup(Base):
    """How far a property's rollups go: every local day before `through_day` is rolled up, and every
    change to an order up to `position` in the event feed is in them. `basis` names the working-time
    rules the durations were measured under; when the deadline policies change it, the rollups are
    rebuilt. The row is also the lock: a worker holds it `FOR UPDATE SKIP LOCKED` while it rolls up."""

    __tablename__ = "report_rollups"

    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"), primary_key=True)
    position: Mapped[str] = mapped_column(String(128))
    basis: Mapped[str] = mapped_column(String(64))
    first_day: Mapped[date | None] = mapped_column(Date)
    through_day: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


_orders = WorkOrder.__table__
OPEN = "status IN ('triage', 'queued', 'assigned', 'in_progress', 'on_hold')"
ROLLUP_INDEXES = (
    # An order's end (resolved or cancelled) anchors the backlog's sums; the resolved side has its
    # index (models/desk.py).
    partial_index(
        "ix_work_orders_property_id_cancelled_at",
        _orders.c.property_id,
        _orders.c.cancelled_at,
        where="cancelled_at IS NOT NULL",
    ),
    # "Was there a repair in this room for this category within 30 days?", asked per order filed.
    partial_index(
        "ix_work_orders_repair_place",
        _orders.c.property_id,
        _orders.c.category,
        WorkOrder.location["building"].as_string(),
        WorkOrder.location["unit"].as_string(),
        WorkOrder.location["room"].as_string(),
        _orders.c.created_at,
        where="kind = 'repair'",
    ),
    # Each member's load: their open orders, a small part of all the orders.
    partial_index(
        "ix_work_orders_open_assignee",
        _orders.c.property_id,
        _orders.c.assignee_id,
        where=OPEN,
    ),
)
