"""Replicas starting together migrate one at a time (PostgreSQL's advisory lock in migrate.py)."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import pytest

from tests.conftest import POSTGRES_SERVER
from workorders.config import Settings
from workorders.db import Database
from workorders.migrate import current_revisions, head_revisions, upgrade


async def test_two_upgrades_at_once_on_a_fresh_database(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's write lock serializes migrations by itself")
    name = f"workorders_migrate_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    replicas = [
        Database(Settings(database_url=f"postgresql+asyncpg://{POSTGRES_SERVER}/{name}"))
        for _ in range(2)
    ]
    try:
        await asyncio.gather(*(upgrade(replica.write_engine) for replica in replicas))
        async with replicas[0].write_engine.connect() as connection:
            assert await connection.run_sync(current_revisions) == head_revisions()
    finally:
        for replica in replicas:
            await replica.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
