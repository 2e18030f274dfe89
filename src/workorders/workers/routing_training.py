"""Retrain a property's routing model once customer service has taught it enough new examples
(`WORKORDERS_ROUTING_RETRAIN_AFTER`, default 50), looking every `WORKORDERS_ROUTING_RETRAIN_INTERVAL`.

Training takes seconds to a minute of CPU, so it never runs inside a transaction (see
`routing_models.retrain`). Replicas may look at once: on PostgreSQL a session advisory lock per
property lets one of them train it; anywhere, two versions trained at once could not both be stored
under one version name, and the worse-or-stale one is never activated.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from workorders.db import transaction
from workorders.models import RoutingExample
from workorders.services import routing_models

if TYPE_CHECKING:
    from workorders.clock import Clock
    from workorders.config import Settings
    from workorders.db import Database

log = logging.getLogger(__name__)
LOCK_NAMESPACE = 0x726F7574  # "rout": keeps these advisory locks apart from any other's


async def due(db: Database, settings: Settings) -> list[str]:
    """The properties with at least `routing_retrain_after` examples since their last training."""
    async with transaction(db.reader) as session:
        query = select(RoutingExample.property_id).distinct()
        properties = (await session.execute(query)).scalars()
        return [
            p
            for p in list(properties)
            if await routing_models.retrain_due(session, p, settings.routing_retrain_after)
        ]


async def retrain_due(db: Database, settings: Settings, clock: Clock) -> int:
    """Retrain every property that is due (one at a time); how many were retrained."""
    done = 0
    for property_id in await due(db, settings):
        if db.dialect != "postgresql":
            outcome = await routing_models.retrain(db, property_id, now=clock.now())
        else:
            async with db.write_engine.connect() as connection:
                key = func.hashtext(property_id)
                locked = await connection.scalar(
                    select(func.pg_try_advisory_lock(LOCK_NAMESPACE, key))
                )
                await connection.commit()
                if not locked:
                    continue
                try:
                    outcome = await routing_models.retrain(db, property_id, now=clock.now())
                finally:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:ns, hashtext(:p))"),
                        {"ns": LOCK_NAMESPACE, "p": property_id},
                    )
                    await connection.commit()
        log.info("routing model of %s retrained: %s", property_id, outcome)
        done += 1
    return done


class RoutingTrainer:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db, self.settings, self.clock = db, settings, clock

    async def run(self) -> None:
        interval = self.settings.routing_retrain_interval.total_seconds()
        while True:
            try:
                await retrain_due(self.db, self.settings, self.clock)
            except Exception:
                log.exception("routing retraining failed; it is tried again in %ss", interval)
            await asyncio.sleep(interval)
