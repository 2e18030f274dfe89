"""The work-order lifecycle: one transition table and one guard.

A row of `TRANSITIONS` says: from these statuses, this action leads to that status, and these relations
to the order may take it. Who a caller is to an order (its owner, its assignee, a member of the queue's
department…) is computed once by `relations`; everything else is a lookup. Pure: no I/O, time passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import Department, Priority, Queue


class Status(StrEnum):
    TRIAGE = "triage"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ROUTE = "route"
    ASSIGN = "assign"
    CLAIM = "claim"
    DECLINE = "decline"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    CANCEL = "cancel"
    ESCALATE = "escalate"

    @property
    def event_type(self) -> str:
        return f"work_order.{_PAST_TENSE[self]}"


_PAST_TENSE = {
    Action.ROUTE: "routed",
    Action.ASSIGN: "assigned",
    Action.CLAIM: "claimed",
    Action.DECLINE: "declined",
    Action.START: "started",
    Action.HOLD: "held",
    Action.RESUME: "resumed",
    Action.RESOLVE: "resolved",
    Action.CONFIRM: "confirmed",
    Action.REOPEN: "reopened",
    Action.CANCEL: "cancelled",
    Action.ESCALATE: "escalated",
}

OPEN_STATUSES = frozenset(
    {Status.TRIAGE, Status.QUEUED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD}
)
BEFORE_WORK = frozenset({Status.TRIAGE, Status.QUEUED, Status.ASSIGNED})

# What the owner sees, in Chinese (the default) and English.
STATUS_LABELS: Mapping[str, Mapping[Status, str]] = {
    "zh": {
        Status.TRIAGE: "待分派",
        Status.QUEUED: "已受理",
        Status.ASSIGNED: "已派单",
        Status.IN_PROGRESS: "处理中",
        Status.ON_HOLD: "暂停处理",
        Status.RESOLVED: "待确认",
        Status.CLOSED: "已完成",
        Status.CANCELLED: "已取消",
    },
    "en": {
        Status.TRIAGE: "Awaiting routing",
        Status.QUEUED: "Accepted",
        Status.ASSIGNED: "Assigned",
        Status.IN_PROGRESS: "In progress",
        Status.ON_HOLD: "On hold",
        Status.RESOLVED: "Awaiting your confirmation",
        Status.CLOSED: "Completed",
        Status.CANCELLED: "Cancelled",
    },
}


class Relation(StrEnum):
    """What a caller is to one order; the table grants actions to relations, not to roles."""

    OWNER = "owner"  # the owner the order belongs to
    CUSTOMER_SERVICE = "customer_service"  # customer-service staff or supervisor
    CS_SUPERVISOR = "cs_supervisor"
    DEPARTMENT = "department"  # staff or supervisor of the order's queue
    ASSIGNEE = "assignee"
    SUPERVISOR = "supervisor"  # supervisor of the order's queue
    MANAGER = "manager"
    SYSTEM = "system"  # the service itself (automatic dispatch): no principal at all


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change
    who: frozenset[Relation]


def _t(
    action: Action, sources: set[Status], target: Status | None, who: set[Relation]
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(who))


S, R = Status, Relation
WORKERS = {R.ASSIGNEE, R.SUPERVISOR}

TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.ROUTE, {S.TRIAGE, S.QUEUED, S.ASSIGNED}, S.QUEUED,
       {R.CUSTOMER_SERVICE, R.SUPERVISOR, R.MANAGER}),
    _t(Action.ASSIGN, {S.QUEUED, S.ASSIGNED}, S.ASSIGNED, {R.SUPERVISOR, R.MANAGER, R.SYSTEM}),
    _t(Action.CLAIM, {S.QUEUED}, S.ASSIGNED, {R.DEPARTMENT}),
    _t(Action.DECLINE, {S.ASSIGNED}, S.QUEUED, WORKERS),
    _t(Action.START, {S.ASSIGNED}, S.IN_PROGRESS, WORKERS),
    _t(Action.HOLD, {S.IN_PROGRESS}, S.ON_HOLD, WORKERS),
    _t(Action.RESUME, {S.ON_HOLD}, S.IN_PROGRESS, WORKERS),
    _t(Action.RESOLVE, {S.IN_PROGRESS}, S.RESOLVED, WORKERS),
    # The system closes a resolved order the owner leaves unconfirmed (auto-close).
    _t(Action.CONFIRM, {S.RESOLVED}, S.CLOSED, {R.OWNER, R.CUSTOMER_SERVICE, R.MANAGER, R.SYSTEM}),
    _t(Action.REOPEN, {S.RESOLVED, S.CLOSED}, S.QUEUED, {R.OWNER, R.CUSTOMER_SERVICE, R.MANAGER}),
    _t(Action.CANCEL, set(BEFORE_WORK), S.CANCELLED, {R.OWNER, R.CUSTOMER_SERVICE}),
    _t(Action.CANCEL, set(OPEN_STATUSES), S.CANCELLED, {R.CS_SUPERVISOR, R.SUPERVISOR, R.MANAGER}),
    _t(Action.ESCALATE, set(OPEN_STATUSES), None,
       {R.CUSTOMER_SERVICE, R.DEPARTMENT, R.ASSIGNEE, R.SUPERVISOR, R.MANAGER}),
)  # fmt: skip


@dataclass(frozen=True)
class OrderFacts:
    """What the lifecycle needs to know of an order."""

    status: Status
    queue: Queue
    owner_id: str | None
    assignee_id: str | None
    closed_at: datetime | None = None


class TransitionRefused(Exception):
    def __init__(self, action: Action, detail: str) -> None:
        super().__init__(detail)
        self.action = action
        self.detail = detail


class WrongStatus(TransitionRefused):
    """The action is not possible from the order's current status."""


class NotPermitted(TransitionRefused):
    """The action is possible now, but not for this caller."""


def relations(principal: Principal | None, order: OrderFacts) -> frozenset[Relation]:
    """`principal` None is the service acting on its own; no token can be None."""
    if principal is None:
        return frozenset({R.SYSTEM})
    found: set[Relation] = set()
    if principal.role is Role.OWNER:
        if principal.sub is not None and principal.sub == order.owner_id:
            found.add(R.OWNER)
        return frozenset(found)
    if principal.role is Role.MANAGER:
        found.add(R.MANAGER)
    if principal.is_customer_service:
        found.add(R.CUSTOMER_SERVICE)
        if principal.role is Role.SUPERVISOR:
            found.add(R.CS_SUPERVISOR)
    if principal.is_department_staff and principal.dept == Department(order.queue):
        found.add(R.DEPARTMENT)
        if principal.role is Role.SUPERVISOR:
            found.add(R.SUPERVISOR)
    if principal.sub is not None and principal.sub == order.assignee_id:
        found.add(R.ASSIGNEE)
    return frozenset(found)


def reopenable(status: str, closed_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """Whether an order of `status`, closed at `closed_at`, is still within its reopen window (one
    that is not closed always is)."""
    return status != Status.CLOSED or (closed_at is not None and now - closed_at <= window)


def decide(
    action: Action,
    principal: Principal | None,
    order: OrderFacts,
    *,
    now: datetime,
    reopen_window: timedelta,
) -> Transition:
    """The transition `action` takes for this caller, or why it may not.

    Raises `WrongStatus` before `NotPermitted`: the API answers 409 before 403.
    """
    within = reopenable(order.status, order.closed_at, now, reopen_window)
    return _transition(action, order.status, within, relations(principal, order))


def _transition(
    action: Action, status: Status, reopenable: bool, mine: frozenset[Relation]
) -> Transition:
    """`decide` on what it depends on: the order's status, whether its reopen window is open, and
    how the caller stands to it."""
    rows = [t for t in TRANSITIONS if t.action is action and status in t.sources]
    if not rows:
        raise WrongStatus(action, f"cannot {action} a work order that is {status}")
    if action is Action.REOPEN and not reopenable:
        raise WrongStatus(action, "the reopen window of this closed work order has passed")
    for row in rows:
        if mine & row.who:
            return row
    raise NotPermitted(action, f"this caller may not {action} this work order")


def allowed_actions(
    principal: Principal, order: OrderFacts, *, now: datetime, reopen_window: timedelta
) -> list[Action]:
    """The actions this caller may take on this order now, in table order (for drawing buttons)."""
    within = reopenable(order.status, order.closed_at, now, reopen_window)
    return list(allowed(order.status, within, relations(principal, order)))


@cache
def allowed(status: Status, reopenable: bool, mine: frozenset[Relation]) -> tuple[Action, ...]:
    """Every action `_transition` allows: worked out once per combination, as a page of orders asks
    it for each of them (12 actions x 20 orders was a fifth of a list page's CPU)."""
    allowed: list[Action] = []
    for action in Action:
        try:
            _transition(action, status, reopenable, mine)
        except TransitionRefused:
            continue
        allowed.append(action)
    return tuple(allowed)


@dataclass(frozen=True)
class Change:
    """The fields an action sets on an order, besides `status` (from the table) and `version`."""

    fields: Mapping[str, Any]
    # Facts for the event's `data` beyond the order's own fields (reason, note, rating…).
    event_data: Mapping[str, Any]


def effects(
    action: Action,
    principal: Principal | None,
    *,
    now: datetime,
    escalation_level: int,
    responded_at: datetime | None,
    started_at: datetime | None,
    params: Mapping[str, Any],
) -> Change:
    """What taking `action` writes, given its already validated parameters."""
    fields: dict[str, Any] = {}
    data: dict[str, Any] = {}
    match action:
        case Action.ROUTE:
            fields |= {"queue": Queue(params["queue"]), "assignee_id": None}
            if params.get("priority") is not None:
                fields["priority"] = Priority(params["priority"])
            data["note"] = params.get("note")
        case Action.ASSIGN | Action.CLAIM:
            fields["assignee_id"] = (
                principal.sub if action is Action.CLAIM and principal else params["assignee_id"]
            )
            if responded_at is None:
                fields["responded_at"] = now
        case Action.DECLINE:
            fields["assignee_id"] = None
            data["reason"] = params["reason"]
        case Action.START:
            if started_at is None:
                fields["started_at"] = now
        case Action.HOLD | Action.CANCEL | Action.ESCALATE | Action.REOPEN:
            data["reason"] = params["reason"]
            if action is Action.HOLD:
                fields["hold_reason"] = params["reason"]
            elif action is Action.CANCEL:
                fields |= {"cancelled_at": now, "cancel_reason": params["reason"]}
            elif action is Action.ESCALATE:
                fields["escalation_level"] = escalation_level + 1
            else:
                # The earlier attempt's outcome is history (the reopened event keeps it), not
                # the state of an order that is being worked again.
                fields |= {
                    "assignee_id": None,
                    "resolved_at": None,
                    "closed_at": None,
                    "resolution": None,
                    "rating_score": None,
                    "rating_comment": None,
                }
        case Action.RESUME:
            fields["hold_reason"] = None
        case Action.RESOLVE:
            fields |= {"resolved_at": now, "resolution": params["resolution"]}
        case Action.CONFIRM:
            fields["closed_at"] = now
            if params.get("rating") is not None:
                fields |= {
                    "rating_score": params["rating"],
                    "rating_comment": params.get("comment"),
                }
                data["rating"] = params["rating"]
    return Change(fields=fields, event_data=data)
