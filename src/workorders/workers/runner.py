"""Background work, run inside `workorders serve` or alone as `workorders worker`.

Each job runs in its own transaction on a fixed interval and survives its own failures: a job that
raises is logged and tried again at its next tick, never taking the process down.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from workorders.db import transaction
from workorders.services import attachments, idempotency, retention, search_grams
from workorders.services.live import EventSignal
from workorders.storage import DirectoryStorage
from workorders.workers import clock as clock_jobs
from workorders.workers.deliveries import DeliveryWorker
from workorders.workers.report_rollups import roll_up_reports
from workorders.workers.routing_training import RoutingTrainer

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.clock import Clock
    from workorders.config import Settings
    from workorders.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable[[AsyncSession, Clock], Awaitable[object]]


async def _purge_idempotency_keys(session: AsyncSession, clock: Clock) -> int:
    return await idempotency.purge_expired(session, clock.now())


async def _sweep_attachment_orphans(
    session: AsyncSession, clock: Clock, *, settings: Settings
) -> int:
    """Files a crashed upload left without a row (services/attachments.py)."""
    storage = DirectoryStorage.from_settings(settings)
    return await attachments.sweep_orphans(session, storage, now=clock.now())


async def _index_grams(session: AsyncSession, clock: Clock) -> int:
    return await search_grams.catch_up(session, clock.now())


JOBS: tuple[Job, ...] = (
    Job("purge-idempotency-keys", timedelta(minutes=10), _purge_idempotency_keys),
)


def jobs(settings: Settings) -> tuple[Job, ...]:
    """Every periodic job; the clock's (deadlines, auto-close, schedules) and the reports' rollups on
    the clock interval."""
    return (
        JOBS
        + tuple(
            Job(name, settings.clock_interval, functools.partial(run, settings=settings))
            for name, run in clock_jobs.CLOCK_JOBS
        )
        + (
            Job("report-rollups", settings.clock_interval, roll_up_reports),
            # PostgreSQL's table of grams, behind the filing: a search scans what it has not indexed.
            Job("search-grams", settings.feed_poll_interval, _index_grams),
            Job(
                "contact-retention",
                timedelta(hours=1),
                functools.partial(retention.erase_contacts, settings=settings),
            ),
            Job(
                "attachment-orphans",
                timedelta(hours=1),
                functools.partial(_sweep_attachment_orphans, settings=settings),
            ),
        )
    )


class Workers:
    """The background jobs and the delivery worker of one process. `signal`: the process's
    `EventSignal` (the app's, in `serve`); `run_forever` makes and starts one when none is given
    (`workorders worker`), so that a process listens on one connection, not one per follower."""

    def __init__(
        self, db: Database, settings: Settings, clock: Clock, *, signal: EventSignal | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.signal = signal
        self._tasks: list[asyncio.Task[None]] = []

    async def run_once(self, job: Job) -> None:
        try:
            async with transaction(self.db.writer) as session:
                outcome = await job.run(session, self.clock)
            log.debug("job %s: %s", job.name, outcome)
        except Exception:
            log.exception("job %s failed; it runs again in %s", job.name, job.interval)

    async def _loop(self, job: Job) -> None:
        while True:
            await self.run_once(job)
            await asyncio.sleep(job.interval.total_seconds())

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(job), name=job.name) for job in jobs(self.settings)
        ]
        # Webhook fan-out and delivery, and notifications: a loop of its own, woken by NOTIFY.
        deliveries = DeliveryWorker(self.db, self.settings, self.clock, signal=self.signal)
        self._tasks.append(asyncio.create_task(deliveries.run(), name="deliveries"))
        self._tasks.append(asyncio.create_task(RoutingTrainer(self.db, self.settings, self.clock).run(), name="routing-training"))  # fmt: skip

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def run_forever(self) -> None:
        own = self.signal is None
        if self.signal is None:
            self.signal = EventSignal.of_process(self.db)
            await self.signal.start()
        self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()
            if own:
                await self.signal.stop()
