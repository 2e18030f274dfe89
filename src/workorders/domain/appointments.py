"""Visit appointments: the assigned staff member proposes a window, the owner accepts it or asks for
another time, staff may withdraw. Rules as data, like the lifecycle: a row of `STEPS` says from which
appointment statuses a step leads where, and which relations to the order (lifecycle.Relation) may
take it. Pure: no I/O, time passed in.

- At most one proposal is pending per order: a new one waits until the pending one is answered or
  withdrawn (409), so the owner never has two windows to choose between.
- Proposing another window while one is accepted is a reschedule: the accepted one stands until the
  owner accepts the new one (it is then superseded) or staff withdraw it.
- Visits belong to orders that someone is working on (assigned, in progress, on hold); an order that
  went back to its queue, was resolved or cancelled takes no answers to an old proposal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from workorders.domain.actors import Principal
from workorders.domain.lifecycle import OrderFacts, Relation, Status, relations
from workorders.errors import Label, Text, _


class AppointmentStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for the owner's answer
    ACCEPTED = "accepted"
    DECLINED = "declined"  # the owner asked for another time
    WITHDRAWN = "withdrawn"  # staff took it back
    SUPERSEDED = "superseded"  # an accepted window replaced by a newer accepted one


class Step(StrEnum):
    PROPOSE = "propose"
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"

    @property
    def event_type(self) -> str:
        return f"work_order.appointment_{_PAST_TENSE[self]}"


_PAST_TENSE = {
    Step.PROPOSE: "proposed",
    Step.ACCEPT: "accepted",
    Step.DECLINE: "declined",
    Step.WITHDRAW: "withdrawn",
}
EVENT_TYPES = frozenset(step.event_type for step in Step)

# Orders someone is working on: the only ones a visit can be arranged for.
VISIT_STATUSES = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD})
# Statuses in which an appointment still stands (its window is on the order's card as current).
STANDING = frozenset({AppointmentStatus.PROPOSED, AppointmentStatus.ACCEPTED})

# A window is a promise to be at someone's door: longer than a working day it tells the owner
# nothing, and further ahead than two months nobody can plan it.
MAX_LENGTH = timedelta(hours=8)
MAX_AHEAD = timedelta(days=60)


@dataclass(frozen=True)
class StepRule:
    step: Step
    sources: frozenset[AppointmentStatus | None]  # None: no appointment yet (a new proposal)
    target: AppointmentStatus
    who: frozenset[Relation]
    # Who may take the step, in the words of a refusal ("who can act when the caller cannot").
    who_words: Text


R, A = Relation, AppointmentStatus
STEPS: tuple[StepRule, ...] = (
    StepRule(Step.PROPOSE, frozenset({None}), A.PROPOSED, frozenset({R.ASSIGNEE, R.SUPERVISOR}),
             _("the assigned staff member or the department's supervisor")),
    StepRule(Step.ACCEPT, frozenset({A.PROPOSED}), A.ACCEPTED,
             frozenset({R.OWNER, R.CUSTOMER_SERVICE}),
             _("the owner (or customer service on the owner's behalf)")),
    StepRule(Step.DECLINE, frozenset({A.PROPOSED}), A.DECLINED,
             frozenset({R.OWNER, R.CUSTOMER_SERVICE}),
             _("the owner (or customer service on the owner's behalf)")),
    StepRule(Step.WITHDRAW, frozenset({A.PROPOSED, A.ACCEPTED}), A.WITHDRAWN,
             frozenset({R.ASSIGNEE, R.SUPERVISOR}),
             _("the assigned staff member or the department's supervisor")),
)  # fmt: skip
RULES: Mapping[Step, StepRule] = {rule.step: rule for rule in STEPS}


class StepRefused(Exception):
    def __init__(self, step: Step, detail: Text) -> None:
        super().__init__(str(detail))
        self.step = step
        self.detail = detail


class WrongState(StepRefused):
    """Not possible now (the order's or the appointment's status): 409."""


class NotPermitted(StepRefused):
    """Possible now, but not for this caller: 403, saying who can."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window_problems(window: Window, now: datetime) -> list[tuple[str, Text]]:
    """What is wrong with a proposed window, as (field, message) pairs; empty when it is fine."""
    found: list[tuple[str, Text]] = []
    if window.start <= now:
        found.append(("start", _("must lie in the future")))
    elif window.start - now > MAX_AHEAD:
        found.append(("start", _("must lie within {days} days", days=MAX_AHEAD.days)))
    if window.end <= window.start:
        found.append(("end", _("must be after start")))
    elif window.end - window.start > MAX_LENGTH:
        hours = int(MAX_LENGTH.total_seconds() // 3600)
        found.append(("end", _("a visit window may last at most {hours} hours", hours=hours)))
    return found


def decide(
    step: Step,
    principal: Principal,
    order: OrderFacts,
    *,
    current: AppointmentStatus | None,
    pending: bool,
    window: Window | None = None,
    now: datetime,
) -> StepRule:
    """The rule `step` follows for this caller, or why it may not be taken.

    `current` is the status of the appointment the step acts on (None for a new proposal), `pending`
    whether the order has a proposal waiting for an answer, `window` the appointment's window.
    Raises `WrongState` before `NotPermitted`: the API answers 409 before 403.
    """
    rule = RULES[step]
    if order.status not in VISIT_STATUSES:
        raise WrongState(
            step,
            _(
                "no visit can be arranged for a work order that is {status}",
                status=Label("status", order.status),
            ),
        )
    if current not in rule.sources:
        raise WrongState(
            step, _("cannot {step} an appointment that is {current}", step=step, current=current)
        )
    if step is Step.PROPOSE and pending:
        raise WrongState(
            step, _("a proposed visit is waiting for the owner's answer: withdraw it first")
        )
    if step is Step.ACCEPT and window is not None and window.start <= now:
        raise WrongState(step, _("this window has begun or passed: ask for another time"))
    if not relations(principal, order) & rule.who:
        raise NotPermitted(
            step, _("only {who} may {step} a visit appointment", who=rule.who_words, step=step)
        )
    return rule


def allowed_steps(
    principal: Principal,
    order: OrderFacts,
    *,
    current: AppointmentStatus,
    pending: bool,
    window: Window,
    now: datetime,
) -> list[Step]:
    """The steps this caller may take on an existing appointment now (for drawing buttons)."""
    allowed = []
    for step in (Step.ACCEPT, Step.DECLINE, Step.WITHDRAW):
        try:
            decide(step, principal, order, current=current, pending=pending, window=window, now=now)
        except StepRefused:
            continue
        allowed.append(step)
    return allowed
