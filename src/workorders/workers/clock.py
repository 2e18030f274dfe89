"""The clock's jobs: deadline warnings, breaches and escalations; auto-close of unconfirmed orders;
return visits; scheduled work. Each run is one small transaction (workers/runner.py) and safe to run in
several replicas at once: every firing is claimed in the database before its event is written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from workorders.services import return_visits, schedules, sla_clock

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.clock import Clock
    from workorders.config import Settings


async def sweep_deadlines(session: AsyncSession, clock: Clock, settings: Settings) -> int:
    return await sla_clock.sweep(session, clock.now())


async def close_unconfirmed(session: AsyncSession, clock: Clock, settings: Settings) -> int:
    return await return_visits.close_unconfirmed(session, clock.now(), settings.auto_close_after)


async def open_return_visits(session: AsyncSession, clock: Clock, settings: Settings) -> int:
    return await return_visits.open_return_visits(session, clock.now())


async def run_schedules(session: AsyncSession, clock: Clock, settings: Settings) -> int:
    return await schedules.run_due(session, clock.now())


class ClockRun(Protocol):
    """One clock job's run: how many things it did (named parameters, so the runner can bind
    `settings` by name)."""

    def __call__(
        self, session: AsyncSession, clock: Clock, settings: Settings
    ) -> Awaitable[int]: ...


ClockJob = tuple[str, ClockRun]

# Run every WORKORDERS_CLOCK_INTERVAL (workers/runner.py).
CLOCK_JOBS: tuple[ClockJob, ...] = (
    ("schedules", run_schedules),
    ("deadlines", sweep_deadlines),
    ("auto-close", close_unconfirmed),
    ("return-visits", open_return_visits),
)
