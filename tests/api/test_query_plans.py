"""The plans PostgreSQL makes for the hot reads, whatever its statistics say.

Statistics taken when a table was nearly empty, as on a new property's database or in the
benchmarks' fresh ones, outlive a burst of filings until autovacuum analyses the table again. Under
them PostgreSQL priced the indexes the visibility test could use the same as the primary key and
read every order of the owner to find one (0.8 ms of the database's CPU for each read: bench/
RESULTS.md, round 12). Here the table is vacuumed and analysed with the owner's one order, 3,000
copies of it are then inserted by SQL, and the plans are run with EXPLAIN ANALYZE.

The owner's page reads one page in this state with the old index too (PostgreSQL walks the
property's newest orders); the (property_id, owner_id, created_at, id) index of migration 0015 is
for the state the benchmark met, where the old one read and sorted all 5,000.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text, true
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import Community, FileOrder
from workorders.db import Database
from workorders.domain.actors import Department, Principal, Role
from workorders.services import access, feed
from workorders.services.listing import ORDERINGS, Sort
from workorders.services.pagination import fetch_rows

BURST = 3000

# Copies of one order under new ids and numbers: its owner's burst of filings.
COPIES = text(
    "INSERT INTO work_orders SELECT (jsonb_populate_record(NULL::work_orders, to_jsonb(w) "
    "|| jsonb_build_object('id', w.id || '_' || g, 'number', w.number || '_' || g))).* "
    "FROM work_orders w, generate_series(1, :count) g WHERE w.id = :id"
)


async def _plan(
    connection: AsyncConnection, query: Any, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """The nodes of the plan PostgreSQL makes for `query` with these values written into it, run
    (EXPLAIN ANALYZE)."""
    sql = query.params(**params).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    plan = (await connection.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))).scalar_one()
    return plan_nodes(plan)


def plan_nodes(plan: Any) -> list[dict[str, Any]]:
    """Every node of an `EXPLAIN (FORMAT JSON)` plan, as the driver returned it (text or parsed)."""
    nodes: list[dict[str, Any]] = []
    stack = [(json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def _read(nodes: list[dict[str, Any]]) -> int:
    """How many rows of the table the plan's scans read, those their filters threw away included."""
    scans = [n for n in nodes if "Relation Name" in n]
    return sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) for n in scans)


@pytest.fixture
async def burst(db: Database, community: Community, file_order: FileOrder) -> str:
    if db.dialect != "postgresql":
        pytest.skip("the query planner is PostgreSQL's")
    order = await file_order(community.owner, "厨房水龙头漏水")
    async with db.read_engine.connect() as connection:
        # The statistics of the table as it was before the burst: the owner's one order.
        await connection.execute(text("VACUUM ANALYZE work_orders"))
    async with db.write_engine.begin() as connection:
        await connection.execute(COPIES, {"count": BURST, "id": order["id"]})
    return str(order["id"])


async def test_one_order_is_read_alone_whoever_asks(
    db: Database, community: Community, burst: str
) -> None:
    c = community
    readers = [
        Principal(Role.OWNER, "default", c.owner.id),
        Principal(Role.MANAGER, "default", c.manager.id),
        Principal(Role.STAFF, "default", c.engineer.id, Department.ENGINEERING),
    ]
    async with db.read_engine.connect() as connection:
        for principal in readers:
            for query, params in (
                access.visible_row(principal, burst),  # to present it
                access.visible_order(principal, burst),  # to change it
            ):
                nodes = await _plan(connection, query, params)
                assert _read(nodes) == 1, (principal, nodes)


async def test_an_owner_s_page_reads_one_page_in_order(
    db: Database, community: Community, burst: str
) -> None:
    owner = Principal(Role.OWNER, "default", community.owner.id)
    query, params = access.visible_rows(owner)
    ordering = ORDERINGS[Sort.NEWEST]
    async with db.read_engine.connect() as connection:
        nodes = await _plan(connection, query.order_by(*ordering.order_by).limit(21), params)
        assert not [n for n in nodes if n["Node Type"] == "Sort"], nodes
        assert _read(nodes) == 21, nodes
        # The service's own page query: 20, and a cursor because there are more.
        rows, cursor = await fetch_rows(
            connection, query, ordering, limit=20, cursor=None, params=params
        )
    assert len(rows) == 20
    assert cursor is not None


# Copies of one event under new ids, in later transactions: a busy feed.
EVENT_COPIES = text(
    "INSERT INTO events (txid, id, property_id, work_order_id, type, actor_type, actor_id, data, "
    "occurred_at) SELECT e.txid + g, e.id || '_' || g, e.property_id, e.work_order_id, e.type, "
    "e.actor_type, e.actor_id, e.data, e.occurred_at FROM events e, generate_series(1, :count) g "
    "WHERE e.seq = :seq"
)


async def test_the_whole_feed_is_read_in_commit_order_by_its_index(
    db: Database, community: Community, burst: str
) -> None:
    """The delivery worker follows every property's events in commit order: a page past its
    position and a look beyond the horizon read the rows they return, not the table (each read
    and sorted the whole table before migration 0016)."""
    async with db.read_engine.connect() as connection:
        seq, txid = (await connection.execute(text("SELECT max(seq), max(txid) FROM events"))).one()
        await connection.execute(text("VACUUM ANALYZE events"))
    async with db.write_engine.begin() as connection:
        await connection.execute(EVENT_COPIES, {"count": BURST, "seq": seq})
    # A follower near the head, as it is when it keeps up: 40 events to read, 3,001 in the table.
    near = feed.Position(txid + BURST - 40, 0)
    head = txid + BURST + 1
    async with db.read_engine.connect() as connection:
        page = await _plan(connection, feed.committed_after(true(), near, head).limit(500), {})
        beyond = await _plan(connection, feed.beyond_horizon(true(), near.txid), {})
    assert _read(page) <= 41, page
    assert _read(beyond) <= 1, beyond
