"""ORM tables, one module per area. Every schema change comes with a migration under
`migrations/versions/`; importing this package registers every table on `Base.metadata`."""

from workorders.models.core import (
    AuditEntry,
    Comment,
    Event,
    IdempotencyKey,
    NumberCounter,
    Owner,
    Property,
    Staff,
    WorkOrder,
)

__all__ = [
    "AuditEntry",
    "Comment",
    "Event",
    "IdempotencyKey",
    "NumberCounter",
    "Owner",
    "Property",
    "Staff",
    "WorkOrder",
]
