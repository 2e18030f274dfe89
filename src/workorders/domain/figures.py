"""The manager's figures as sums: what one order adds to the counts of a day, and percentiles read from
bucketed durations. Sums add up across days, so a year is the sum of its days (services/report_rollups.py
keeps them) plus the hours not yet rolled up. Pure: the caller fetches the orders and passes every time.

Durations are counted in whole minutes and kept in buckets whose width is 1/32 of their lower edge
(HdrHistogram's layout with five significant bits): exact to the minute below 64 minutes, then 2-minute
buckets up to about two hours, 4-minute up to four, and so on. A percentile is the nearest-rank value's
bucket, reported as the bucket's lower edge: never above the exact nearest-rank minute and never more
than 1/32 (3.1%) below it (p90 of a 48-hour resolve: within 90 minutes below).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum

SIGNIFICANT_BITS = 5  # 32 buckets per doubling


class Dim(StrEnum):
    """What a row of sums is grouped by besides its day and queue. `group_by=day` reads the queue rows."""

    QUEUE = "queue"
    ASSIGNEE = "assignee"
    CATEGORY = "category"
    BUILDING = "building"


class Measure(StrEnum):
    RESPOND = "respond"
    RESOLVE = "resolve"


CLOCKS = ("respond", "start", "resolve")


def bucket(minutes: int) -> int:
    """The lower edge of the bucket `minutes` falls in."""
    minutes = max(minutes, 0)
    width = 1 << max(minutes.bit_length() - SIGNIFICANT_BITS - 1, 0)
    return minutes - minutes % width


def nearest_rank(histogram: Mapping[int, int], share: float) -> int | None:
    """The bucket holding the nearest-rank `share` quantile (the first whose running count reaches
    share × n); None for an empty histogram. `share` in tenths is exact: 0.5 and 0.9."""
    total = sum(histogram.values())
    if total == 0:
        return None
    tenths = round(share * 10)
    upto = 0
    for edge in sorted(histogram):
        upto += histogram[edge]
        if upto * 10 >= total * tenths:
            return edge
    raise AssertionError("unreachable: the running count reaches the total")


@dataclass(slots=True)
class Sums:
    """Counts that add up across days. Which day an order adds to depends on the count: its filing day
    (filed … repeats, open), the day each deadline fell (due_*, met_*), the day it ended (ended)."""

    filed: int = 0
    rated: int = 0
    rating_sum: int = 0
    low_rated: int = 0
    reopened: int = 0
    resolved: int = 0  # ever resolved: resolved now, or resolved once and reopened
    first_fix: int = 0  # ever resolved and never reopened
    repairs: int = 0  # repairs with a category and a room
    repeats: int = 0
    open: int = 0  # filed, and not ended by the tally's `open_at`
    ended: int = 0  # resolved or cancelled (whichever came first) on this day
    due_respond: int = 0
    met_respond: int = 0
    due_start: int = 0
    met_start: int = 0
    due_resolve: int = 0
    met_resolve: int = 0

    def add(self, other: Sums) -> None:
        for name in SUM_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


SUM_FIELDS = tuple(f.name for f in fields(Sums))


@dataclass(slots=True)  # not frozen: a live window builds thousands, and frozen ones build slowly
class OrderFacts:
    """What the figures read of one order; durations already in whole (working) minutes."""

    created_at: datetime
    queue: str
    groups: Mapping[Dim, str | None]
    deadlines: Mapping[str, tuple[datetime | None, datetime | None]]  # clock -> (due, done)
    resolved_at: datetime | None
    cancelled_at: datetime | None
    rating: int | None
    reopened: bool
    repair: bool  # a repair with a category and a room
    repeat: bool
    minutes: Mapping[Measure, int | None]

    @property
    def ended_at(self) -> datetime | None:
        ends = [t for t in (self.resolved_at, self.cancelled_at) if t is not None]
        return min(ends) if ends else None


Key = tuple[date, str, Dim, str | None]  # day, queue, dim, group
TimesKey = tuple[date, str, Dim, str | None, Measure]


@dataclass
class Tally:
    """Sums and duration histograms per (day, queue, dim, group) over the window `[start, end)`: an
    order adds what is anchored inside the window. Deadlines count only before `due_before` (one still
    ahead is neither met nor missed); `open` counts filed orders not ended before `open_at` (None: not
    ended at all). Only the dimensions in `dims` are kept."""

    day_of: Callable[[datetime], date]
    start: datetime
    end: datetime
    due_before: datetime
    open_at: datetime | None = None
    dims: tuple[Dim, ...] = tuple(Dim)
    sums: dict[Key, Sums] = field(default_factory=dict)
    times: dict[TimesKey, Counter[int]] = field(default_factory=dict)

    def _inside(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def _rows(self, facts: OrderFacts, moment: datetime) -> list[Sums]:
        day = self.day_of(moment)
        rows = []
        for dim in self.dims:
            key = (day, facts.queue, dim, facts.groups[dim])
            row = self.sums.get(key)
            if row is None:
                row = self.sums[key] = Sums()
            rows.append(row)
        return rows

    def add(self, facts: OrderFacts) -> None:
        if self._inside(facts.created_at):
            self._filed(facts)
        for clock, (due, done) in facts.deadlines.items():
            if not self._inside(due) or due is None or due >= self.due_before:
                continue
            if facts.cancelled_at is not None and facts.cancelled_at <= due:
                continue
            met = done is not None and done <= due
            for row in self._rows(facts, due):
                setattr(row, f"due_{clock}", getattr(row, f"due_{clock}") + 1)
                setattr(row, f"met_{clock}", getattr(row, f"met_{clock}") + met)
        ended = facts.ended_at
        if self._inside(ended):
            assert ended is not None
            for row in self._rows(facts, ended):
                row.ended += 1

    def _filed(self, facts: OrderFacts) -> None:
        ended = facts.ended_at
        is_open = ended is None or (self.open_at is not None and ended >= self.open_at)
        ever_resolved = facts.resolved_at is not None or facts.reopened
        for row in self._rows(facts, facts.created_at):
            row.filed += 1
            row.open += is_open
            if facts.rating is not None:
                row.rated += 1
                row.rating_sum += facts.rating
                row.low_rated += facts.rating <= 2
            row.reopened += facts.reopened
            row.resolved += ever_resolved
            row.first_fix += ever_resolved and not facts.reopened
            row.repairs += facts.repair
            row.repeats += facts.repair and facts.repeat
        day = self.day_of(facts.created_at)
        for measure, minutes in facts.minutes.items():
            if minutes is None:
                continue
            for dim in self.dims:
                key = (day, facts.queue, dim, facts.groups[dim], measure)
                self.times.setdefault(key, Counter())[bucket(minutes)] += 1

    def extend(self, orders: Iterable[OrderFacts]) -> Tally:
        for facts in orders:
            self.add(facts)
        return self
