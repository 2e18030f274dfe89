"""Deadlines without a database: policies, the working calendar, warnings, breaches, pauses, escalation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workorders.domain import calendar as calendars
from workorders.domain import sla
from workorders.domain.calendar import WorkingCalendar
from workorders.domain.sla import Audience, Deadline, Firing, SlaState
from workorders.domain.taxonomy import Priority

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
# 2026-11-30 is a Monday.
CALENDAR = WorkingCalendar(
    timezone=SHANGHAI,
    hours=dict.fromkeys(range(5), OFFICE),
    holidays=frozenset({date(2026, 12, 2)}),
    workdays=frozenset({date(2026, 12, 5)}),
)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_default_urgent_order_must_be_answered_within_15_minutes() -> None:
    created = datetime(2026, 11, 28, 3, tzinfo=UTC)
    due = sla.deadlines(sla.DEFAULT_TARGETS[Priority.URGENT], created, CALENDAR)
    assert due.respond_by - created == timedelta(minutes=15)
    assert due.resolve_by - created == timedelta(hours=4)  # urgent work ignores the calendar


def test_calendar_skips_lunch_nights_weekends_and_holidays() -> None:
    # 11:30 Monday + 1 h: half an hour before lunch, half an hour after it.
    assert CALENDAR.add(local(30, 11, 30), timedelta(hours=1)) == local(30, 14, 0)
    # Friday 17:00 + 1 h: Monday 09:00.
    assert CALENDAR.add(local(27, 17), timedelta(hours=1)) == local(30, 9)
    # Tuesday 17:00 + 1 h: Wednesday is a holiday, so Thursday 09:00.
    assert CALENDAR.add(local(1, 17, month=12), timedelta(hours=1)) == local(3, 9, month=12)
    # Friday 17:00 + 1 h when Saturday is a make-up workday (调休): Saturday 09:00.
    assert CALENDAR.add(local(4, 17, month=12), timedelta(hours=1)) == local(5, 9, month=12)
    # Sunday night + 30 min: Monday 09:00.
    assert CALENDAR.add(local(29, 23), timedelta(minutes=30)) == local(30, 9)


def test_working_time_counts_only_working_hours() -> None:
    assert CALENDAR.working_time(local(30, 8), local(30, 20)) == timedelta(hours=7, minutes=30)
    assert CALENDAR.working_time(local(28, 0), local(29, 23)) == timedelta(0)  # a weekend


def test_calendar_from_its_stored_form() -> None:
    stored = {
        "timezone": "Asia/Shanghai",
        "hours": {"mon": [["09:00", "18:00"]]},
        "holidays": ["2026-12-07"],
        "workdays": ["2026-12-05"],
    }
    loaded = calendars.from_data(stored)
    assert loaded.periods(date(2026, 11, 30)) == ((time(9), time(18)),)
    assert loaded.periods(date(2026, 12, 1)) == ()
    assert loaded.periods(date(2026, 12, 7)) == ()
    assert loaded.periods(date(2026, 12, 5)) == ((time(9), time(18)),)
    with pytest.raises(ValueError, match="working hours"):
        calendars.from_data({"hours": {}})


def _state(paused: timedelta = timedelta(0), responded: bool = False) -> SlaState:
    created = datetime(2026, 11, 28, 0, tzinfo=UTC)
    return SlaState(
        created_at=created,
        due={
            Deadline.RESPOND: created + timedelta(minutes=100),
            Deadline.START: created + timedelta(hours=10),
            Deadline.RESOLVE: created + timedelta(hours=20) + paused,
        },
        met={
            Deadline.RESPOND: created + timedelta(minutes=5) if responded else None,
            Deadline.START: None,
            Deadline.RESOLVE: None,
        },
        paused=paused,
    )


def test_warning_at_80_percent_then_breach_each_once() -> None:
    state = _state()
    start = state.created_at
    assert sla.due_firings(state, start + timedelta(minutes=79), set()) == []
    assert sla.next_check(state, set()) == start + timedelta(minutes=80)
    warned = sla.due_firings(state, start + timedelta(minutes=80), set())
    assert warned == [(Deadline.RESPOND, Firing.WARNING)]
    fired = set(warned)
    assert sla.due_firings(state, start + timedelta(minutes=99), fired) == []
    assert sla.next_check(state, fired) == start + timedelta(minutes=100)
    breached = sla.due_firings(state, start + timedelta(minutes=100), fired)
    assert breached == [(Deadline.RESPOND, Firing.BREACH)]
    fired |= set(breached)
    assert sla.next_check(state, fired) == start + timedelta(hours=8)  # the start warning


def test_a_late_look_fires_the_breach_without_a_stale_warning() -> None:
    state = _state()
    late = state.created_at + timedelta(hours=2)
    assert sla.due_firings(state, late, set()) == [(Deadline.RESPOND, Firing.BREACH)]


def test_met_deadlines_are_not_watched() -> None:
    state = _state(responded=True)
    assert Deadline.RESPOND not in state.unmet()
    assert sla.next_check(state, set()) == state.created_at + timedelta(hours=8)


def test_pause_excluded_from_the_warning_window() -> None:
    # 20 h to resolve, 5 h spent on hold: the resolve deadline moved by 5 h, and the warning comes
    # after 16 h of work plus the 5 h pause.
    state = _state(paused=timedelta(hours=5))
    assert state.warning_at(Deadline.RESOLVE) == state.created_at + timedelta(hours=21)


def test_pause_span_counts_working_time_on_a_calendar() -> None:
    assert sla.pause_span(local(30, 17), local(1, 9, month=12), CALENDAR) == timedelta(hours=1)
    assert sla.pause_span(local(30, 17), local(1, 9, month=12), None) == timedelta(hours=16)


def test_escalation_reaches_supervisor_then_manager() -> None:
    assert sla.audience(1, Priority.NORMAL) is Audience.SUPERVISOR
    assert sla.audience(2, Priority.NORMAL) is Audience.MANAGER
    assert sla.audience(1, Priority.URGENT) is Audience.MANAGER
    assert sla.escalates_at_once("complaint", "high")
    assert not sla.escalates_at_once("complaint", "normal")
    assert not sla.escalates_at_once("repair", "urgent")


@pytest.mark.parametrize(
    ("policy", "rating", "reason"),
    [
        ("always", 5, sla.ReturnVisitReason.POLICY),
        ("unrated", None, sla.ReturnVisitReason.POLICY),
        ("unrated", 4, None),
        ("never", None, None),
        ("never", 2, sla.ReturnVisitReason.LOW_RATING),
        ("always", 1, sla.ReturnVisitReason.LOW_RATING),
    ],
)
def test_return_visit_reason(policy: str, rating: int | None, reason: object) -> None:
    assert sla.return_visit_reason(policy, rating) == reason


def test_a_new_orders_first_check_is_its_first_warning() -> None:
    """The sweep first looks at a new order when something can fire: its first warning, counted in
    the same working time as its deadlines; the respond clock's when nobody has answered yet, the
    start clock's when the order was assigned as it was filed."""
    created = local(30, 9)  # Monday 09:00
    normal = sla.deadlines(sla.DEFAULT_TARGETS[Priority.NORMAL], created, CALENDAR)
    assert normal.calendar is CALENDAR
    first = sla.first_check(normal, created, None, kind="repair", priority="normal")
    assert first == local(30, 10, 36)  # 80% of 2 working hours
    assigned = sla.first_check(normal, created, created, kind="repair", priority="normal")
    # The respond clock is met: the start clock's warning, at 80% of 24 working hours.
    assert assigned == CALENDAR.add(created, timedelta(hours=24) * 0.8)


def _fresh(deadlines: sla.Deadlines, created: datetime, responded: datetime | None) -> SlaState:
    """A new order's clock as the sweep reads it."""
    return SlaState(
        created_at=created,
        due={
            Deadline.RESPOND: deadlines.respond_by,
            Deadline.START: deadlines.start_by,
            Deadline.RESOLVE: deadlines.resolve_by,
        },
        met={Deadline.RESPOND: responded, Deadline.START: None, Deadline.RESOLVE: None},
        calendar=deadlines.calendar,
    )


@settings(max_examples=300, deadline=None)
@given(
    created=st.datetimes(
        min_value=datetime(2026, 11, 20), max_value=datetime(2026, 12, 10), timezones=st.just(UTC)
    ),
    minutes=st.lists(st.integers(0, 60 * 24 * 10), min_size=3, max_size=3).map(sorted),
    use_calendar=st.booleans(),
    calendar=st.sampled_from([CALENDAR, None]),
    responded=st.booleans(),
)
def test_first_check_is_what_the_sweeps_own_first_look_would_set(
    created: datetime,
    minutes: list[int],
    use_calendar: bool,
    calendar: WorkingCalendar | None,
    responded: bool,
) -> None:
    """Filing sets the moment the sweep would have set on looking at the new order at once (its
    `next_check`), by a shorter road: any targets, any moment (nights, weekends, the holiday),
    with or without the calendar."""
    respond, start, resolve = (timedelta(minutes=m) for m in minutes)
    targets = sla.Targets(respond, start, resolve, use_calendar=use_calendar)
    deadlines = sla.deadlines(targets, created, calendar)
    met = created if responded else None
    expected = sla.next_check(_fresh(deadlines, created, met), ())
    assert sla.first_check(deadlines, created, met, kind="repair", priority="normal") == expected


def test_a_complaint_for_the_manager_is_checked_at_once() -> None:
    created = datetime(2026, 11, 30, 1, tzinfo=UTC)
    high = sla.deadlines(sla.DEFAULT_TARGETS[Priority.HIGH], created)
    assert high.calendar is None  # high priority counts around the clock
    assert sla.first_check(high, created, None, kind="complaint", priority="high") == created
    later = sla.first_check(high, created, None, kind="complaint", priority="normal")
    assert later == created + timedelta(minutes=24)
