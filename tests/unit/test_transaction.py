"""`db.transaction`: a session in one transaction, committed when its block ends, rolled back when it
raises, closed either way, and ended even when its caller is cancelled meanwhile."""

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


async def test_a_cancelled_caller_waits_for_the_end_then_hears_of_it(database: Database) -> None:
    ending = asyncio.Event()
    release = asyncio.Event()

    def hold_the_commit(_session: Any) -> None:
        ending.set()
        await_(release.wait())  # inside the end's greenlet: the commit waits here

    async def write() -> None:
        async with transaction(database.request_writer) as session:
            event.listen(session.sync_session, "before_commit", hold_the_commit)
            await session.execute(text("INSERT INTO marks (who) VALUES ('committed')"))

    task = asyncio.create_task(write())
    await ending.wait()
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # the cancellation waits for the end
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _marks(database) == ["committed"]
    assert _checked_out(database) == 0
