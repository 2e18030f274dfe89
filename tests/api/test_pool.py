"""Connections are kept, not opened per request: under a steady load the pools hold what it needs.

A pool smaller than a process's requests in flight opens an overflow connection for each request past
its size and closes it again when it comes back: a new PostgreSQL backend, or on SQLite a new thread
of aiosqlite's, the file opened and its pragmas run, for every such request. On SQLite that was most
of a request's CPU at 16 in flight (bench/RESULTS.md, round 16), because its engines were built with
SQLAlchemy's default pool (5, 10 overflow) instead of the configured one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Community, FileOrder
from workorders.config import Settings
from workorders.db import Database, in_one_transaction, transaction

IN_FLIGHT = 8  # reads and as many actions: 16 requests in flight, as in the benchmarks


async def test_both_databases_pools_are_the_configured_size(settings: Settings) -> None:
    database = Database(settings.model_copy(update={"db_pool_size": 17, "db_max_overflow": 3}))
    try:
        for engine in (database.write_engine, database.read_engine):
            pool: Any = engine.sync_engine.pool
            assert (pool.size(), pool._max_overflow) == (17, 3)
    finally:
        await database.dispose()


async def _heard_by_notify(db: Database) -> None:
    """PostgreSQL: until the process's listener is connected. A test before may have dropped every
    connection (test_reconnect.py); the listener comes back on its own later and then forgets the
    cached configuration, whose reload between the bursts would take connections of its own."""
    if db.dialect != "postgresql":
        return
    async with asyncio.timeout(10):
        while not db.config.trusted():  # noqa: ASYNC110 - the signal offers no event to wait on
            await asyncio.sleep(0.05)


async def test_a_second_burst_of_requests_opens_no_connection(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    await _heard_by_notify(db)
    c = community
    orders = [await file_order(c.owner, f"{n} 号楼走廊灯不亮") for n in range(IN_FLIGHT)]
    opened: list[str] = []

    def connected(_dbapi_connection: Any, _record: Any) -> None:
        opened.append("connect")

    async def burst() -> None:
        reads = [
            client.get(f"/v1/work-orders/{order['id']}", headers=c.owner.headers)
            for order in orders
        ]
        escalations = [
            client.post(
                f"/v1/work-orders/{order['id']}/escalate",
                json={"reason": "业主催了"},
                headers=c.manager.headers,
            )
            for order in orders
        ]
        for response in await asyncio.gather(*reads, *escalations):
            assert response.status_code == 200, response.text

    await burst()  # the pools grow to what the load needs
    engines = {id(e.sync_engine.pool): e.sync_engine for e in (db.write_engine, db.read_engine)}
    for engine in engines.values():
        event.listen(engine, "connect", connected)
    try:
        await burst()
    finally:
        for engine in engines.values():
            event.remove(engine, "connect", connected)
    assert opened == []


async def test_a_reader_runs_each_statement_on_its_own_until_it_asks_for_one_transaction(
    db: Database,
) -> None:
    """PostgreSQL's reader and writer have a pool each: the reader's connections are in autocommit
    from their opening, the writer's begin a transaction. `in_one_transaction` makes the rest of a
    reader's session one transaction (automatic dispatch's queue turn, taken in autocommit filing),
    and its connection goes back to the pool in autocommit again."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite's transactions are its driver's (tests/unit/test_sqlite_driver.py)")
    xid = text("SELECT pg_current_xact_id()::text")  # the transaction's id, one given if none yet

    async def two(session: AsyncSession) -> tuple[str, str]:
        return (
            (await session.execute(xid)).scalar_one(),
            (await session.execute(xid)).scalar_one(),
        )

    async with transaction(db.reader) as session:
        first, second = await two(session)
        assert first != second  # each statement a transaction of its own
        await in_one_transaction(session)
        third, fourth = await two(session)
        assert third == fourth and third not in (first, second)
        held = (await session.connection()).sync_connection
        assert held is not None
        driver = held.connection.dbapi_connection
    # Back in the pool, the connection is in autocommit again.
    assert db.read_engine.dialect.detect_autocommit_setting(driver)
    async with transaction(db.writer) as session:
        first, second = await two(session)
        await in_one_transaction(session)  # a writer is in one already: left as it is
        third, _ = await two(session)
        assert first == second == third
