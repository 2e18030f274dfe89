"""A property's working calendar: the hours non-urgent deadlines count in.

Working hours per weekday, public holidays that are not worked, and make-up workdays (调休: a Saturday
or Sunday worked in exchange for a longer holiday) that are worked with the hours of a Monday. Pure: the
caller passes every time in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Period = tuple[time, time]

# A calendar with no working hours would never let a deadline fall due; searching stops after this.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: ZoneInfo
    hours: Mapping[int, tuple[Period, ...]]  # weekday (0 = Monday) -> working periods, in order
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not any(self.hours.values()):
            raise ValueError("a working calendar needs working hours on at least one weekday")
        for periods in self.hours.values():
            for start, end in periods:
                if end <= start:
                    raise ValueError(f"working period {start}-{end} ends before it starts")

    def periods(self, day: date) -> tuple[Period, ...]:
        if day in self.workdays:
            return self.hours.get(0) or next(p for p in self.hours.values() if p)
        if day in self.holidays:
            return ()
        return self.hours.get(day.weekday(), ())

    def _spans(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working spans (UTC) from the local day of `start` on, as far as anyone reads."""
        first = start.astimezone(self.timezone).date()
        for offset in range(MAX_DAYS):
            day = first + timedelta(days=offset)
            for begin, end in self.periods(day):
                yield (
                    datetime.combine(day, begin, self.timezone).astimezone(UTC),
                    datetime.combine(day, end, self.timezone).astimezone(UTC),
                )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of working time after `start`."""
        if duration <= timedelta(0):
            return start
        remaining = duration
        for begin, end in self._spans(start):
            if end <= start:
                continue
            begin = max(begin, start)
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise ValueError("the working calendar has no room for this duration")

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """How much working time lies between `start` and `end`."""
        total = timedelta(0)
        if end <= start:
            return total
        for begin, finish in self._spans(start):
            if begin >= end:
                break
            overlap = min(finish, end) - max(begin, start)
            if overlap > timedelta(0):
                total += overlap
        return total


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def from_data(data: Mapping[str, Any]) -> WorkingCalendar:
    """A calendar from its stored form: `{"timezone", "hours": {"mon": [["08:30", "17:30"]]},
    "holidays": ["2026-10-01"], "workdays": ["2026-10-10"]}`."""
    hours = {
        WEEKDAYS.index(name): tuple(
            (time.fromisoformat(begin), time.fromisoformat(end)) for begin, end in periods
        )
        for name, periods in (data.get("hours") or {}).items()
    }
    return WorkingCalendar(
        timezone=ZoneInfo(data.get("timezone") or "Asia/Shanghai"),
        hours=hours,
        holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays") or ()),
        workdays=frozenset(date.fromisoformat(d) for d in data.get("workdays") or ()),
    )
