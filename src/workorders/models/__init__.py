"""ORM tables, one module per area. Every schema change comes with a migration under
`migrations/versions/`; importing this package registers every table on `Base.metadata`."""

from workorders.models.appointments import Appointment as Appointment
from workorders.models.attachments import Attachment as Attachment
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
from workorders.models.devices import Device as Device
from workorders.models.feed import FeedConsumer
from workorders.models.routing import (
    QueueDispatch,
    RoutingExample,
    RoutingModel,
    RoutingRule,
    RoutingRuleOverride,
)
from workorders.models.sla import (
    ReturnVisit,
    Schedule,
    ScheduleRun,
    SlaFiring,
    SlaPolicy,
    SlaSettings,
)
from workorders.models.webhooks import (
    Notification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "AuditEntry",
    "Comment",
    "Event",
    "FeedConsumer",
    "IdempotencyKey",
    "Notification",
    "NumberCounter",
    "Owner",
    "Property",
    "QueueDispatch",
    "ReturnVisit",
    "RoutingExample",
    "RoutingModel",
    "RoutingRule",
    "RoutingRuleOverride",
    "Schedule",
    "ScheduleRun",
    "SlaFiring",
    "SlaPolicy",
    "SlaSettings",
    "Staff",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkOrder",
]
