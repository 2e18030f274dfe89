"""Each property's configuration, held in memory per process and invalidated by one revision.

Configuration — the property itself, its routing rules and model, deadline policies and settings, queue
dispatch, the directory behind tokens — is read on every request and changes rarely. Every write of it
calls `touch`, which raises `properties.config_revision` in the writer's own transaction and, on
PostgreSQL, sends NOTIFY `workorders_config` (delivered when that transaction commits). A process keeps
one `Snapshot` per property; what is derived from the configuration is loaded once per revision, when
first asked for, through `Snapshot.load`.

How fresh a caller needs it decides what it costs:

- `verify=True` reads the property row (one primary-key read, which a write that depends on the
  configuration needs anyway) and drops the snapshot when the revision moved: an edit committed on any
  replica applies to the very next such request everywhere.
- `verify=False` trusts the snapshot while this process hears NOTIFY (PostgreSQL with its listener
  connected), and verifies otherwise (SQLite; a listener that lost its connection).
- A request's token check, before its transaction begins, asks `confirmed`: the snapshot as
  `verify=False` would have it, without a connection of the pool. On SQLite, which has no NOTIFY,
  that is the `RevisionProbe`: the revision read with `sqlite3` on the caller's own thread, 8 µs
  of CPU where the same read on a connection of the pool took 265 µs (bench/RESULTS.md, round 16).

The cache of a process is found from a session or a connection (`of(reader)`), so that services,
workers and the request path share one without passing it around.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.request import pathname2url

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.dialects import sqlite

from workorders.models import Property

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
    from sqlalchemy.orm import Session

    # What reads the configuration: a session, or a plain connection where no session is needed (a
    # request's token check: a session's begin, commit and close cost more CPU than its one read).
    Reader = AsyncSession | AsyncConnection

CHANNEL = "workorders_config"
_TOUCHED = "workorders.config.touched"
_CACHE = "workorders.config.cache"

T = TypeVar("T")
R = TypeVar("R", bound="Reader")

# Built once: building the statement on each request cost more CPU than running it. Core columns: the
# ORM's loading of three plain values cost as much again.
_PROPERTIES = Property.__table__.c
_REVISION = select(_PROPERTIES.name, _PROPERTIES.timezone, _PROPERTIES.config_revision).where(
    _PROPERTIES.id == bindparam("property_id")
)


@dataclass
class Snapshot:
    """One revision of a property's configuration; derived values are filled in as they are needed."""

    property_id: str
    revision: int
    name: str
    timezone: str
    _values: dict[str, Any] = field(default_factory=dict, repr=False)

    async def load(self, key: str, session: R, loader: Callable[[R], Awaitable[T]]) -> T:
        """The value under `key` for this revision, loaded through `loader` the first time.

        Two requests asking at once may both load it; they load the same revision, so either answer
        is right and the second simply replaces the first.
        """
        if key not in self._values:
            self._values[key] = await loader(session)
        return self._values[key]

    def loaded(self, key: str) -> Any | None:
        """The value under `key` if it has been loaded for this revision (no session needed)."""
        return self._values.get(key)


class RevisionProbe:
    """A property's revision, read by `sqlite3` on the calling thread (the event loop's): SQLite's
    stand-in for NOTIFY, for a SQLite database in a file.

    Under WAL a reader neither waits for a writer nor holds one up, and this read is one row by its
    primary key on its own connection in autocommit: it sees what is committed now, as a read through
    the pool would, for a few microseconds on the loop where that read costs a checkout, a statement
    through SQLAlchemy and a trip to aiosqlite's thread. It never waits: the connection's busy timeout
    is zero and any error of SQLite's is an answer of "don't know" (None), on which the caller reads
    the ordinary way. One connection per thread (the tests run apps on several loops)."""

    _SQL = str(
        select(_PROPERTIES.config_revision)
        .where(_PROPERTIES.id == bindparam("property_id"))
        .compile(dialect=sqlite.dialect())
    )

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                f"file:{pathname2url(self.path)}?mode=rw",  # never creates a file of its own
                uri=True,
                timeout=0,
                isolation_level=None,
                check_same_thread=False,
            )
            connection.execute("PRAGMA query_only=ON")
            self._local.connection = connection
            self._opened.append(connection)
        return connection

    def revision(self, property_id: str) -> int | None:
        """The property's committed revision; None when it cannot be told without waiting."""
        try:
            rows = self._connection().execute(self._SQL, (property_id,)).fetchall()
        except sqlite3.Error:
            return None
        return int(rows[0][0]) if rows else None

    def close(self) -> None:
        for connection in self._opened:
            connection.close()
        self._opened.clear()
        self._local = threading.local()


class ConfigCache:
    """The snapshots of one process. `trusted` tells whether invalidations arrive by NOTIFY; `probe`,
    where there is no NOTIFY (SQLite), reads a revision without a connection of the pool."""

    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        self.trusted: Callable[[], bool] = lambda: False
        self.probe: RevisionProbe | None = None

    def invalidate(self, property_id: str | None = None) -> None:
        if property_id is None:
            self._snapshots.clear()
        else:
            self._snapshots.pop(property_id, None)

    def current(self, property_id: str) -> Snapshot | None:
        """The snapshot this process holds when it may be trusted without reading the revision (what
        `snapshot` would answer without touching the database), else None."""
        return self._snapshots.get(property_id) if self.trusted() else None

    def confirmed(self, property_id: str) -> Snapshot | None:
        """`current`, or where the cache is not trusted, the snapshot this process holds if the probe
        finds its revision still the committed one; None when only a read through a session or a
        connection can tell. Only for a caller outside any transaction (a request's token check): a
        transaction that has raised the revision itself must read it in that transaction."""
        held = self._snapshots.get(property_id)
        if held is None or self.trusted():
            return held
        if self.probe is not None and self.probe.revision(property_id) == held.revision:
            return held
        return None

    def held(self, property_id: str) -> Snapshot | None:
        """The snapshot this process holds, without looking at the database: for a request whose
        token check has just verified (or trusted) it."""
        return self._snapshots.get(property_id)

    async def snapshot(
        self, session: Reader, property_id: str, *, verify: bool = False
    ) -> Snapshot | None:
        """The property's current snapshot, or None when no such property exists."""
        if not verify and (trusted := self.current(property_id)) is not None:
            return trusted
        held = self._snapshots.get(property_id)
        row = (await session.execute(_REVISION, {"property_id": property_id})).one_or_none()
        if row is None:
            self.invalidate(property_id)
            return None
        name, timezone, revision = row
        if held is not None and held.revision == revision:
            return held
        fresh = Snapshot(property_id, revision, name, timezone)
        self._snapshots[property_id] = fresh
        return fresh


_CACHES: weakref.WeakKeyDictionary[Engine, ConfigCache] = weakref.WeakKeyDictionary()


def register(cache: ConfigCache, *engines: Engine) -> None:
    """Make `cache` the one that sessions on these engines find (a process's Database does this)."""
    for engine in engines:
        _CACHES[engine] = cache


def of(reader: Reader) -> ConfigCache:
    """The cache of the process this session or connection belongs to; a throwaway one for an
    unregistered engine (a migration, a script), which simply loads everything."""
    bind = reader.bind if hasattr(reader, "bind") else reader.engine
    engine = getattr(bind, "sync_engine", None)
    cache = _CACHES.get(engine) if engine is not None else None
    return cache if cache is not None else ConfigCache()


async def snapshot(session: Reader, property_id: str, *, verify: bool = False) -> Snapshot:
    """The property's snapshot; raises LookupError when the property does not exist."""
    found = await of(session).snapshot(session, property_id, verify=verify)
    if found is None:
        raise LookupError(property_id)
    return found


async def touch(session: AsyncSession, property_id: str) -> None:
    """Record, in the caller's transaction, that the property's configuration changed."""
    await session.execute(
        update(Property)
        .where(Property.id == property_id)
        .values(config_revision=Property.config_revision + 1)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, property_id)))
    sync_session = session.sync_session
    sync_session.info.setdefault(_TOUCHED, set()).add(property_id)
    sync_session.info[_CACHE] = of(session)
    if not event.contains(sync_session, "after_commit", _forget_touched):
        event.listen(sync_session, "after_commit", _forget_touched)


def _forget_touched(sync_session: Session) -> None:
    """This process need not wait for its own NOTIFY to forget what it just changed."""
    touched: set[str] = sync_session.info.pop(_TOUCHED, set())
    cache: ConfigCache | None = sync_session.info.pop(_CACHE, None)
    if cache is not None:
        for property_id in touched:
            cache.invalidate(property_id)


__all__ = [
    "CHANNEL",
    "ConfigCache",
    "RevisionProbe",
    "Snapshot",
    "of",
    "register",
    "snapshot",
    "touch",
]
