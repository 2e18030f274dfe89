"""SQLite's write lock (db.py): a writing transaction takes it at its first statement other than the
configuration's revision read, and reads that revision again under it. A create spends its routing
and its body between that read and its write without holding the lock; an edit committed in that
time fails the transaction with nothing written (a 503 the client retries), never files an order
under a configuration that has moved on."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import InvalidRequestError, OperationalError

from workorders.db import Database, on_sqlite_thread
from workorders.models import Owner, Property
from workorders.services import configuration


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if db.dialect != "sqlite":
        pytest.skip("SQLite's write lock only")
    return db


async def _revision(db: Database) -> int:
    async with db.reader() as session, session.begin():
        return int(
            await session.scalar(select(Property.config_revision).where(Property.id == "default"))
            or 0
        )


async def test_another_writer_commits_between_the_revision_read_and_the_write(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    async with db.writer() as first, first.begin():
        await configuration.snapshot(first, "default", verify=True)
        # The lock is not held yet: another writer commits meanwhile, without waiting.
        async with db.writer() as second, second.begin():
            await second.execute(select(func.count()).select_from(Owner))
        # Its own write then takes the lock; the revision it read has not moved.
        await first.execute(
            update(Property).where(Property.id == "default").values(name=Property.name)
        )


async def test_an_edit_committed_between_the_revision_read_and_the_write_fails_it(
    sqlite_db: Database,
) -> None:
    db = sqlite_db
    before = await _revision(db)
    async with db.writer() as first, first.begin():
        await configuration.snapshot(first, "default", verify=True)
        async with db.writer() as edit, edit.begin():
            await configuration.touch(edit, "default")
        with pytest.raises(OperationalError):
            await first.execute(
                update(Property)
                .where(Property.id == "default")
                .values(config_revision=Property.config_revision + 100)
            )
    assert await _revision(db) == before + 1  # the edit's, and nothing of the failed one


async def test_writers_of_one_process_take_the_lock_in_turn(sqlite_db: Database) -> None:
    """Writers queue in the process, not in SQLite's busy handler: each waits for the one before
    to commit, and none fails."""
    db = sqlite_db
    order: list[int] = []

    async def write(index: int) -> None:
        async with db.writer() as session, session.begin():
            await session.execute(
                update(Property).where(Property.id == "default").values(name=Property.name)
            )
            order.append(index)
            await asyncio.sleep(0.01)  # holds the lock across a wait for the loop

    await asyncio.gather(*(write(i) for i in range(8)))
    assert sorted(order) == list(range(8))


async def test_a_write_committed_in_its_own_call_holds_the_lock_for_that_call_alone(
    sqlite_db: Database,
) -> None:
    """`on_sqlite_thread(commit=True)` in a transaction that has written nothing: taken, written and
    committed in the call; another writer then goes on before the session ends, and the session
    may still read but no longer write."""
    db = sqlite_db

    def rename(connection: sqlite3.Connection) -> int:
        cursor = connection.execute("UPDATE properties SET name = name || '!' WHERE id = 'default'")
        return cursor.rowcount

    async with db.writer() as first, first.begin():
        await configuration.snapshot(first, "default", verify=True)
        changed = await on_sqlite_thread(
            first, rename, statements=("UPDATE properties …",), commit=True
        )
        assert changed == 1
        async with db.writer() as second, second.begin():  # would wait for `first` otherwise
            name = await second.scalar(select(Property.name).where(Property.id == "default"))
        assert name is not None and name.endswith("!")
        assert await first.scalar(select(func.count()).select_from(Owner)) is not None
        with pytest.raises(InvalidRequestError):
            await first.execute(
                update(Property).where(Property.id == "default").values(name=Property.name)
            )
