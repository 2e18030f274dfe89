"""Webhook rules: event-type filters, the retry schedule with jitter, Retry-After, verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workorders.domain.webhooks import (
    MAX_RETRY_AFTER,
    RETRY_SCHEDULE,
    Verdict,
    matches,
    next_delay,
    parse_retry_after,
    verdict,
)

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_filters_match_exact_types_and_wildcards() -> None:
    assert matches(None, "work_order.created")
    assert matches(["work_order.*"], "work_order.sla_breached")
    assert matches(["*"], "webhook_endpoint.disabled")
    assert matches(["work_order.resolved", "work_order.closed"], "work_order.closed")
    assert not matches(["work_order.*"], "webhook_endpoint.disabled")
    assert not matches(["work_order.resolved"], "work_order.reopened")
    assert not matches([], "work_order.created")


def test_the_schedule_of_api_md_then_give_up() -> None:
    assert [next_delay(n, retry_after=None, jitter=0.5) for n in range(1, 9)] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
        None,
    ]


@pytest.mark.parametrize("jitter", [0.0, 0.3, 0.999])
def test_jitter_stays_within_ten_percent(jitter: float) -> None:
    for attempt, base in enumerate(RETRY_SCHEDULE, start=1):
        delay = next_delay(attempt, retry_after=None, jitter=jitter)
        assert delay is not None
        assert base * 0.9 <= delay <= base * 1.1


def test_retry_after_is_never_undercut() -> None:
    asked = timedelta(minutes=2)
    assert next_delay(1, retry_after=asked, jitter=0.5) == asked
    assert next_delay(2, retry_after=asked, jitter=0.5) == timedelta(minutes=5)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Sat, 28 Nov 2026 08:10:00 GMT", NOW) == timedelta(minutes=10)
    assert parse_retry_after("99999999", NOW) == MAX_RETRY_AFTER
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (301, Verdict.RETRY),
        (404, Verdict.RETRY),
        (410, Verdict.GONE),
        (500, Verdict.RETRY),
        (None, Verdict.RETRY),
    ],
)
def test_what_an_answer_means(status: int | None, expected: Verdict) -> None:
    assert verdict(status) is expected
