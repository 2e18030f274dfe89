"""The number of SQL statements the hot paths run, pinned: a change that adds a round trip to filing,
reading, listing or acting on an order fails here and has to say why (bench/RESULTS.md has the
figures behind each). Counted with SQLAlchemy's `before_cursor_execute`; on SQLite that includes the
`BEGIN IMMEDIATE` a writer issues itself (readers run in autocommit), on PostgreSQL asyncpg's
BEGIN/COMMIT are not statements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from tests.conftest import Community, FileOrder
from workorders.db import Database

# (SQLite, PostgreSQL) statements per request, configuration cached. On SQLite every request first
# checks its token against the directory in a read of its own (the property's revision: without
# NOTIFY the cache is never trusted); on PostgreSQL the cache hears NOTIFY and that check costs
# nothing. Create on SQLite: BEGIN IMMEDIATE, the property (the revision check filing needs), then
# the number, the order and its event; on PostgreSQL all of it is one statement, which also checks
# the revision (services/filing.py); routing's rules and model come from the cache. Read and list:
# the one SELECT (readers in autocommit on both). Action: the order, the compare-and-set, the event
# (and BEGIN IMMEDIATE on SQLite).
EXPECTED = {
    "create": (6, 1),
    "read": (2, 1),
    "list": (2, 1),
    "action": (5, 3),
}


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    # One listener per pool: PostgreSQL's reader shares the writer's engine (and its events).
    engines: dict[int, Any] = {}
    for engine in (db.write_engine, db.read_engine):
        engines.setdefault(id(engine.sync_engine.pool), engine.sync_engine)
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", note)


async def test_the_hot_paths_run_a_pinned_number_of_statements(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    c = community
    column = 0 if db.dialect == "sqlite" else 1
    await file_order(c.owner, "厨房水龙头漏水")  # the configuration is loaded and cached once

    with counting(db) as create:
        order = await file_order(c.owner, "厨房水龙头漏水")
    with counting(db) as read:
        response = await client.get(f"/v1/work-orders/{order['id']}", headers=c.owner.headers)
        assert response.status_code == 200
    with counting(db) as listed:
        response = await client.get("/v1/work-orders?limit=20", headers=c.owner.headers)
        assert response.status_code == 200
    with counting(db) as action:
        response = await client.post(
            f"/v1/work-orders/{order['id']}/escalate",
            json={"reason": "业主催了"},
            headers=c.manager.headers,
        )
        assert response.status_code == 200, response.text

    counted = {"create": create, "read": read, "list": listed, "action": action}
    actual = {name: len(statements) for name, statements in counted.items()}
    expected = {name: pinned[column] for name, pinned in EXPECTED.items()}
    assert actual == expected, counted
