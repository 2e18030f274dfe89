"""Waking the followers of the feed: PostgreSQL LISTEN/NOTIFY across replicas, polling as the floor.

The events table stays the source of truth; a notification only says "look again". The migration's
trigger sends one on the `workorders_events` channel when a transaction that wrote events commits, so an
event committed through any replica wakes the live streams and delivery workers of every other one. A
lost connection or a missed notification costs at most `feed_poll_interval` of latency, never an event.

The same connection hears `workorders_config` (services/configuration.py): a property's configuration
changed, so this process forgets its cached copy. While that connection is down the cache is not
trusted and verifies the revision instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy.engine import make_url

from workorders.services import configuration

if TYPE_CHECKING:
    from workorders.config import Settings
    from workorders.services.configuration import ConfigCache

log = logging.getLogger(__name__)

CHANNEL = "workorders_events"
RECONNECT_DELAY = 2.0
# After a wake-up, wait this long before reading: under load one read then serves the commits of many
# requests (each commit's NOTIFY would otherwise cost every follower a read, and the delivery worker
# three transactions), at the price of this much latency.
SETTLE = 0.05


class EventSignal:
    """`token()` before reading the feed, then `wait(token, seconds)`: no wake-up falls in between."""

    def __init__(
        self, settings: Settings, config: ConfigCache | None = None, *, settle: float = SETTLE
    ) -> None:
        self._settings = settings
        self._settle = settle
        self._config = config
        self._event = asyncio.Event()
        self._listening = False
        self._task: asyncio.Task[None] | None = None
        if config is not None:
            config.trusted = lambda: self._listening

    def token(self) -> asyncio.Event:
        return self._event

    def wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, token: asyncio.Event, seconds: float, *, until: float = 0.0) -> bool:
        """True when woken (and settled: see SETTLE), False when `seconds` passed first; either way
        not before the loop's time `until`, a follower's pace (its last read's start plus its
        interval): under load, however often commits wake it, it reads once per interval and that
        read serves them all. Idle, the interval has long passed and a wake-up is read at once."""
        loop = asyncio.get_running_loop()
        woken = True
        try:
            async with asyncio.timeout(seconds):
                await token.wait()
        except TimeoutError:
            woken = False
        rest = max(self._settle if woken else 0.0, until - loop.time())
        if rest > 0:
            await asyncio.sleep(rest)
        return woken

    async def start(self) -> None:
        if not self._settings.is_sqlite:
            self._task = asyncio.create_task(self._listen(), name="feed-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _config_changed(self, _connection: Any, _pid: int, _channel: str, property_id: str) -> None:
        if self._config is not None:
            self._config.invalidate(property_id)

    def _dsn(self) -> str:
        url = make_url(self._settings.database_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    async def _listen(self) -> None:
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self._dsn())
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, lambda *_args: self.wake())
                await connection.add_listener(configuration.CHANNEL, self._config_changed)
                # Anything committed while we were not listening is found by the next read, and
                # configuration changed meanwhile by the next verification.
                if self._config is not None:
                    self._config.invalidate()
                self._listening = True
                self.wake()
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("feed listener lost its connection; retrying", exc_info=True)
            finally:
                self._listening = False
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()
            await asyncio.sleep(RECONNECT_DELAY)
