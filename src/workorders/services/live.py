"""Waking the followers of the feed: PostgreSQL LISTEN/NOTIFY across replicas, polling as the floor.

The events table stays the source of truth; a notification only says "look again". A process that
commits events says so (`announce`, called by `db.transaction` once a session that wrote events has
ended): its own followers are woken at once, and on PostgreSQL one NOTIFY on the `workorders_events`
channel tells every other process (replicas, a separate worker) — at most one per `ANNOUNCE_EVERY`,
however many commits it stands for. A trigger on the events table used to send one per committing
transaction: at 500 filings a second that was 500 NOTIFYs, each taking PostgreSQL's cluster-wide
notification lock for the commit and waking every listening backend: ~0.085 ms of PostgreSQL's CPU
per filed order, and up to ~0.05 ms of the service's (bench/RESULTS.md, round 30). Events written
by anything else (a script, psql) are found by the next poll. A lost connection or a missed
notification costs at most `feed_poll_interval` of latency, never an event.

The same connection hears `workorders_config` (services/configuration.py): a property's configuration
changed, so this process forgets its cached copy. While that connection is down the cache is not
trusted and verifies the revision instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy.engine import make_url

from workorders.services import configuration

if TYPE_CHECKING:
    from workorders.config import Settings
    from workorders.db import Database
    from workorders.services.configuration import ConfigCache

log = logging.getLogger(__name__)

CHANNEL = "workorders_events"
RECONNECT_DELAY = 2.0
# A process sends at most one NOTIFY per this many seconds: the first commit after a quiet spell is
# announced at once, the commits of the next interval together at its end. Under load another
# process hears of an event up to this much later; its followers read at a slower pace anyway.
ANNOUNCE_EVERY = 0.05
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
        # Set by `announce`, cleared when the NOTIFY that tells the others is sent.
        self._unannounced = asyncio.Event()
        if config is not None:
            config.trusted = lambda: self._listening

    @classmethod
    def of_process(cls, db: Database) -> EventSignal:
        """The one signal of a process (the app's, or a worker process's): its cache of `db`'s
        configuration trusted while it listens, and told by `db` whenever this process commits
        events."""
        signal = cls(db.settings, db.config)
        db.events_committed = signal.announce
        return signal

    def token(self) -> asyncio.Event:
        return self._event

    def wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def announce(self) -> None:
        """This process committed events: wake its own followers now, and (PostgreSQL) the other
        processes' within `ANNOUNCE_EVERY`. On SQLite the followers keep to their poll, as before:
        woken by every commit, the delivery worker's would take the database's one write lock
        four times a second under load instead of once."""
        if self._settings.is_sqlite:
            return
        self.wake()
        self._unannounced.set()

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

    def _heard(self, own: int, _connection: Any, pid: int, _channel: str, _payload: str) -> None:
        # Not this process's own NOTIFY: its followers were woken when it announced.
        if pid != own:
            self.wake()

    async def _announcing(self, connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Until the connection is lost: a NOTIFY for what was announced, then a pause of
        `ANNOUNCE_EVERY` in which further announcements wait for the next one. Announcements made
        while no connection was up are sent once one is."""
        gone = asyncio.create_task(lost.wait())
        try:
            while not lost.is_set():
                waiting = asyncio.create_task(self._unannounced.wait())
                await asyncio.wait({gone, waiting}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                if lost.is_set():
                    return
                self._unannounced.clear()
                await connection.execute(f"NOTIFY {CHANNEL}")
                await asyncio.sleep(ANNOUNCE_EVERY)
        finally:
            gone.cancel()

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
                heard = functools.partial(self._heard, connection.get_server_pid())
                await connection.add_listener(CHANNEL, heard)
                await connection.add_listener(configuration.CHANNEL, self._config_changed)
                # Anything committed while we were not listening is found by the next read, and
                # configuration changed meanwhile by the next verification.
                if self._config is not None:
                    self._config.invalidate()
                self._listening = True
                self.wake()
                await self._announcing(connection, lost)
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
