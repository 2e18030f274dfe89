"""Schedules without a database: rules read in their timezone, once per occurrence, no backlog floods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workorders.domain import schedules

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 1, tzinfo=SHANGHAI)


def _drive(rule_text: str, dtstart: datetime, until: datetime, tick: timedelta) -> list[datetime]:
    """What a worker waking every `tick` creates between `dtstart` and `until`."""
    rule = schedules.parse(rule_text, dtstart, "Asia/Shanghai")
    next_run = schedules.first_run(rule, dtstart)
    created = []
    now = dtstart.astimezone(UTC)
    while now < until:
        plan = schedules.plan(rule, next_run, now)
        if plan.occurrence is not None:
            created.append(plan.occurrence)
        next_run = plan.next_run_at
        now += tick
    return created


def test_daily_rule_reads_hours_in_the_schedules_timezone() -> None:
    rule = schedules.parse("FREQ=DAILY;BYHOUR=8;BYMINUTE=0", START, "Asia/Shanghai")
    first = schedules.first_run(rule, START)
    assert first == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


def test_a_month_produces_exactly_the_rules_occurrences_once_each() -> None:
    end = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    created = _drive("FREQ=DAILY;BYHOUR=7;BYMINUTE=30", START, end, timedelta(minutes=7))
    assert len(created) == 30
    assert len(set(created)) == 30
    assert all(c.astimezone(SHANGHAI).hour == 7 for c in created)


def test_night_patrol_every_two_hours() -> None:
    end = datetime(2026, 11, 8, tzinfo=SHANGHAI)
    rule = "FREQ=DAILY;BYHOUR=20,22,0,2,4;BYMINUTE=0"
    created = _drive(rule, START, end, timedelta(minutes=10))
    assert len(created) == 7 * 5


def test_elevator_maintenance_every_15_days() -> None:
    end = datetime(2027, 1, 1, tzinfo=SHANGHAI)
    created = _drive("FREQ=DAILY;INTERVAL=15;BYHOUR=9", START, end, timedelta(hours=1))
    assert [c.astimezone(SHANGHAI).day for c in created[:3]] == [1, 16, 1]
    assert len(created) == 5  # Nov 1, Nov 16, Dec 1, Dec 16, Dec 31


def test_a_backlog_creates_only_the_latest_missed_occurrence() -> None:
    rule = schedules.parse("FREQ=DAILY;BYHOUR=8;BYMINUTE=0", START, "Asia/Shanghai")
    first = schedules.first_run(rule, START)
    ten_days_later = datetime(2026, 11, 11, 12, tzinfo=SHANGHAI)
    plan = schedules.plan(rule, first, ten_days_later)
    assert plan.occurrence == datetime(2026, 11, 11, 8, tzinfo=SHANGHAI)
    assert plan.next_run_at == datetime(2026, 11, 12, 8, tzinfo=SHANGHAI)
    assert schedules.plan(rule, plan.next_run_at, ten_days_later).occurrence is None


def test_a_finished_rule_stops() -> None:
    rule = schedules.parse("FREQ=DAILY;COUNT=2;BYHOUR=8", START, "Asia/Shanghai")
    end = datetime(2026, 11, 10, tzinfo=SHANGHAI)
    assert len(_drive("FREQ=DAILY;COUNT=2;BYHOUR=8", START, end, timedelta(hours=1))) == 2
    assert schedules.next_after(rule, end) is None


@pytest.mark.parametrize(
    ("rule", "timezone"),
    [
        ("FREQ=FORTNIGHTLY", "Asia/Shanghai"),
        ("DTSTART:20261101T000000\nRRULE:FREQ=DAILY", "Asia/Shanghai"),
        ("FREQ=SECONDLY", "Asia/Shanghai"),
        ("FREQ=DAILY", "Mars/Olympus"),
    ],
)
def test_unusable_rules_are_refused(rule: str, timezone: str) -> None:
    with pytest.raises(schedules.InvalidRule):
        schedules.parse(rule, START, timezone)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=15;BYHOUR=9",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;BYHOUR=7;BYMINUTE=30",
        "FREQ=WEEKLY;INTERVAL=3",
        "FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=10",
        "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=16",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=HOURLY;INTERVAL=5;BYMINUTE=15",
        "FREQ=DAILY;BYHOUR=20,22,0,2,4;BYMINUTE=0;UNTIL=20300101T000000Z",
    ],
)
def test_a_rule_walked_from_one_of_its_occurrences_has_the_same_occurrences(rule: str) -> None:
    start = datetime(2025, 1, 31, 9, 45, tzinfo=SHANGHAI)
    walked = schedules.parse(rule, start, "Asia/Shanghai")
    seventh = list(walked.xafter(start, count=7, inc=True))[-1]
    resumed = schedules.resumed(rule, start, "Asia/Shanghai", seventh.astimezone(UTC))

    assert list(resumed.xafter(seventh, count=60, inc=True)) == list(
        walked.xafter(seventh, count=60, inc=True)
    )


def test_a_counted_rule_is_walked_from_its_start() -> None:
    rule = "FREQ=DAILY;COUNT=3;BYHOUR=8"
    third = datetime(2026, 11, 3, 8, tzinfo=SHANGHAI)
    resumed = schedules.resumed(rule, START, "Asia/Shanghai", third)
    assert schedules.next_after(resumed, third) is None


@pytest.mark.parametrize(
    "rule", ["FREQ=MINUTELY", "FREQ=HOURLY;BYMINUTE=0,30", "FREQ=DAILY;COUNT=10001"]
)
def test_scheduled_work_occurs_at_most_hourly_and_counts_are_bounded(rule: str) -> None:
    with pytest.raises(schedules.InvalidRule) as refused:
        schedules.parse(rule, START, "Asia/Shanghai")
    assert refused.value.field == "rrule"


def test_a_start_lies_within_a_year_before_and_ten_years_after_now() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    schedules.check_start(now - timedelta(days=365), now)
    schedules.check_start(now + timedelta(days=3650), now)
    for start in (now - timedelta(days=400), now + timedelta(days=4000)):
        with pytest.raises(schedules.InvalidRule) as refused:
            schedules.check_start(start, now)
        assert refused.value.field == "dtstart"
    with pytest.raises(schedules.InvalidRule):
        schedules.parse("FREQ=DAILY", datetime(9999, 12, 31, 23, tzinfo=UTC), "Asia/Shanghai")
