"""The SQLite adapter (`workorders.sqlite_driver`): one trip to aiosqlite's thread per statement, the
same answers as SQLAlchemy's own adapter, and no connection back in the pool holding the write lock."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from workorders import sqlite_driver
from workorders.config import Settings
from workorders.db import Database, transaction


def _engine(
    path: Path, *, here: bool = False, dbapi: sqlite_driver.DBAPI | None = None, **options: Any
) -> AsyncEngine:
    """`here`: its connections may be used from the calling thread (a transaction's trips run here)."""
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}",
        module=dbapi or sqlite_driver.dbapi(),
        connect_args={"timeout": 5, "check_same_thread": not here},
        **options,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions begun by the statements below

    return engine


@contextlib.contextmanager
def _trips() -> Iterator[list[str]]:
    """The functions sent to aiosqlite's threads while the block runs."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = _engine(tmp_path / "driver.db")
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    yield engine
    await engine.dispose()


async def test_a_statement_is_one_trip_and_a_settled_connection_goes_back_without_one(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:  # the pool's first connection is made outside the count
        await conn.exec_driver_sql("SELECT 1")
    with _trips() as sent:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("BEGIN")
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
            rows = (await conn.execute(text("SELECT id, name FROM t"))).all()
            await conn.commit()
    assert rows == [(1, "a")]
    # BEGIN, INSERT, SELECT, COMMIT; no cursor of their own, no fetch, no close, no rollback on return.
    assert sent == ["_run", "_run", "_run", "commit"]


async def test_answers_as_sqlite3_gives_them(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("BEGIN")
        inserted = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert inserted.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE t SET name = upper(name) WHERE id > 1"))
        assert updated.rowcount == 2
        result = await conn.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.all() == [(1, "a"), (2, "B"), (3, "C")]
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id"))
        assert returned.scalar_one() == 4
        # Server-side cursors (`stream`) stay aiosqlite's own.
        streamed = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        assert [row.name async for row in streamed] == ["a", "B", "C", "d"]
        await conn.commit()
    # The driver's errors reach callers as SQLAlchemy's, as through SQLAlchemy's own adapter.
    with pytest.raises(OperationalError, match="no such table"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT * FROM missing"))


async def test_a_cancelled_statement_never_leaves_the_write_lock_in_the_pool(
    tmp_path: Path,
) -> None:
    """A caller cancelled while its `BEGIN IMMEDIATE` waits for the lock: the statement still runs on
    aiosqlite's thread once the lock is free, after the caller has left. Whatever takes the
    connection back (SQLAlchemy hard-closes a connection whose caller was cancelled; the adapter's
    rollback queues behind the pending trip in any case), the lock must not stay taken."""
    path = tmp_path / "cancel.db"
    engine = _engine(path, pool_size=1, max_overflow=0)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = asyncio.Event()

    async def writer() -> None:
        async with engine.connect() as conn:
            started.set()
            await conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits for `holder`

    task = asyncio.create_task(writer())
    await started.wait()
    await asyncio.sleep(0.2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    holder.rollback()  # the waiting BEGIN IMMEDIATE now gets the lock, after its caller left
    holder.close()

    # The pool's one connection, used again, is outside any transaction, and the lock is free.
    async with engine.connect() as conn:
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        await conn.execute(text("INSERT INTO t DEFAULT VALUES"))
        await conn.commit()
    other = sqlite3.connect(path, timeout=1, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    other.close()
    await engine.dispose()


async def test_deferred_statements_ride_with_the_next_trip_in_order(engine: AsyncEngine) -> None:
    # The fixture made the pool's connection: the trips counted are the statements'.
    with _trips() as sent:
        async with engine.connect() as conn:
            with sqlite_driver.deferred():
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
            assert sent == []  # nothing sent yet
            rows = (await conn.execute(text("SELECT name FROM t"))).all()
            with sqlite_driver.deferred():
                await conn.execute(
                    text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
                )
            await conn.commit()
    # The SELECT saw the insert that went before it; the second insert went with the commit.
    assert rows == [("a",)]
    assert sent == ["_run", "_commit"]
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["a", "b", "c"]


async def test_a_rollback_forgets_what_was_held_back_without_a_trip(engine: AsyncEngine) -> None:
    # The fixture made the pool's connection: the trips counted are the statements'.
    with _trips() as sent:
        async with engine.connect() as conn:
            with sqlite_driver.deferred():
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.execute(text("INSERT INTO t (name) VALUES ('never')"))
            await conn.rollback()
    assert sent == []
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    # The write lock was never taken: another writer gets it at once.
    other = sqlite3.connect(engine.url.database or "", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.rollback()
    other.close()


async def test_an_error_of_a_deferred_statement_is_raised_by_the_trip_that_carries_it(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        with sqlite_driver.deferred():
            await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'a')"))
            await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'again')"))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            await conn.execute(text("SELECT 1"))
        await conn.rollback()
    async with engine.connect() as conn:
        with sqlite_driver.deferred():
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            await conn.execute(text("INSERT INTO missing (x) VALUES (1)"))
        with pytest.raises(OperationalError, match="no such table"):
            await conn.commit()
        await conn.rollback()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def _here_engine(path: Path) -> AsyncEngine:
    engine = _engine(path, here=True, pool_size=1, max_overflow=0)
    async with engine.connect() as conn:
        await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        await conn.commit()
    return engine


async def _begin_here(conn: AsyncConnection) -> sqlite3.Connection:
    """The transaction `conn` begins next runs its trips here; returns its sqlite3 connection."""
    driver = (await conn.get_raw_connection()).dbapi_connection
    assert isinstance(driver, sqlite_driver.Connection)
    driver.begin_with_next_trip("BEGIN IMMEDIATE")
    driver.trips_here()
    sqlite: sqlite3.Connection = driver._connection._conn  # type: ignore[attr-defined]
    sqlite.create_function("thread", 0, threading.get_ident)
    return sqlite


async def test_a_transaction_begun_here_runs_on_the_calling_thread(tmp_path: Path) -> None:
    engine = await _here_engine(tmp_path / "here.db")
    with _trips() as sent:
        async with engine.connect() as conn:
            sqlite = await _begin_here(conn)
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
            ran_on = (await conn.execute(text("SELECT thread()"))).scalar_one()
            await conn.commit()
    assert sent == []
    assert ran_on == threading.get_ident()
    # From its first trip here the connection's busy timeout is zero (its trips to the thread set it).
    assert sqlite.execute("PRAGMA busy_timeout").fetchone() == (0,)
    # The next transaction, not begun here, is the thread's again.
    with _trips() as sent:
        async with engine.connect() as conn:
            away = (await conn.execute(text("SELECT thread()"))).scalar_one()
    assert sent == ["_run"]
    assert away != threading.get_ident()
    other = sqlite3.connect(tmp_path / "here.db")
    assert other.execute("SELECT name FROM t").fetchall() == [("a",)]
    other.close()
    await engine.dispose()


async def test_a_trip_here_never_waits_for_the_lock_the_thread_does(tmp_path: Path) -> None:
    engine = await _here_engine(tmp_path / "busy.db")
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer, say
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        async with engine.connect() as conn:
            await _begin_here(conn)
            await conn.execute(text("INSERT INTO t (name) VALUES ('late')"))
            await conn.commit()

    ticker = asyncio.create_task(tick())
    with _trips() as sent:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writing.done()
        ticked_while_waiting = ticks
        holder.rollback()
        await asyncio.wait_for(writing, 5)
    ticker.cancel()
    # The loop ran on while the writer waited: the wait was on aiosqlite's thread, where the trip
    # went when its BEGIN found the lock taken. The commit, the lock taken, ran here.
    assert ticked_while_waiting >= 10
    assert sent == ["_run"]
    holder.close()
    other = sqlite3.connect(tmp_path / "busy.db")
    assert other.execute("SELECT name FROM t").fetchall() == [("late",)]
    other.close()
    await engine.dispose()


async def test_a_connection_that_ran_here_still_waits_for_the_lock_on_the_thread(
    tmp_path: Path,
) -> None:
    """Its busy timeout is zero at rest, but a trip of its to the thread that begins a transaction
    waits for the lock with the connection's timeout, which is zero again after."""
    engine = await _here_engine(tmp_path / "waits.db")  # one connection in its pool
    async with engine.connect() as conn:
        sqlite = await _begin_here(conn)
        await conn.execute(text("INSERT INTO t (name) VALUES ('here')"))
        await conn.commit()
    holder = sqlite3.connect(tmp_path / "waits.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.3, holder.rollback)

    async with engine.connect() as conn:
        started = time.perf_counter()
        await conn.exec_driver_sql("BEGIN IMMEDIATE")  # on the thread: it waits, it is not refused
        waited = time.perf_counter() - started
        await conn.execute(text("INSERT INTO t (name) VALUES ('there')"))
        await conn.commit()
    assert waited >= 0.25
    assert sqlite.execute("PRAGMA busy_timeout").fetchone() == (0,)
    holder.close()
    other = sqlite3.connect(tmp_path / "waits.db")
    assert other.execute("SELECT name FROM t ORDER BY id").fetchall() == [("here",), ("there",)]
    other.close()
    await engine.dispose()


async def test_an_error_here_is_sqlalchemys_and_the_transaction_rolls_back(
    tmp_path: Path,
) -> None:
    engine = await _here_engine(tmp_path / "error.db")
    async with engine.connect() as conn:
        await _begin_here(conn)
        await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'kept?')"))
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'again')"))
        await conn.rollback()
    # The connection went back to the pool outside any transaction: a writer elsewhere gets the lock.
    other = sqlite3.connect(tmp_path / "error.db", timeout=1, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    assert other.execute("SELECT count(*) FROM t").fetchone() == (0,)
    other.rollback()
    other.close()
    await engine.dispose()


async def test_a_trip_that_failed_on_the_thread_leaves_the_next_transaction_here(
    tmp_path: Path,
) -> None:
    """Only a trip whose caller was cancelled may still be running on the thread; one that came back
    with an error is done, and the connection's next transaction begun here runs here."""
    engine = await _here_engine(tmp_path / "failed.db")  # one connection in its pool
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'a')"))
        with pytest.raises(IntegrityError):  # a trip to the thread, come back with an error
            await conn.execute(text("INSERT INTO t (id, name) VALUES (1, 'again')"))
        await conn.rollback()
    with _trips() as sent:
        async with engine.connect() as conn:
            await _begin_here(conn)
            await conn.execute(text("INSERT INTO t (id, name) VALUES (2, 'b')"))
            await conn.commit()
    assert sent == []
    await engine.dispose()


async def test_upkeep_follows_every_nth_commit_on_the_thread_outside_the_transaction(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every `checkpoint_every`-th commit runs the upkeep after it, on aiosqlite's thread, with no
    transaction open; one that fails is logged, and neither the commit nor the next upkeep suffer."""
    seen: list[tuple[bool, bool, int]] = []
    loop_thread = threading.get_ident()

    def upkeep(connection: sqlite3.Connection) -> None:
        (rows,) = connection.execute("SELECT count(*) FROM t").fetchone()
        seen.append((connection.in_transaction, threading.get_ident() == loop_thread, rows))
        if rows == 3:
            raise sqlite3.OperationalError("the upkeep failed")

    engine = _engine(
        tmp_path / "upkeep.db", dbapi=sqlite_driver.dbapi(checkpoint_every=3, upkeep=upkeep)
    )
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        for _ in range(7):  # seven commits of the driver's (the CREATE ran in autocommit)
            async with engine.connect() as conn:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.execute(text("INSERT INTO t DEFAULT VALUES"))
                await conn.commit()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    finally:
        await engine.dispose()
    assert seen == [(False, False, 3), (False, False, 6)]
    assert rows == 7
    assert "upkeep after a commit failed" in caplog.text


async def test_a_requests_transaction_runs_here_savepoints_too_and_a_workers_on_the_thread(
    tmp_path: Path,
) -> None:
    """`Database.request_writer`'s transactions make their trips on the loop's thread, a savepoint
    within one too; `Database.writer`'s (the workers') go to aiosqlite's thread."""
    database = Database(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.db'}"))
    async with database.write_engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    insert = text("INSERT INTO t (name) VALUES (:name)")
    try:
        with _trips() as sent:
            async with transaction(database.request_writer) as session:
                await session.execute(insert, {"name": "a"})
                async with session.begin_nested():
                    await session.execute(insert, {"name": "b"})
                await session.execute(insert, {"name": "c"})
        assert sent == []
        with _trips() as sent:
            async with transaction(database.writer) as session:
                await session.execute(insert, {"name": "d"})
        assert sent
        async with transaction(database.reader) as session:
            names = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars()
            assert list(names) == ["a", "b", "c", "d"]
    finally:
        await database.dispose()
