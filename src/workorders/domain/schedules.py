"""Scheduled work: when a recurring task (RFC 5545 rule, python-dateutil's rrule) falls due.

A rule is read in the schedule's own timezone, so that `BYHOUR=8` means eight in the morning where the
work happens. Pure: the caller passes the time in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr


class InvalidRule(ValueError):
    """The rule, its start or its timezone cannot be used."""


def timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRule(f"unknown timezone {name!r}") from None


def parse(rule: str, dtstart: datetime, tz: str) -> rrule:
    """The rule as an rrule anchored at `dtstart` in `tz`; raises InvalidRule when unusable."""
    text = rule.strip().removeprefix("RRULE:")
    if "DTSTART" in text.upper() or "\n" in text:
        raise InvalidRule("give the start as `dtstart`, and one RRULE line only")
    try:
        parsed = rrulestr(text, dtstart=dtstart.astimezone(timezone(tz)))
    except (ValueError, TypeError) as exc:
        raise InvalidRule(f"not an RFC 5545 recurrence rule: {exc}") from None
    if not isinstance(parsed, rrule):
        raise InvalidRule("one RRULE only")
    if "FREQ=SECONDLY" in text.upper():  # a task every few seconds would flood the queue
        raise InvalidRule("FREQ=SECONDLY is not allowed for scheduled work")
    return parsed


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
