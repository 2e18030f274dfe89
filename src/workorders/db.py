"""Database plumbing: the declarative base, portable column types, engines and session factories.

SQLite serialises writers. A deferred transaction that reads and then writes fails at once with
SQLITE_BUSY when another writer committed in between, whatever the busy timeout; so on SQLite, requests
that may write begin with `BEGIN IMMEDIATE` (they queue for the write lock up front and the busy timeout
applies). Reads run in autocommit, as on PostgreSQL (below): each statement its own transaction, which
never blocks a writer under WAL, with no `BEGIN` and no `ROLLBACK` sent to the connection's thread
around it. PostgreSQL needs none of the rest.

Writers of one process also take turns before `BEGIN IMMEDIATE` (`WriteTurns`): SQLite's own busy
handler sleeps between its tries (1, 2, 5 … 100 ms), the lock stands free while the waiters sleep, late
writers overtake early ones, and under load the wait reached seconds (bench/RESULTS.md, round 9). A
first-come-first-served queue in the process hands the lock on the moment a transaction ends; the busy
handler is left to the rare writer of another process.

PostgreSQL readers run in autocommit: a read is its statement alone, with no `BEGIN` and `COMMIT` round
trips around it. Every statement still sees one consistent snapshot; the reads that take several (the
feed) are written to be right across snapshots. Connections are not pinged on checkout (that is a round
trip per request): a connection found dead raises a disconnect error, on which SQLAlchemy invalidates
it and every pooled connection older than it, so one request fails and the next gets a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import JSON, DateTime, Index, MetaData, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_

from workorders import search_index, sqlite_driver
from workorders.metrics import WRITE_TURN_HELD, WRITE_TURN_WAIT

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine

    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql.base import Executable

    from workorders.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def json_text(value: Any) -> str:
    """A JSON column's value as the text the database stores: orjson's."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_value(text: str) -> Any:
    """A JSON column's stored text as its value: orjson's reading, or the standard library's for
    what orjson refuses and `json.dumps` once wrote (NaN, Infinity)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def partial_index(name: str, *expressions: Any, where: str) -> Index:
    """An index of the rows for which `where` holds, on PostgreSQL and SQLite alike."""
    condition = text(where)
    return Index(name, *expressions, postgresql_where=condition, sqlite_where=condition)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no timezone type: values are stored as naive UTC and come back aware, so that comparisons
    and cursor arithmetic behave the same on both databases. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id(prefix: str) -> str:
    """An opaque, unguessable id such as `wo_5k2m…`: 120 random bits in hex."""
    return f"{prefix}_{secrets.token_bytes(15).hex()}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class WriteTurns:
    """Writers of one engine take SQLite's write lock in turn, first come, first served.

    A writer waits for its turn as it takes a connection from the pool, before its `BEGIN
    IMMEDIATE`; the turn is given back when the connection returns to the pool, after the commit or
    the rollback, whichever way the transaction ended (a connection invalidated mid-transaction
    returns too). The turn is held by the connection: a connection that begins a second transaction
    before it goes back keeps its turn (sessions give theirs back at each commit). A coroutine that
    holds a writer connection must not take a second one: it would wait for itself. It would have
    waited on SQLite's lock before too; here it ends the same way, after the busy timeout, as an
    error the client is told to retry (a 503).

    The turn is taken before the connection, and the pool hands out the connection given back last
    (`_turn_taking_pool`): writers in turn use one connection, whose page cache stays warm. In WAL
    mode SQLite empties a connection's cache when another connection has committed since its last
    transaction, so writers taking turns on twenty connections each began with an empty cache;
    on one, a filing took about 0.35 ms less CPU (bench/RESULTS.md, round 19).

    How long writers queue for a turn and how long they hold it are metrics
    (`workorders_sqlite_write_turn_wait_seconds`, `…_held_seconds`). Under a load of filings whose
    statements went to aiosqlite's thread, the lock was taken all of the time, most of each turn
    spent handing the CPU and the GIL between the threads rather than in SQLite; a request's writer
    now makes its trips on the loop's thread (`Database.request_writer`), and the lock was taken
    60% of the time (bench/RESULTS.md, round 19).

    One queue per event loop: the tests run apps on several loops, and an `asyncio.Lock` belongs to
    the loop it first waited on.
    """

    _HELD = "workorders.write_turn"

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.waiting = 0  # writers of this process queued for a turn, on every loop
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _take(self) -> tuple[asyncio.Lock, float]:
        lock = self._lock()
        asked = time.perf_counter()
        self.waiting += 1
        try:
            async with asyncio.timeout(self.timeout_s):  # not `wait_for`: no task per turn
                await lock.acquire()
        finally:
            self.waiting -= 1
        taken = time.perf_counter()
        WRITE_TURN_WAIT.observe(taken - asked)
        return lock, taken

    def take(self) -> tuple[asyncio.Lock, float]:
        """Wait for a turn (in a greenlet of SQLAlchemy's, as the pool's checkout runs)."""
        return await_(self._take())

    def keep(self, info: dict[str, Any], held: tuple[asyncio.Lock, float]) -> None:
        """The turn `held` goes with the connection whose `info` this is, until it is given back."""
        info[self._HELD] = held

    def give_back(self, info: dict[str, Any]) -> None:
        held: tuple[asyncio.Lock, float] | None = info.pop(self._HELD, None)
        if held is not None:
            self.release(held)

    def release(self, held: tuple[asyncio.Lock, float]) -> None:
        lock, taken = held
        lock.release()
        WRITE_TURN_HELD.observe(time.perf_counter() - taken)

    def attach(self, engine: AsyncEngine) -> None:
        @event.listens_for(engine.sync_engine, "checkin")
        def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
            self.give_back(record.info)


def _turn_taking_pool(turns: WriteTurns) -> type[AsyncAdaptedQueuePool]:
    """A pool whose checkouts wait for a turn first (`WriteTurns`), the turn kept on the connection
    until it comes back. A class per engine: the pool is made again from its class on `dispose`."""

    class TurnTakingPool(AsyncAdaptedQueuePool):
        def connect(self) -> PoolProxiedConnection:
            held = turns.take()
            try:
                connection = super().connect()
            except BaseException:
                turns.release(held)
                raise
            turns.keep(connection.info, held)
            return connection

    return TurnTakingPool


def _sqlite_file(settings: Settings) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database (no second connection
    could see it) or a URL with options of its own."""
    url = make_url(settings.database_url)
    if not url.database or url.database == ":memory:" or url.query:
        return None
    return url.database


# How much of a SQLite database file its connections read through a memory map.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
# Commits of a SQLite writer between two checkpoints of the WAL. SQLite's own mark is 1,000 pages of
# WAL; a filing writes about 35.
CHECKPOINT_EVERY = 32


class _TripsHere(Session):
    """SQLite: a request's writer session (`Database.request_writer`). Its transactions, short by
    nature, make their trips on the calling thread (`sqlite_driver`); the workers' writes, which may
    be long (a retention purge, a report's rollup), stay on aiosqlite's threads. The driver is told
    once a transaction, as it begins. (It was told by a "begin" listener on the engine, reading an
    execution option: that listener gave every statement SQLAlchemy's event dispatch.)"""


@event.listens_for(_TripsHere, "after_begin")
def _trips_here(_session: Session, _transaction: Any, connection: Connection) -> None:
    driver = cast("sqlite_driver.Connection", connection.connection.dbapi_connection)
    driver.trips_here()


class _SQLiteCompiler(SQLiteCompiler):
    """SQLAlchemy's SQLite compiler, with the hints of a select's tables (`Select.with_hint(table,
    "NOT INDEXED", "sqlite")`), which SQLAlchemy leaves out for SQLite: its `INDEXED BY` and
    `NOT INDEXED` are what tells the planner which index not to walk (`services.listing`)."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def _sqlite_engine(
    settings: Settings, *, begin: str | None, turns: WriteTurns | None = None
) -> AsyncEngine:
    """`begin`: what a transaction sends first; None for autocommit (the driver opens none either:
    `isolation_level = None`)."""
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        json_serializer=json_text,
        json_deserializer=json_value,
        # One trip to aiosqlite's thread per statement. A writer's connections checkpoint the WAL
        # themselves, on that thread (`sqlite_driver`): a request's transaction commits on the
        # event loop's thread, which SQLite's automatic checkpoint would hold.
        # With each checkpoint, the writers index the orders filed since the last one for search
        # (`search_index`): in the filing's own transaction that was 3.9% of its instructions.
        module=(
            sqlite_driver.dbapi()
            if begin is None
            else sqlite_driver.dbapi(
                checkpoint_every=CHECKPOINT_EVERY, upkeep=search_index.catch_up
            )
        ),
        connect_args={
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
            # A request's writer transaction makes its trips on the event loop's thread
            # (`sqlite_driver`), with the connection that aiosqlite opened on its own.
            "check_same_thread": False,
        },
        # As PostgreSQL's: SQLAlchemy's default (5, and 10 overflow closed again on return) opened
        # and closed connections under load, each a thread of aiosqlite's, a file opened and the
        # pragmas below: most of a request's CPU at 16 in flight (bench/RESULTS.md, round 16).
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # A writer's turn comes before its connection, and the connection given back last is handed
        # out first (`WriteTurns`): writers in turn use one connection, its cache warm.
        **(
            {"poolclass": _turn_taking_pool(turns), "pool_use_lifo": True}
            if turns is not None
            else {}
        ),
    )

    engine.sync_engine.dialect.statement_compiler = _SQLiteCompiler

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # SQLite's temporary tables in memory, not in a file: a filing's INSERT … SELECT … RETURNING
        # puts its rows in one first, and as a file that was created, written, unlinked and closed
        # per filing (bench/RESULTS.md, round 21: 5% of a create's CPU).
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Pages read through a map of the file, not copied in by a read() each: a connection's own
        # cache is emptied whenever another has committed (WAL), so under writes most page reads
        # were system calls, which callgrind does not count (bench/RESULTS.md, round 21: create +4%,
        # a list page +4%, a read +2.5%). An I/O error on a mapped page is a SIGBUS, not an error.
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.close()

    if begin is not None:

        def _do_begin(connection: PoolProxiedConnection) -> None:
            # It goes with the transaction's first statement, in that statement's trip. The
            # dialect's own step, not a "begin" listener: any listener of a connection's events on
            # the engine gives every statement SQLAlchemy's event dispatch (a create on SQLite
            # 5.02M → 4.69M instructions without it: bench/RESULTS.md, round 31).
            driver = cast("sqlite_driver.Connection", connection.dbapi_connection)
            driver.begin_with_next_trip(begin)

        engine.sync_engine.dialect.do_begin = _do_begin  # type: ignore[assignment]

    if turns is not None:
        turns.attach(engine)
    return engine


def _postgres_engine(settings: Settings, **options: Any) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        json_serializer=json_text,
        json_deserializer=json_value,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No JIT compilation: the service's statements take milliseconds, and compiling one that
        # PostgreSQL costs high (a search's walk of the days, estimated as if it ran to the end)
        # took ~10 ms of a 3 ms statement (bench/RESULTS.md, round 27).
        connect_args={"server_settings": {"jit": "off"}},
        **options,
    )


# A session that wrote events says so (`wrote_events`); when it ends, `transaction` tells the Database
# of its engine (`Database.events_committed`: the process's `EventSignal.announce`, which wakes the
# feed's followers here and, on PostgreSQL, in every other process).
_EVENTS_WRITTEN = "workorders.events.written"
# Weak both ways: a Database holds its engines, so a strong value would keep its own key alive.
_DATABASES: weakref.WeakKeyDictionary[Engine, weakref.ref[Database]] = weakref.WeakKeyDictionary()


def wrote_events(session: Session) -> None:
    """Mark `session` as one that wrote events, for `transaction` to announce when it ends."""
    session.info[_EVENTS_WRITTEN] = True


def _nobody() -> None:
    """No one listens for this Database's commits (a script, a migration)."""


class Database:
    """The engines and session factories of one process.

    `writer` sessions are for work that may change something, `reader` sessions for the rest, each
    engine with a pool of its own. `request_writer` sessions are writers for a request's
    transaction, short by nature: on SQLite their statements run on the event loop's thread, not
    aiosqlite's (`sqlite_driver`); elsewhere they are `writer` sessions. The workers' writes, which
    may be long (a retention purge, a report's rollup), stay on aiosqlite's threads.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.is_sqlite:
            self.write_turns = WriteTurns(settings.sqlite_busy_timeout_ms / 1000)
            self.write_engine = _sqlite_engine(
                settings, begin="BEGIN IMMEDIATE", turns=self.write_turns
            )
            self.read_engine = _sqlite_engine(settings, begin=None)
        else:
            # Two pools, as on SQLite: the reader's connections are in autocommit from the moment
            # each is opened, the writer's begin a transaction with their first statement. One
            # pool with the reader as `execution_options(isolation_level="AUTOCOMMIT")` set the
            # mode on every checkout and put it back on every return, and gave every statement
            # on it SQLAlchemy's event dispatch: ~240,000 instructions of each create and each
            # read, 6% and 12% (bench/RESULTS.md, round 28). The writer as that option engine
            # instead moved the cost to every action (+9%).
            self.write_engine = _postgres_engine(settings)
            self.read_engine = _postgres_engine(settings, isolation_level="AUTOCOMMIT")
        self.writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self.reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # The writer's pool; on SQLite its transactions make their trips on the loop.
        self.request_writer = async_sessionmaker(
            self.write_engine,
            expire_on_commit=False,
            sync_session_class=_TripsHere if settings.is_sqlite else Session,
        )
        # Imported here: the cache reads the models, which import this module.
        from workorders.services.configuration import ConfigCache, RevisionProbe, register

        self.config = ConfigCache()
        register(self.config, self.write_engine.sync_engine, self.read_engine.sync_engine)
        if settings.is_sqlite and (path := _sqlite_file(settings)) is not None:
            self.config.probe = RevisionProbe(path)
        # Called once a session that wrote events has ended; the app and the workers set it.
        self.events_committed: Callable[[], None] = _nobody
        for engine in (self.write_engine, self.read_engine):
            _DATABASES[engine.sync_engine] = weakref.ref(self)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    async def dispose(self) -> None:
        if self.config.probe is not None:
            self.config.probe.close()
        await self.write_engine.dispose()
        if self.read_engine.sync_engine.pool is not self.write_engine.sync_engine.pool:
            await self.read_engine.dispose()


@contextlib.asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session of `sessions` in one transaction: committed when the block ends, rolled back when
    it raises, closed either way. It is `async with sessions() as session, session.begin()` in one
    greenlet of SQLAlchemy's where that takes three and a task: the `BEGIN` is sent with the first
    statement (the session takes its connection then), so beginning needs no greenlet of its own,
    and the commit and the close share one (bench/RESULTS.md, round 21). The commit runs in the
    caller's task, as SQLAlchemy's `begin()` block commits: the connection, with a SQLite writer's
    turn, goes back to the pool as it commits, not a turn of the event loop later. A rollback
    (the block raised, or the commit did, or the caller was cancelled during it) runs in a task of
    its own that the caller's cancellation does not stop, as SQLAlchemy's close on exit: the
    connection goes back to its pool whatever happens to the request.

    A session that wrote events (`wrote_events`) is announced when it ends, rolled back too: in
    PostgreSQL's autocommit a filing's statement has committed its events whatever follows, and a
    needless announcement costs the followers one read."""
    session = sessions()
    sync_session = session.sync_session
    sync_session.begin()  # no I/O: the connection is taken by the first statement
    try:
        yield session
        await session.run_sync(_commit_and_close)
    except BaseException:
        await _to_the_end(session.run_sync(_roll_back_and_close))
        raise
    finally:
        if _EVENTS_WRITTEN in sync_session.info:
            _announce(sync_session)


def _announce(session: Session) -> None:
    bind = session.bind
    known = _DATABASES.get(bind) if isinstance(bind, Engine) else None
    database = known() if known is not None else None
    if database is not None:
        database.events_committed()


def _commit_and_close(session: Session) -> None:
    session.commit()
    session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


async def _to_the_end(work: Coroutine[Any, Any, None]) -> None:
    """`work` in a task of its own, awaited to its end even if the caller is cancelled meanwhile;
    the cancellation is raised once it has ended."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as error:
            if task.done():
                raise
            cancelled = error
        else:
            break
    if cancelled is not None:
        raise cancelled


async def in_one_transaction(session: AsyncSession) -> None:
    """Make the rest of `session`'s work one transaction, committed (or not) with the session.

    A session of PostgreSQL's autocommit engine runs each statement as a transaction of its own; one
    that must hold a lock until a later write (a queue's turn row) begins a transaction here, at the
    engine's own isolation level. Its earlier statements wrote nothing (they are committed already:
    each was its own transaction); the connection goes back to the pool in autocommit. Any other
    session is in a transaction already and is left as it is.
    """
    connection = (await session.connection()).sync_connection
    assert connection is not None  # a session's connection is open
    driver = connection.connection.dbapi_connection
    assert driver is not None
    # PostgreSQL's reader is in autocommit on the driver (its engine's `isolation_level`). SQLite's
    # connections all are, to the driver (`sqlite_driver` sends a writer's BEGIN itself): none of
    # theirs is PostgreSQL's autocommit.
    dialect = connection.dialect
    if dialect.name != "postgresql" or not dialect.detect_autocommit_setting(driver):
        return
    await session.commit()
    await session.connection(
        execution_options={"isolation_level": connection.default_isolation_level}
    )


def write_unawaited_sync(session: Session, statement: Executable, params: Any) -> None:
    """A write whose outcome nobody reads (no rows, no row count), in the session's transaction. On
    SQLite it goes with the connection's next trip, its commit's as a rule (`sqlite_driver.deferred`):
    one trip to aiosqlite's thread fewer. Elsewhere it runs at once. Either way the session's own
    pending changes are flushed first (a Core statement on a table does not flush them), so the
    write comes after them as it would have at commit; on SQLite each in a trip of its own, since
    the ORM reads their row counts (a compare-and-set on a version). Called in a greenlet of
    SQLAlchemy's (`AsyncSession.run_sync`), flush and write run in one: each `await` of the
    session's is a trip into one and back, even a flush with nothing to flush (a filing's, whose
    rows are all Core inserts)."""
    session.flush()
    connection = session.connection()  # a Core statement: the session's ORM layer has no part in it
    if connection.dialect.name != "sqlite":
        connection.execute(statement, params)
        return
    with sqlite_driver.deferred():
        connection.execute(statement, params)


__all__ = [
    "AsyncSession",
    "Base",
    "Database",
    "JSONType",
    "UTCDateTime",
    "in_one_transaction",
    "new_id",
    "utcnow",
]
