"""Deadlines: how long an order of a given priority may wait to be responded to, started and resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workorders.domain.taxonomy import Priority


@dataclass(frozen=True)
class Targets:
    respond_within: timedelta
    start_within: timedelta
    resolve_within: timedelta


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime
    start_by: datetime
    resolve_by: datetime


# The policy a new property starts with (API.md, "Deadlines and scheduled work").
DEFAULT_TARGETS: dict[Priority, Targets] = {
    Priority.URGENT: Targets(timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=4)),
    Priority.HIGH: Targets(timedelta(minutes=30), timedelta(hours=2), timedelta(hours=24)),
    Priority.NORMAL: Targets(timedelta(hours=2), timedelta(hours=24), timedelta(days=3)),
    Priority.LOW: Targets(timedelta(hours=24), timedelta(days=3), timedelta(days=7)),
}


def deadlines(priority: Priority, created_at: datetime) -> Deadlines:
    targets = DEFAULT_TARGETS[priority]
    return Deadlines(
        respond_by=created_at + targets.respond_within,
        start_by=created_at + targets.start_within,
        resolve_by=created_at + targets.resolve_within,
    )
