"""Database plumbing: the declarative base, portable column types, engines and session factories.

SQLite serialises writers. A deferred transaction that reads and then writes fails at once with
SQLITE_BUSY when another writer committed in between, whatever the busy timeout; so on SQLite, requests
that may write begin with `BEGIN IMMEDIATE` (they queue for the write lock up front and the busy timeout
applies), while reads keep plain `BEGIN` and never block a writer under WAL. PostgreSQL needs none of this.

PostgreSQL readers run in autocommit: a read is its statement alone, with no `BEGIN` and `COMMIT` round
trips around it. Every statement still sees one consistent snapshot; the reads that take several (the
feed) are written to be right across snapshots. Connections are not pinged on checkout (that is a round
trip per request): a connection found dead raises a disconnect error, on which SQLAlchemy invalidates
it and every pooled connection older than it, so one request fails and the next gets a fresh one.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import weakref
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy.engine import Dialect

    from workorders.config import Settings

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


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


def _sqlite_engine(settings: Settings, *, begin: str) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see the module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.close()

    if begin != "BEGIN IMMEDIATE":

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql(begin)

        return engine

    turns = _WriteTurns(settings.sqlite_busy_timeout_ms / 1000)
    _TURNS[engine.sync_engine] = turns

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin_writing(connection: Any) -> None:
        # Nothing yet: the write lock is taken at the transaction's first statement that is not
        # the configuration's revision read (`_deferrable`), or by `on_sqlite_thread`.
        connection.info[_READS_BEFORE_LOCK] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before_statement(connection: Any, cursor: Any, statement: str, *_args: Any) -> None:
        info = connection.info
        if _COMMITTED in info and not statement.lstrip().upper().startswith("SELECT"):
            raise InvalidRequestError(
                "this transaction was committed with the order it filed (on_sqlite_thread's "
                f"commit=True): nothing more may be written in it: {statement[:60]!r}"
            )
        if _READS_BEFORE_LOCK not in info:
            return
        if statement == _deferrable(connection.dialect) and hasattr(cursor, "_rows"):
            return  # read outside the lock; read again when it is taken
        await_only(_take_write_lock(connection))

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after_statement(
        connection: Any, cursor: Any, statement: str, parameters: Any, *_args: Any
    ) -> None:
        reads = connection.info.get(_READS_BEFORE_LOCK)
        if reads is not None:
            # The driver adapter's fetched rows, not consumed here: what the caller will read.
            reads.append((statement, parameters, list(cursor._rows)))

    def _ending(how: str) -> Callable[[Any], None]:
        def end(connection: Any) -> None:
            info = connection.info
            info.pop(_READS_BEFORE_LOCK, None)
            info.pop(_COMMITTED, None)
            turn: list[bool] | None = info.pop(_TURN, None)
            if turn is None:
                return
            driver: Any = connection.connection.driver_connection

            def finish(db: sqlite3.Connection) -> None:
                # The COMMIT (or ROLLBACK) and the turn given back on the driver's thread, in one
                # go: the next writer's thread wakes at once, not when this event loop gets to it.
                # SQLAlchemy's own commit then finds no transaction and does nothing.
                try:
                    if db.in_transaction:
                        db.execute(how)
                finally:
                    if turn[0]:
                        turn[0] = False
                        turns.give_back()

            try:
                await_only(driver._execute(finish, driver._conn))
            except sqlite3.Error as error:
                raise DBAPIError.instance(
                    how, None, error, sqlite3.Error, dialect=connection.dialect
                ) from error
            finally:
                if turn[0]:  # the call never ran (a closed connection)
                    turn[0] = False
                    turns.give_back()

        return end

    def _on_checkin(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if record is None:
            return
        # A connection given back without its transaction's end (it failed): its turn ends too.
        record.info.pop(_READS_BEFORE_LOCK, None)
        record.info.pop(_COMMITTED, None)
        turn: list[bool] | None = record.info.pop(_TURN, None)
        if turn is not None and turn[0]:
            turn[0] = False
            turns.give_back()

    event.listen(engine.sync_engine, "commit", _ending("COMMIT"))
    event.listen(engine.sync_engine, "rollback", _ending("ROLLBACK"))
    event.listen(engine.sync_engine, "checkin", _on_checkin)
    event.listen(engine.sync_engine, "invalidate", _on_checkin)
    return engine


_READS_BEFORE_LOCK = "workorders.sqlite.reads_before_lock"
_TURN = "workorders.sqlite.write_turn"
_COMMITTED = "workorders.sqlite.committed_early"
_DEFERRABLE: weakref.WeakKeyDictionary[Dialect, str] = weakref.WeakKeyDictionary()


def _deferrable(dialect: Dialect) -> str:
    """The one statement a writing transaction runs before it takes the write lock: the
    configuration's revision read (`configuration._REVISION`), which a create makes first and then
    spends its routing, its deadlines and its body on, none of which needs the lock."""
    sql = _DEFERRABLE.get(dialect)
    if sql is None:
        # configuration's own statement (built once there), so that the two cannot drift apart.
        from workorders.services.configuration import _REVISION

        sql = _DEFERRABLE[dialect] = str(_REVISION.compile(dialect=dialect))
    return sql


def _show(connection: Any, statements: Sequence[str]) -> None:
    """Statements run on the driver's thread, shown to the engine's `before_cursor_execute`
    listeners (the statement counts of tests/api/test_statement_counts.py, a benchmark's probe)."""
    for statement in statements:
        for listen in connection.dispatch.before_cursor_execute:
            listen(connection, None, statement, (), None, False)


async def _take_write_lock(
    connection: Any,
    work: Callable[[sqlite3.Connection], T] | None = None,
    statements: Sequence[str] = (),
    *,
    commit: bool = False,
) -> T | None:
    """In one call on the driver's thread: this process's turn (`_WriteTurns`), `BEGIN IMMEDIATE`,
    the reads made before it made again under the lock, `work` if given and, with `commit`, the
    `COMMIT` and the turn given back. A read whose answer moved in between (a configuration edit
    committed) fails the transaction with nothing written, as a database that cannot serve it
    would (`OperationalError`, a 503 the client retries)."""
    info = connection.info
    reads: list[tuple[str, Any, list[Any]]] = info.pop(_READS_BEFORE_LOCK)
    turns = _TURNS[connection.engine]
    # Set before the call: a cancelled caller's turn is still given back, by the transaction's
    # end, which runs on the same thread after this call.
    turn = info[_TURN] = [False]
    driver: Any = connection.connection.driver_connection  # aiosqlite.Connection

    def begin(db: sqlite3.Connection) -> tuple[bool, T | None]:
        turns.take()
        turn[0] = True
        try:
            db.execute("BEGIN IMMEDIATE")
            for statement, parameters, rows in reads:
                if db.execute(statement, parameters).fetchall() != rows:
                    db.execute("ROLLBACK")
                    return False, None
            result = work(db) if work is not None else None
            if commit:
                db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            if turn[0] and (commit or not db.in_transaction):
                turn[0] = False
                turns.give_back()
        return True, result

    _show(connection, ("BEGIN IMMEDIATE", *statements))
    try:
        began, result = await driver._execute(begin, driver._conn)
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            "BEGIN IMMEDIATE", None, error, sqlite3.Error, dialect=connection.dialect
        ) from error
    if not began:
        moved = sqlite3.OperationalError("what this transaction read moved before it could write")
        raise DBAPIError.instance(reads[0][0], reads[0][1], moved, sqlite3.Error)
    if commit:
        info[_COMMITTED] = True
        del info[_TURN]  # given back already, on the driver's thread
    return result


class _WriteTurns:
    """This process's writers queue for SQLite's write lock here, first come first served, on the
    driver's threads, right before `BEGIN IMMEDIATE`; the turn is given back there right after the
    `COMMIT` (or `ROLLBACK`), and the next writer's thread goes on at once.

    SQLite's own queue is no queue: a writer that finds the lock taken sleeps in its busy handler
    (1, 2, 5, 10 … up to 100 ms between tries) and retries, so under load the lock stands free
    while writers sleep, a late writer often takes it before one that has waited seconds, and
    waits reached the 2 s clients give up at. Only one of this process's connections at a time
    asks SQLite for the lock, so SQLite's busy handler is left arbitrating between processes. A
    turn not had within the busy timeout fails as SQLite's does ("database is locked")."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Lock] = deque()

    def take(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            mine = threading.Lock()
            mine.acquire()
            self._waiting.append(mine)
        if mine.acquire(timeout=self.timeout):
            return  # handed over by `give_back`
        with self._mutex:
            if mine in self._waiting:
                self._waiting.remove(mine)
                raise sqlite3.OperationalError("database is locked")
        # Handed over between the timeout and the mutex: it is this writer's after all.

    def give_back(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()  # held still, by the next in line
            else:
                self._held = False


_TURNS: weakref.WeakKeyDictionary[Any, _WriteTurns] = weakref.WeakKeyDictionary()


class Database:
    """The engines and session factories of one process.

    `writer` sessions are for requests that may change something, `reader` sessions for the rest; on
    PostgreSQL both come from the same pool.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.is_sqlite:
            self.write_engine = _sqlite_engine(settings, begin="BEGIN IMMEDIATE")
            self.read_engine = _sqlite_engine(settings, begin="BEGIN")
        else:
            self.write_engine = create_async_engine(
                settings.database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
            # The same pool; only the transaction mode differs (set on the driver, no round trip).
            self.read_engine = self.write_engine.execution_options(isolation_level="AUTOCOMMIT")
        self.writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self.reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # Imported here: the cache reads the models, which import this module.
        from workorders.services.configuration import ConfigCache, register

        self.config = ConfigCache()
        register(self.config, self.write_engine.sync_engine, self.read_engine.sync_engine)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine.sync_engine.pool is not self.write_engine.sync_engine.pool:
            await self.read_engine.dispose()


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
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        return
    await session.commit()
    await session.connection(
        execution_options={"isolation_level": connection.default_isolation_level}
    )


async def on_sqlite_thread(
    session: AsyncSession,
    work: Callable[[sqlite3.Connection], T],
    *,
    statements: Sequence[str],
    commit: bool = False,
) -> T:
    """Run `work` with the session's SQLite connection, in its transaction, on the driver's thread, as
    one call: aiosqlite hands every cursor call (open, execute, fetch, close) to that thread and
    back, so each statement through SQLAlchemy waits three or four times for the event loop, which
    under load is busy with other requests; inside a writing transaction every one of those waits
    holds SQLite's one write lock. A writing transaction that has not taken the lock yet takes it
    in the same call (`BEGIN IMMEDIATE`, its earlier reads checked). `work` runs `statements`,
    compiled beforehand with their values bound (the driver's parameters), which the engine's
    `before_cursor_execute` listeners are shown; a driver error is raised as SQLAlchemy's
    (`DBAPIError`), as a statement's would be. Not for PostgreSQL.

    `commit`: when this call takes the lock (the transaction has written nothing yet), it commits
    too, so the lock is held for the call alone and never across a wait for the event loop; the
    session's transaction may then still read, but a statement that writes is refused. Without it,
    or when the lock was taken before, the session's transaction commits as usual."""
    connection = (await session.connection()).sync_connection
    assert connection is not None  # a session's connection is open
    if _READS_BEFORE_LOCK in connection.info:
        return cast(T, await _take_write_lock(connection, work, statements, commit=commit))
    _show(connection, statements)
    driver: Any = connection.connection.driver_connection  # aiosqlite.Connection
    try:
        # aiosqlite's queue to its thread (`_execute`), the one way to run code there.
        result: T = await driver._execute(work, driver._conn)
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            statements[0] if statements else None,
            None,
            error,
            sqlite3.Error,
            dialect=connection.dialect,
        ) from error
    return result


__all__ = [
    "AsyncSession",
    "Base",
    "Database",
    "JSONType",
    "UTCDateTime",
    "in_one_transaction",
    "new_id",
    "on_sqlite_thread",
    "utcnow",
]
