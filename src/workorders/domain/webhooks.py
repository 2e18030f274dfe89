"""Webhook rules: which events an endpoint takes, when to try again, what a receiver's answer means.

Pure: time and randomness are passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

# API.md: retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; then the delivery has failed.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
# Each delay is stretched or shrunk by up to this fraction, so that receivers recovering from an
# outage are not hit by every retry at the same instant.
JITTER = 0.1
# A receiver's Retry-After is honoured up to this long.
MAX_RETRY_AFTER = timedelta(hours=24)


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"  # 410: the receiver asks us to stop; the endpoint is disabled


def matches(filters: Sequence[str] | None, event_type: str) -> bool:
    """None takes every event; otherwise exact types or `prefix.*` wildcards (`*` alone: all)."""
    if filters is None:
        return True
    for name in filters:
        if name == "*" or name == event_type:
            return True
        if name.endswith(".*") and event_type.startswith(name[:-1]):
            return True
    return False


def verdict(status_code: int | None) -> Verdict:
    """2xx delivered; 410 gone; anything else (errors, timeouts, redirects) is tried again."""
    if status_code is not None and 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    return Verdict.RETRY


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """RFC 9110 Retry-After: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            delay = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def next_delay(
    attempts_made: int, *, retry_after: timedelta | None, jitter: float
) -> timedelta | None:
    """How long to wait before the next attempt, after `attempts_made` failed ones; None: give up.

    `jitter` is a number in [0, 1). Retry-After is honoured: never sooner than the receiver asked.
    """
    if attempts_made > len(RETRY_SCHEDULE):
        return None
    scheduled = RETRY_SCHEDULE[attempts_made - 1] * (1 + JITTER * (2 * jitter - 1))
    return max(scheduled, retry_after) if retry_after is not None else scheduled


def failing_too_long(failing_since: datetime | None, now: datetime, limit: timedelta) -> bool:
    return failing_since is not None and now - failing_since >= limit
