"""Deadlines: how long an order may wait to be responded to, started and resolved; when the clock warns,
when a deadline is breached, how pauses move it, and whom an escalation reaches. Pure: time passed in."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from workorders.domain.taxonomy import Kind, Priority

if TYPE_CHECKING:
    from workorders.domain.calendar import WorkingCalendar

WARNING_AT = 0.8  # of a deadline's window


class Deadline(StrEnum):
    RESPOND = "respond"
    START = "start"
    RESOLVE = "resolve"


class Firing(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    # A high-priority complaint goes to the manager as soon as the clock sees it.
    COMPLAINT_ESCALATION = "complaint_escalation"


class Audience(StrEnum):
    """Who an escalation reaches."""

    SUPERVISOR = "supervisor"
    MANAGER = "manager"


@dataclass(frozen=True)
class Targets:
    respond_within: timedelta
    start_within: timedelta
    resolve_within: timedelta
    # Count only the property's working hours (when it has a calendar); otherwise around the clock.
    use_calendar: bool = False


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime
    start_by: datetime
    resolve_by: datetime
    # The targets they were set by, and the calendar they count working time in (None: around the
    # clock).
    targets: Targets
    calendar: WorkingCalendar | None = None


# The policy a new property starts with (API.md, "Deadlines and scheduled work").
DEFAULT_TARGETS: dict[Priority, Targets] = {
    Priority.URGENT: Targets(timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=4)),
    Priority.HIGH: Targets(timedelta(minutes=30), timedelta(hours=2), timedelta(hours=24)),
    Priority.NORMAL: Targets(
        timedelta(hours=2), timedelta(hours=24), timedelta(days=3), use_calendar=True
    ),
    Priority.LOW: Targets(
        timedelta(hours=24), timedelta(days=3), timedelta(days=7), use_calendar=True
    ),
}


def add_time(start: datetime, span: timedelta, calendar: WorkingCalendar | None) -> datetime:
    """`span` after `start`: working time on `calendar`, or plain time without one."""
    return calendar.add(start, span) if calendar is not None else start + span


def time_between(start: datetime, end: datetime, calendar: WorkingCalendar | None) -> timedelta:
    return calendar.working_time(start, end) if calendar is not None else end - start


def deadlines(
    targets: Targets, created_at: datetime, calendar: WorkingCalendar | None = None
) -> Deadlines:
    """The deadlines of an order created at `created_at`; `calendar` counts only when the targets
    use it."""
    counted = calendar if targets.use_calendar else None
    return Deadlines(
        respond_by=add_time(created_at, targets.respond_within, counted),
        start_by=add_time(created_at, targets.start_within, counted),
        resolve_by=add_time(created_at, targets.resolve_within, counted),
        targets=targets,
        calendar=counted,
    )


def pause_span(
    paused_at: datetime, resumed_at: datetime, calendar: WorkingCalendar | None
) -> timedelta:
    """How far a pause moves the unmet deadlines: the (working) time the order spent on hold."""
    return time_between(paused_at, resumed_at, calendar)


# The clocks that measure waiting for someone to come: an owner who chose the visit's time is not kept
# waiting by the company before that time.
WAITING = (Deadline.RESPOND, Deadline.START)


def with_visit(
    due: Mapping[Deadline, datetime | None],
    met: Mapping[Deadline, datetime | None],
    visit_end: datetime,
    calendar: WorkingCalendar | None,
) -> dict[Deadline, datetime | None]:
    """The deadlines once the owner accepted a visit ending at `visit_end`.

    Decision: an accepted appointment does not pause the clocks, it moves the waiting ones. The
    respond and start deadlines, when still unmet, become no earlier than the window's end (an owner
    who accepts a visit on Thursday does not make the start clock breach on Tuesday; a technician who
    has not started when the window closes has missed it). The resolve deadline keeps the working
    time the policy allows after the start: it moves by as much as the start deadline moved, and is
    never earlier than the window's end either. Met deadlines stay as they are. (The respond clock is
    usually met already, since only an assigned order gets a proposal; it is moved all the same when
    it is not, e.g. on an order handed back to its queue after the owner accepted.)
    """
    moved: dict[Deadline, datetime | None] = dict(due)
    for deadline in WAITING:
        current = due.get(deadline)
        if current is not None and met.get(deadline) is None:
            moved[deadline] = max(current, visit_end)
    resolve_by = due.get(Deadline.RESOLVE)
    if resolve_by is not None and met.get(Deadline.RESOLVE) is None:
        start_before, start_after = due.get(Deadline.START), moved.get(Deadline.START)
        if start_before is not None and start_after is not None and start_after > start_before:
            resolve_by = add_time(
                resolve_by, time_between(start_before, start_after, calendar), calendar
            )
        moved[Deadline.RESOLVE] = max(resolve_by, visit_end)
    return moved


@dataclass(frozen=True)
class SlaState:
    """An order's clock: its due times, which were met, the time it spent paused, its calendar."""

    created_at: datetime
    due: Mapping[Deadline, datetime | None]
    met: Mapping[Deadline, datetime | None]
    paused: timedelta = timedelta(0)
    calendar: WorkingCalendar | None = None
    # The accepted visit window (start, end), when the order has one.
    visit: tuple[datetime, datetime] | None = None

    def warning_at(self, deadline: Deadline) -> datetime | None:
        """80% of the deadline's window, the window being the time not spent on hold. A waiting
        clock that the accepted visit set (its deadline is the window's end) warns at 80% of the
        visit window instead: before the window nobody is late."""
        due = self.due[deadline]
        if due is None:
            return None
        if self.visit is not None and deadline in WAITING and due == self.visit[1]:
            start, end = self.visit
            return start + (end - start) * WARNING_AT
        window = time_between(self.created_at, due, self.calendar) - self.paused
        if window <= timedelta(0):
            return due
        return add_time(self.created_at, self.paused + window * WARNING_AT, self.calendar)

    def unmet(self) -> list[Deadline]:
        return [d for d in Deadline if self.due[d] is not None and self.met[d] is None]


# (deadline, firing) pairs as the clock stores them: plain strings compare equal to these StrEnums.
Fired = Collection[tuple[str, str]]


def due_firings(state: SlaState, now: datetime, fired: Fired) -> list[tuple[Deadline, Firing]]:
    """What the clock must fire now. A warning whose breach is also due is dropped: after an outage
    the breach says it all."""
    due: list[tuple[Deadline, Firing]] = []
    for deadline in state.unmet():
        due_at = state.due[deadline]
        assert due_at is not None
        if (deadline, Firing.BREACH) in fired:
            continue
        if now >= due_at:
            due.append((deadline, Firing.BREACH))
            continue
        warn_at = state.warning_at(deadline)
        if warn_at is not None and now >= warn_at and (deadline, Firing.WARNING) not in fired:
            due.append((deadline, Firing.WARNING))
    return due


def next_check(state: SlaState, fired: Fired) -> datetime | None:
    """The next moment anything can fire for this order (None: nothing left to watch)."""
    moments = []
    for deadline in state.unmet():
        if (deadline, Firing.BREACH) in fired:
            continue
        due_at = state.due[deadline]
        assert due_at is not None
        warn_at = state.warning_at(deadline)
        if (deadline, Firing.WARNING) not in fired and warn_at is not None:
            moments.append(warn_at)
        moments.append(due_at)
    return min(moments, default=None)


def first_check(
    deadlines: Deadlines,
    created_at: datetime,
    responded_at: datetime | None,
    *,
    kind: str,
    priority: str,
) -> datetime:
    """When the deadline sweep first has anything to do for a new order (`responded_at`: assigned
    as it was filed): at once for a complaint that goes to the manager at once, else at its first
    warning. Looking at every new order at once, only to learn this, cost the sweep ~2 ms of CPU
    an order (bench/RESULTS.md, round 17)."""
    if escalates_at_once(kind, priority):
        return created_at
    targets = deadlines.targets
    unmet = [targets.start_within, targets.resolve_within]
    if responded_at is None:
        unmet.append(targets.respond_within)
    # `SlaState.warning_at` of a new order: nothing paused yet, its window is the target itself;
    # and a later moment is never reached by a shorter span, so the first warning is the shortest
    # unmet target's. One step through the calendar, not two per deadline.
    return add_time(created_at, min(unmet) * WARNING_AT, deadlines.calendar)


def escalates_at_once(kind: str, priority: str) -> bool:
    """A complaint of high priority goes to the manager at once (the manager handles major
    complaints)."""
    return kind == Kind.COMPLAINT and priority in (Priority.URGENT, Priority.HIGH)


def audience(escalation_level: int, priority: str) -> Audience:
    """Level 1 reaches the department's supervisor, level 2 and beyond the manager; emergencies
    (urgent orders) reach the manager from the first escalation."""
    if escalation_level >= 2 or priority == Priority.URGENT:
        return Audience.MANAGER
    return Audience.SUPERVISOR


MANAGER_LEVEL = 2


class ReturnVisitReason(StrEnum):
    POLICY = "policy"
    LOW_RATING = "low_rating"


LOW_RATING = 2  # a rating at or below this opens a follow-up


def return_visit_reason(policy: str, rating: int | None) -> ReturnVisitReason | None:
    """Why customer service calls the owner back after an order closed, if at all: a poor rating
    always; otherwise as the property's policy says (`always`, `unrated`: when the owner gave no
    rating, `never`)."""
    if rating is not None and rating <= LOW_RATING:
        return ReturnVisitReason.LOW_RATING
    if policy == "always" or (policy == "unrated" and rating is None):
        return ReturnVisitReason.POLICY
    return None
