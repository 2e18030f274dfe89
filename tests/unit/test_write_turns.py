"""SQLite's writers of one process take the write lock in turn (`db.WriteTurns`).

Each test builds its own SQLite database with one table: what is under test is the engine, not the
service. The service's own traffic runs through the same engines in every API test.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from workorders import db
from workorders.config import Settings
from workorders.db import Database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}",
            sqlite_busy_timeout_ms=2_000,
        )
    )
    async with database.writer() as session:
        await session.execute(text("CREATE TABLE marks (who TEXT NOT NULL)"))
        await session.commit()
    yield database
    await database.dispose()


async def _mark(
    database: Database,
    who: str,
    entered: list[str],
    hold: asyncio.Event,
    inside: asyncio.Event | None = None,
    *,
    request: bool = False,
) -> None:
    """`request`: a request's writer, whose statements run on the loop's thread (`sqlite_driver`)."""
    sessions = database.request_writer if request else database.writer
    async with sessions() as session:
        await session.execute(text("INSERT INTO marks (who) VALUES (:who)"), {"who": who})
        entered.append(who)
        if inside is not None:
            inside.set()
        await hold.wait()
        await session.commit()


async def _waiting_for_a_turn(database: Database, count: int) -> None:
    """Until `count` writers wait behind the one holding the lock."""
    for _ in range(200):
        if database.write_turns.waiting == count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{count} writers never queued")


@pytest.mark.parametrize("request_writers", [False, True], ids=["workers", "requests"])
async def test_writers_enter_in_the_order_they_asked(
    database: Database, request_writers: bool
) -> None:
    entered: list[str] = []
    first_holds = asyncio.Event()
    go = asyncio.Event()
    go.set()
    first_inside = asyncio.Event()
    first = asyncio.create_task(
        _mark(database, "first", entered, first_holds, first_inside, request=request_writers)
    )
    await first_inside.wait()
    later = []
    for number, who in enumerate(["b", "c", "d", "e", "f"], start=1):
        later.append(
            asyncio.create_task(_mark(database, who, entered, go, request=request_writers))
        )
        await _waiting_for_a_turn(database, number)
    # Every later writer waits in the process's queue, none in SQLite's busy handler.
    assert entered == ["first"]
    first_holds.set()
    await asyncio.gather(first, *later)
    assert entered == ["first", "b", "c", "d", "e", "f"]
    async with database.reader() as session:
        rows = (await session.execute(text("SELECT count(*) FROM marks"))).scalar_one()
    assert rows == 6


async def _insert_then_fail(database: Database) -> None:
    async with database.writer() as session:
        await session.execute(text("INSERT INTO marks (who) VALUES ('gone')"))
        raise RuntimeError("changed its mind")


async def test_a_rolled_back_writer_gives_its_turn_back(database: Database) -> None:
    with pytest.raises(RuntimeError, match="changed its mind"):
        await _insert_then_fail(database)
    async with asyncio.timeout(1):
        async with database.writer() as session:
            await session.execute(text("INSERT INTO marks (who) VALUES ('next')"))
            await session.commit()
    async with database.reader() as session:
        kept = (await session.execute(text("SELECT who FROM marks"))).scalars().all()
    assert kept == ["next"]


async def test_an_invalidated_connection_gives_its_turn_back(database: Database) -> None:
    async with database.writer() as session:
        await session.execute(text("INSERT INTO marks (who) VALUES ('lost')"))
        connection = await session.connection()
        await connection.invalidate()
    async with asyncio.timeout(1):
        async with database.writer() as session:
            await session.execute(text("INSERT INTO marks (who) VALUES ('next')"))
            await session.commit()


async def test_a_writer_that_waits_past_the_busy_timeout_fails_instead_of_hanging(
    tmp_path: Path,
) -> None:
    database = Database(
        Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}", sqlite_busy_timeout_ms=100
        )
    )
    try:
        async with database.writer() as holder:
            await holder.execute(text("CREATE TABLE marks (who TEXT NOT NULL)"))
            with pytest.raises(TimeoutError):
                async with database.writer() as late:
                    await late.execute(text("INSERT INTO marks (who) VALUES ('late')"))
            await holder.commit()
        # The holder's turn ended with its transaction; the queue is free again.
        async with database.writer() as session:
            await session.execute(text("INSERT INTO marks (who) VALUES ('later')"))
            await session.commit()
    finally:
        await database.dispose()


async def test_a_connection_keeps_its_turn_across_its_own_transactions(database: Database) -> None:
    async with asyncio.timeout(1), database.write_engine.connect() as connection:
        for who in ("first", "second"):
            await connection.execute(text("INSERT INTO marks (who) VALUES (:who)"), {"who": who})
            await connection.commit()
    async with asyncio.timeout(1), database.writer() as session:
        await session.execute(text("INSERT INTO marks (who) VALUES ('after')"))
        await session.commit()
    async with database.reader() as session:
        rows = (await session.execute(text("SELECT who FROM marks ORDER BY rowid"))).scalars().all()
    assert rows == ["first", "second", "after"]


async def test_readers_do_not_wait_for_a_writer(database: Database) -> None:
    async with database.writer() as holder:
        await holder.execute(text("INSERT INTO marks (who) VALUES ('held')"))
        async with asyncio.timeout(1), database.reader() as reader:
            seen = (await reader.execute(text("SELECT count(*) FROM marks"))).scalar_one()
        assert seen == 0  # WAL: the reader sees the last commit, the writer is not disturbed
        await holder.commit()


def _turns() -> dict[str, float]:
    """The write turns' metrics as the registry holds them now (counts and summed seconds)."""
    names = ("wait", "held")
    return {
        f"{name}_{part}": REGISTRY.get_sample_value(
            f"workorders_sqlite_write_turn_{name}_seconds_{part}"
        )
        or 0.0
        for name in names
        for part in ("count", "sum")
    }


async def test_each_turn_is_timed_from_its_wait_to_its_return(database: Database) -> None:
    before = _turns()
    entered: list[str] = []
    holds = asyncio.Event()
    first_inside = asyncio.Event()
    first = asyncio.create_task(_mark(database, "first", entered, holds, first_inside))
    await first_inside.wait()
    second = asyncio.create_task(_mark(database, "second", entered, asyncio.Event()))
    await _waiting_for_a_turn(database, 1)
    await asyncio.sleep(0.2)  # the first holds its turn, the second waits for it
    holds.set()
    await first
    # The second was given `hold` of its own, never set: it holds its turn until cancelled.
    await _waiting_for_a_turn(database, 0)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    after = _turns()
    assert after["wait_count"] - before["wait_count"] == 2
    assert after["held_count"] - before["held_count"] == 2
    # The first held for the 0.2 s the second waited through; neither wait nor hold is counted twice.
    assert 0.2 <= after["wait_sum"] - before["wait_sum"] < 1.0
    assert 0.2 <= after["held_sum"] - before["held_sum"] < 1.0


async def test_a_requests_writes_make_no_trip_to_aiosqlites_thread(database: Database) -> None:
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    async with database.request_writer() as session:  # its connection made outside the count
        await session.execute(text("SELECT 1"))
    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        async with database.request_writer() as session, session.begin():
            await session.execute(text("INSERT INTO marks (who) VALUES ('here')"))
        async with database.writer() as session, session.begin():
            await session.execute(text("INSERT INTO marks (who) VALUES ('there')"))
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]
    assert sent == ["_run", "commit"]  # the worker's writer alone: its statement, its commit
    async with database.reader() as session:
        rows = (await session.execute(text("SELECT who FROM marks ORDER BY rowid"))).scalars().all()
    assert rows == ["here", "there"]


async def _fill_the_wal(path: Path, commits: int) -> int:
    """The WAL's size after `commits` commits of a request's writer."""
    database = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
    try:
        async with database.writer() as session:
            await session.execute(text("CREATE TABLE notes (body TEXT NOT NULL)"))
            await session.commit()
        for _ in range(commits):
            async with database.request_writer() as session, session.begin():
                await session.execute(
                    text("INSERT INTO notes (body) VALUES (:body)"), {"body": "x" * 3000}
                )
        return await asyncio.to_thread(os.path.getsize, f"{path}-wal")
    finally:
        await database.dispose()


async def test_writers_checkpoint_the_wal_themselves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's commits run on the loop's thread, where SQLite's automatic checkpoint would hold
    the loop: the writers' connections have it off and checkpoint every `CHECKPOINT_EVERY` commits
    on aiosqlite's thread instead (`sqlite_driver`), under their turn, so the WAL starts over."""
    commits = 8 * db.CHECKPOINT_EVERY
    checkpointed = await _fill_the_wal(tmp_path / "checkpointed.db", commits)
    # Without those checkpoints the WAL takes every commit: SQLite's own are off too.
    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 10 * commits)
    grown = await _fill_the_wal(tmp_path / "grown.db", commits)
    assert grown > commits * 4096  # a page at least a commit
    assert checkpointed < grown / 3, (checkpointed, grown)


async def test_writers_in_turn_use_one_connection(database: Database) -> None:
    """The turn comes before the connection, and the pool hands out the one given back last: a
    connection whose page cache another's commit has not emptied (`WriteTurns`)."""
    used: set[int] = set()

    async def write(who: str) -> None:
        async with database.request_writer() as session, session.begin():
            await session.execute(text("INSERT INTO marks (who) VALUES (:who)"), {"who": who})
            raw = await (await session.connection()).get_raw_connection()
            used.add(id(raw.dbapi_connection))
            await asyncio.sleep(0.001)  # the others queue for their turns meanwhile

    await asyncio.gather(*(write(f"w{n}") for n in range(12)))
    await asyncio.gather(*(write(f"v{n}") for n in range(12)))
    assert len(used) == 1
    assert database.write_engine.sync_engine.pool.checkedout() == 0
    async with database.reader() as session:
        rows = (await session.execute(text("SELECT count(*) FROM marks"))).scalar_one()
    assert rows == 24


async def test_connections_keep_temporary_tables_in_memory_and_map_the_file(
    database: Database,
) -> None:
    """An INSERT … SELECT … RETURNING puts its rows in a temporary table first; in a file (SQLite's
    default) every filing created, wrote, unlinked and closed one on the loop's thread. Pages are
    read through a map of the file, not a read() each (`db._sqlite_engine`)."""
    for sessions in (database.request_writer, database.writer, database.reader):
        async with sessions() as session:
            stored = (await session.execute(text("PRAGMA temp_store"))).scalar_one()
            mapped = (await session.execute(text("PRAGMA mmap_size"))).scalar_one()
        assert (stored, mapped) == (2, db.SQLITE_MMAP_BYTES)  # 2: MEMORY
