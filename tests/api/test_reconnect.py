"""Connections are not pinged on checkout (a round trip per request); one found dead costs one failed
request, after which its pool has thrown away every connection as old as it (PostgreSQL). The reader
and the writer have a pool each: each pool's first request after the drop may fail, no more."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from tests.conftest import POSTGRES_SERVER, Community, FileOrder
from workorders.db import Database


async def test_requests_recover_after_the_database_drops_every_connection(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a SQLite file has no connections to drop")
    order = await file_order(community.owner, "厨房水龙头漏水")
    url = f"/v1/work-orders/{order['id']}"
    database = db.write_engine.url.database
    admin = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()

    statuses = [(await client.get(url, headers=community.owner.headers)).status_code]
    statuses.append((await client.get(url, headers=community.owner.headers)).status_code)
    # At most the first request meets the dead connection (503, retry); the next has a fresh pool.
    assert statuses[0] in (200, 503) and statuses[-1] == 200, statuses
    created = await client.post(
        "/v1/work-orders", json={"description": "又漏了"}, headers=community.owner.headers
    )
    assert created.status_code == 201, created.text
    # The writer's pool (an action's transaction): the same, once.
    escalated = [
        (
            await client.post(
                f"{url}/escalate", json={"reason": "业主催了"}, headers=community.manager.headers
            )
        ).status_code
        for _ in range(2)
    ]
    assert escalated[0] in (200, 503) and escalated[-1] == 200, escalated
