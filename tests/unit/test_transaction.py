"""`db.transaction`: a session in one transaction, committed when its block ends, rolled back when it
raises, closed either way; a rollback runs to its end even when its caller is cancelled meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.util import await_

from workorders.config import Settings
from workorders.db import Database, transaction


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'tx.db'}"))
    async with transaction(database.writer) as session:
        await session.execute(text("CREATE TABLE marks (who TEXT NOT NULL)"))
    yield database
    await database.dispose()


async def _marks(database: Database) -> list[str]:
    async with transaction(database.reader) as session:
        rows = await session.execute(text("SELECT who FROM marks ORDER BY rowid"))
        return list(rows.scalars())


def _checked_out(database: Database) -> int:
    pool: Any = database.write_engine.sync_engine.pool
    return int(pool.checkedout())


async def _write_and_refuse(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        await session.execute(text("INSERT INTO marks (who) VALUES ('undone')"))
        raise RuntimeError("refused")


async def test_the_block_commits_when_it_ends_and_rolls_back_when_it_raises(
    database: Database,
) -> None:
    for sessions in (database.request_writer, database.writer):
        async with transaction(sessions) as session:
            await session.execute(text("INSERT INTO marks (who) VALUES ('kept')"))
        with pytest.raises(RuntimeError, match="refused"):
            await _write_and_refuse(sessions)
    assert await _marks(database) == ["kept", "kept"]
    assert _checked_out(database) == 0
    # The write turns went back with the connections: a third writer gets one at once.
    async with asyncio.timeout(1), transaction(database.request_writer) as session:
        await session.execute(text("INSERT INTO marks (who) VALUES ('next')"))
    assert await _marks(database) == ["kept", "kept", "next"]


async def _cancelled_while_held(database: Database, when: str, *, refuse: bool) -> bool:
    """A request's transaction whose `when` (a session event) waits until released, its task
    cancelled meanwhile; `refuse`: the block raises, so the transaction ends in a rollback. Whether
    the task was still running, waiting for the transaction's end, 50 ms after its cancellation."""
    held = asyncio.Event()
    release = asyncio.Event()

    def hold(*_: Any) -> None:
        held.set()
        await_(release.wait())  # inside the greenlet that ends the transaction

    async def write() -> None:
        async with transaction(database.request_writer) as session:
            event.listen(session.sync_session, when, hold)
            await session.execute(text("INSERT INTO marks (who) VALUES ('written')"))
            if refuse:
                raise RuntimeError("refused")

    task = asyncio.create_task(write())
    await held.wait()
    task.cancel()
    await asyncio.sleep(0.05)
    running = not task.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    return running


async def test_a_rollback_runs_to_its_end_though_the_caller_is_cancelled(
    database: Database,
) -> None:
    assert await _cancelled_while_held(database, "after_rollback", refuse=True)
    assert await _marks(database) == []
    assert _checked_out(database) == 0


async def test_a_commit_cut_short_by_a_cancellation_is_rolled_back(database: Database) -> None:
    """As in SQLAlchemy's `begin()` block, the commit runs in the caller's task: cancelled during
    it, the caller hears of it at once, and the rollback that follows runs to its end."""
    assert not await _cancelled_while_held(database, "before_commit", refuse=False)
    assert await _marks(database) == []
    assert _checked_out(database) == 0
