"""Visit appointments without a database: the step table and its guard, windows, and how an accepted
visit moves the deadlines and their warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workorders.domain import sla
from workorders.domain.actors import Principal, Role
from workorders.domain.appointments import (
    MAX_LENGTH,
    STEPS,
    VISIT_STATUSES,
    AppointmentStatus,
    NotPermitted,
    Step,
    Window,
    WrongState,
    allowed_steps,
    decide,
    window_problems,
)
from workorders.domain.lifecycle import OrderFacts, Status
from workorders.domain.owner_view import OWNER_FIELDS
from workorders.domain.sla import Deadline, SlaState
from workorders.domain.taxonomy import Department, Queue

NOW = datetime(2026, 11, 30, 1, tzinfo=UTC)  # a Monday morning in Shanghai
OWNER = Principal(Role.OWNER, "default", "own_1")
NEIGHBOUR = Principal(Role.OWNER, "default", "own_2")
ENGINEER = Principal(Role.STAFF, "default", "stf_e", Department.ENGINEERING)
ENGINEER2 = Principal(Role.STAFF, "default", "stf_e2", Department.ENGINEERING)
ENG_SUPERVISOR = Principal(Role.SUPERVISOR, "default", "stf_es", Department.ENGINEERING)
CS = Principal(Role.STAFF, "default", "stf_cs", Department.CUSTOMER_SERVICE)
MANAGER = Principal(Role.MANAGER, "default")
THURSDAY = Window(NOW + timedelta(days=3, hours=1), NOW + timedelta(days=3, hours=3))


def order(status: Status = Status.ASSIGNED) -> OrderFacts:
    return OrderFacts(status=status, queue=Queue.ENGINEERING, owner_id="own_1", assignee_id="stf_e")


def test_every_step_is_an_event_type_the_owner_view_declares() -> None:
    for rule in STEPS:
        assert rule.step.event_type in OWNER_FIELDS
        assert OWNER_FIELDS[rule.step.event_type] is not None


@pytest.mark.parametrize("who", [ENGINEER, ENG_SUPERVISOR])
def test_the_assignee_and_the_supervisor_propose(who: Principal) -> None:
    rule = decide(Step.PROPOSE, who, order(), current=None, pending=False, window=THURSDAY, now=NOW)
    assert rule.target is AppointmentStatus.PROPOSED


@pytest.mark.parametrize("who", [OWNER, ENGINEER2, CS, MANAGER])
def test_others_may_not_propose_and_are_told_who_can(who: Principal) -> None:
    with pytest.raises(NotPermitted) as refused:
        decide(Step.PROPOSE, who, order(), current=None, pending=False, window=THURSDAY, now=NOW)
    assert "assigned staff member" in str(refused.value.detail)


def test_one_pending_proposal_at_a_time() -> None:
    with pytest.raises(WrongState, match="withdraw it first"):
        decide(Step.PROPOSE, ENGINEER, order(), current=None, pending=True, now=NOW)


@pytest.mark.parametrize(
    "status", [Status.TRIAGE, Status.QUEUED, Status.RESOLVED, Status.CLOSED, Status.CANCELLED]
)
def test_no_visit_for_an_order_nobody_works_on(status: Status) -> None:
    assert status not in VISIT_STATUSES
    with pytest.raises(WrongState):
        decide(Step.PROPOSE, ENGINEER, order(status), current=None, pending=False, now=NOW)
    # 409 before 403: the owner learns the order's state, not that they lack a right.
    with pytest.raises(WrongState):
        decide(
            Step.ACCEPT, OWNER, order(status), current=AppointmentStatus.PROPOSED, pending=True,
            window=THURSDAY, now=NOW,
        )  # fmt: skip


@pytest.mark.parametrize("step", [Step.ACCEPT, Step.DECLINE])
def test_the_owner_or_customer_service_answer(step: Step) -> None:
    for who in (OWNER, CS):
        decide(step, who, order(), current=AppointmentStatus.PROPOSED, pending=True,
               window=THURSDAY, now=NOW)  # fmt: skip
    for who in (NEIGHBOUR, ENGINEER, ENG_SUPERVISOR, MANAGER):
        with pytest.raises(NotPermitted, match="the owner"):
            decide(step, who, order(), current=AppointmentStatus.PROPOSED, pending=True,
                   window=THURSDAY, now=NOW)  # fmt: skip


def test_an_answered_proposal_takes_no_second_answer() -> None:
    for current in (AppointmentStatus.ACCEPTED, AppointmentStatus.DECLINED,
                    AppointmentStatus.WITHDRAWN, AppointmentStatus.SUPERSEDED):  # fmt: skip
        with pytest.raises(WrongState):
            decide(Step.ACCEPT, OWNER, order(), current=current, pending=False,
                   window=THURSDAY, now=NOW)  # fmt: skip


def test_a_window_that_has_begun_cannot_be_accepted() -> None:
    begun = Window(NOW - timedelta(minutes=5), NOW + timedelta(hours=1))
    with pytest.raises(WrongState, match="another time"):
        decide(Step.ACCEPT, OWNER, order(), current=AppointmentStatus.PROPOSED, pending=True,
               window=begun, now=NOW)  # fmt: skip


def test_staff_withdraw_a_proposed_or_accepted_visit() -> None:
    for current in (AppointmentStatus.PROPOSED, AppointmentStatus.ACCEPTED):
        decide(Step.WITHDRAW, ENGINEER, order(), current=current, pending=False,
               window=THURSDAY, now=NOW)  # fmt: skip
        with pytest.raises(NotPermitted):
            decide(Step.WITHDRAW, OWNER, order(), current=current, pending=False,
                   window=THURSDAY, now=NOW)  # fmt: skip
    with pytest.raises(WrongState):
        decide(Step.WITHDRAW, ENGINEER, order(), current=AppointmentStatus.DECLINED,
               pending=False, window=THURSDAY, now=NOW)  # fmt: skip


def test_allowed_steps_draw_each_side_its_buttons() -> None:
    proposed = AppointmentStatus.PROPOSED
    facts = order()
    assert allowed_steps(OWNER, facts, current=proposed, pending=True, window=THURSDAY,
                         now=NOW) == [Step.ACCEPT, Step.DECLINE]  # fmt: skip
    assert allowed_steps(ENGINEER, facts, current=proposed, pending=True, window=THURSDAY,
                         now=NOW) == [Step.WITHDRAW]  # fmt: skip
    assert allowed_steps(NEIGHBOUR, facts, current=proposed, pending=True, window=THURSDAY,
                         now=NOW) == []  # fmt: skip
    assert allowed_steps(OWNER, order(Status.RESOLVED), current=proposed, pending=True,
                         window=THURSDAY, now=NOW) == []  # fmt: skip


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (NOW - timedelta(hours=1), NOW + timedelta(hours=1), "start"),
        (NOW, NOW + timedelta(hours=1), "start"),
        (NOW + timedelta(days=61), NOW + timedelta(days=61, hours=1), "start"),
        (NOW + timedelta(hours=2), NOW + timedelta(hours=1), "end"),
        (NOW + timedelta(hours=1), NOW + timedelta(hours=1) + MAX_LENGTH + timedelta(1), "end"),
    ],
)
def test_windows_must_be_ahead_ordered_and_short(
    start: datetime, end: datetime, field: str
) -> None:
    assert [f for f, _ in window_problems(Window(start, end), NOW)] == [field]


def test_a_sensible_window_has_no_problem() -> None:
    assert window_problems(THURSDAY, NOW) == []
    assert (
        window_problems(
            Window(NOW + timedelta(hours=1), NOW + timedelta(hours=1) + MAX_LENGTH), NOW
        )
        == []
    )


# --- deadlines ---------------------------------------------------------------------------------------


def dues(respond: datetime | None, start: datetime | None, resolve: datetime | None) -> dict:
    return {Deadline.RESPOND: respond, Deadline.START: start, Deadline.RESOLVE: resolve}


def test_an_accepted_visit_on_thursday_moves_the_start_deadline_to_the_windows_end() -> None:
    # Filed Monday, normal priority without a calendar: respond in 2 h, start in 24 h, resolve in 3 d.
    due = dues(NOW + timedelta(hours=2), NOW + timedelta(hours=24), NOW + timedelta(days=3))
    met = dues(NOW + timedelta(minutes=30), None, None)  # claimed: responded
    moved = sla.with_visit(due, met, THURSDAY.end, None)
    assert moved[Deadline.RESPOND] == due[Deadline.RESPOND]  # met: left alone
    assert moved[Deadline.START] == THURSDAY.end
    # The resolve deadline keeps the two days the policy allows after the start.
    shift = THURSDAY.end - due[Deadline.START]
    assert moved[Deadline.RESOLVE] == due[Deadline.RESOLVE] + shift
    assert moved[Deadline.RESOLVE] - moved[Deadline.START] == timedelta(days=2)


def test_a_visit_inside_the_deadlines_moves_nothing() -> None:
    soon = Window(NOW + timedelta(hours=3), NOW + timedelta(hours=5))
    due = dues(NOW + timedelta(hours=2), NOW + timedelta(hours=24), NOW + timedelta(days=3))
    assert sla.with_visit(due, dues(NOW, None, None), soon.end, None) == due


def test_an_unmet_respond_clock_waits_for_the_visit_too() -> None:
    due = dues(NOW + timedelta(hours=2), NOW + timedelta(hours=24), NOW + timedelta(days=3))
    moved = sla.with_visit(due, dues(None, None, None), THURSDAY.end, None)
    assert moved[Deadline.RESPOND] == THURSDAY.end


def test_a_started_order_only_needs_its_resolve_deadline_after_the_visit() -> None:
    # In progress, parts on order: the second visit is after the resolve deadline.
    due = dues(NOW - timedelta(hours=5), NOW - timedelta(hours=1), NOW + timedelta(days=1))
    met = dues(NOW - timedelta(hours=6), NOW - timedelta(hours=2), None)
    moved = sla.with_visit(due, met, THURSDAY.end, None)
    assert moved[Deadline.START] == due[Deadline.START]
    assert moved[Deadline.RESOLVE] == THURSDAY.end


def test_the_warning_of_a_clock_the_visit_set_comes_within_the_window() -> None:
    due = dues(NOW + timedelta(hours=2), NOW + timedelta(hours=24), NOW + timedelta(days=3))
    moved = sla.with_visit(due, dues(NOW, None, None), THURSDAY.end, None)
    state = SlaState(
        created_at=NOW,
        due=moved,
        met=dues(NOW, None, None),
        visit=(THURSDAY.start, THURSDAY.end),
    )
    warn = state.warning_at(Deadline.START)
    assert warn is not None and THURSDAY.start < warn < THURSDAY.end
    # Nothing fires on Tuesday, and the breach waits for the window to close.
    tuesday = NOW + timedelta(days=1, hours=2)
    assert (Deadline.START, sla.Firing.BREACH) not in sla.due_firings(state, tuesday, set())
    assert (Deadline.START, sla.Firing.WARNING) not in sla.due_firings(state, tuesday, set())
    after = THURSDAY.end + timedelta(minutes=1)
    assert (Deadline.START, sla.Firing.BREACH) in sla.due_firings(state, after, set())
