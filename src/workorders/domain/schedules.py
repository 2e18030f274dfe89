"""Scheduled work: when a recurring task (RFC 5545 rule, python-dateutil's rrule) falls due.

A rule is read in the schedule's own timezone, so that `BYHOUR=8` means eight in the morning where the
work happens. Pure: the caller passes the time in.

dateutil finds an occurrence by walking the rule from its start, so the work of "what comes after
now" grows with the occurrences since `dtstart`: a daily rule started in the year 36 took five
seconds, an hourly one started years ago as long, on the request and on the clock worker's event
loop. So a rule occurs at most once an hour, a start lies within a year before and ten years after
the moment it is set, and the clock resumes a rule from its last occurrence (`resumed`) rather than
walking it from its start again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

# A task more often than hourly would flood the queue (and make every "what comes next" long).
MOST_PER_DAY = 24
# COUNT is counted from `dtstart`, so a counted rule is always walked from there.
MOST_COUNT = 10_000
EARLIEST_START = timedelta(days=366)
LATEST_START = timedelta(days=3653)
_COUNT = re.compile(r"(?:^|;)\s*COUNT\s*=\s*(\d+)", re.IGNORECASE)


class InvalidRule(ValueError):
    """The rule, its start or its timezone cannot be used; `field` names the one at fault."""

    def __init__(self, message: str, field: str = "rrule") -> None:
        super().__init__(message)
        self.field = field


def timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRule(f"unknown timezone {name!r}", "timezone") from None


def check_start(dtstart: datetime, now: datetime) -> None:
    """A start set at `now` lies within a year before it and ten years after it."""
    if dtstart < now - EARLIEST_START:
        raise InvalidRule("dtstart may be at most a year in the past", "dtstart")
    if dtstart > now + LATEST_START:
        raise InvalidRule("dtstart may be at most ten years ahead", "dtstart")


def parse(rule: str, dtstart: datetime, tz: str) -> rrule:
    """The rule as an rrule anchored at `dtstart` in `tz`; raises InvalidRule when unusable."""
    text = rule.strip().removeprefix("RRULE:")
    if "DTSTART" in text.upper() or "\n" in text:
        raise InvalidRule("give the start as `dtstart`, and one RRULE line only")
    try:
        parsed = rrulestr(text, dtstart=dtstart.astimezone(timezone(tz)))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidRule(f"not an RFC 5545 recurrence rule: {exc}") from None
    if not isinstance(parsed, rrule):
        raise InvalidRule("one RRULE only")
    if any(f"FREQ={freq}" in text.upper() for freq in ("SECONDLY", "MINUTELY")):
        raise InvalidRule("scheduled work may occur at most once an hour")
    counted = _COUNT.search(text)
    if counted and int(counted.group(1)) > MOST_COUNT:
        raise InvalidRule(f"COUNT may be at most {MOST_COUNT}")
    # The first two days' occurrences say how often it occurs (HOURLY with BYMINUTE can be
    # minutely in disguise); the walk stops at the first one too many.
    first = parsed.after(dtstart, inc=True)
    if first is not None:
        window = parsed.xafter(first, count=2 * MOST_PER_DAY + 1, inc=True)
        if sum(found < first + timedelta(days=2) for found in window) > 2 * MOST_PER_DAY:
            raise InvalidRule("scheduled work may occur at most once an hour")
    return parsed


def resumed(rule: str, dtstart: datetime, tz: str, occurrence: datetime | None) -> rrule:
    """The rule walked from `occurrence`, one of its own occurrences, instead of from `dtstart`.

    The same occurrences from there on: a rule's periods and its defaults (the hour, the weekday,
    the day of the month that `dtstart` gives a rule that names none) are those of any of its
    occurrences. Not for a counted rule (COUNT counts from `dtstart`), nor without an occurrence."""
    if occurrence is None or occurrence < dtstart or _COUNT.search(rule):
        return parse(rule, dtstart, tz)
    return parse(rule, occurrence, tz)


def first_run(rule: rrule, dtstart: datetime) -> datetime | None:
    """The first occurrence at or after `dtstart` (None when the rule never occurs)."""
    found = rule.after(dtstart, inc=True)
    return found.astimezone(UTC) if found is not None else None


def next_after(rule: rrule, moment: datetime, *, inclusive: bool = False) -> datetime | None:
    found = rule.after(moment, inc=inclusive)
    return found.astimezone(UTC) if found is not None else None


@dataclass(frozen=True)
class Plan:
    occurrence: datetime | None  # the occurrence to create now, if any
    next_run_at: datetime | None  # None: the rule has ended


def plan(rule: rrule, next_run_at: datetime | None, now: datetime) -> Plan:
    """What to do at `now` for a schedule due at `next_run_at`: create only the latest occurrence that
    fell due (a backlog is never flooded into the queue), then wait for the first one after `now`."""
    if next_run_at is None or next_run_at > now:
        return Plan(occurrence=None, next_run_at=next_run_at)
    latest = rule.before(now, inc=True)
    occurrence = latest.astimezone(UTC) if latest is not None else next_run_at
    return Plan(occurrence=max(occurrence, next_run_at), next_run_at=next_after(rule, now))
