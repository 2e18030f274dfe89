"""What an owner sees of their order's events, comments and notifications: a whitelist, in one place.

Every event type the service writes declares the fields of its `data` an owner may read; a type not
shown to owners at all declares None. Anything not declared is staff-only: decline, hold, cancel and
escalation reasons, routing notes and decisions, dispatch details, deadlines, return visits, checklist
results, follow-ups. A type missing from `OWNER_FIELDS` is hidden from owners (and a test fails until
it is declared), so a new event type can never leak by default. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The thin facts of the order every event carries (services/events.py), all of which the owner's own
# view of the order shows anyway.
ORDER_FIELDS = frozenset(
    {
        "number",
        "status",
        "previous_status",
        "queue",
        "priority",
        "category",
        "kind",
        "assignee_id",
        "escalation_level",
        "version",
    }
)

# `message` is what one side wrote for the other (unlike a `note`, which is staff-only everywhere).
APPOINTMENT_FIELDS = frozenset({"appointment_id", "start", "end", "message"})

OWNER_FIELDS: Mapping[str, frozenset[str] | None] = {
    "work_order.created": ORDER_FIELDS | {"channel"},
    "work_order.routed": ORDER_FIELDS,  # not the routing note
    "work_order.assigned": ORDER_FIELDS,  # not how dispatch chose
    "work_order.claimed": ORDER_FIELDS,
    "work_order.declined": ORDER_FIELDS,  # not why the engineer declined
    "work_order.started": ORDER_FIELDS,
    "work_order.held": ORDER_FIELDS,  # not the hold reason
    "work_order.resumed": ORDER_FIELDS,
    "work_order.resolved": ORDER_FIELDS,
    "work_order.confirmed": ORDER_FIELDS | {"rating"},
    "work_order.reopened": ORDER_FIELDS,
    "work_order.cancelled": ORDER_FIELDS,
    "work_order.closed": ORDER_FIELDS,
    "work_order.commented": ORDER_FIELDS | {"comment_id", "visibility"},
    # Photos are the order's: whoever sees the order sees them (API.md "Photos").
    "work_order.attachment_added": ORDER_FIELDS | {"attachment_id", "purpose", "content_type"},
    # Visits: the window, and the words each side wrote for the other (API.md "who is coming").
    "work_order.appointment_proposed": ORDER_FIELDS | APPOINTMENT_FIELDS,
    "work_order.appointment_accepted": ORDER_FIELDS | APPOINTMENT_FIELDS,
    "work_order.appointment_declined": ORDER_FIELDS | APPOINTMENT_FIELDS | {"preferred_time"},
    "work_order.appointment_withdrawn": ORDER_FIELDS | APPOINTMENT_FIELDS,
    # Internal steps: escalations, deadlines, dispatch, inspections, return visits, follow-ups.
    "work_order.escalated": None,
    "work_order.sla_warning": None,
    "work_order.sla_breached": None,
    "work_order.needs_assignment": None,
    "work_order.checked": None,
    "work_order.follow_up_created": None,
    "work_order.follow_up_opened": None,
    "work_order.return_visited": None,
    # Property events (no order): never an owner's.
    "routing_rule.created": None,
    "routing_rule.updated": None,
    "routing_rule.deleted": None,
    "routing_rule.disabled": None,
    "routing_rule.restored": None,
    "routing_rules.seeded": None,
    "routing_model.trained": None,
    "routing_model.activated": None,
    "queue.dispatch_changed": None,
    "webhook_endpoint.disabled": None,
    # A line of someone's inbox, for the push gateway (services/notifications.py): read by the admin's
    # integrations only, in no person's feed. Owners read their own lines at /v1/notifications and
    # hear them as pushes; another person's line (a supervisor told of an escalation) is none of theirs.
    "notification.created": None,
}


# Fields of the order itself that are staff-only words (the owner sees that it is on hold, not why).
ORDER_STAFF_ONLY = frozenset({"hold_reason"})


def event_data(event_type: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The part of an event's `data` an owner may read, or None when the event is not for owners."""
    fields = OWNER_FIELDS.get(event_type)
    if fields is None:
        return None
    if event_type == "work_order.commented" and data.get("visibility") != "public":
        return None
    return {key: value for key, value in data.items() if key in fields}


def shows_event(event_type: str, data: Mapping[str, Any]) -> bool:
    return event_data(event_type, data) is not None


def shows_comment(visibility: str) -> bool:
    return visibility == "public"
