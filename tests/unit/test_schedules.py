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
