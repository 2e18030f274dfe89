"""The number of SQL statements the hot paths run, pinned: a change that adds a round trip to filing,
reading, listing or acting on an order fails here and has to say why (bench/RESULTS.md has the
figures behind each). Counted with SQLAlchemy's `before_cursor_execute`: neither a SQLite writer's
`BEGIN IMMEDIATE` (the driver's, readers run in autocommit) nor asyncpg's BEGIN/COMMIT are statements
there. On SQLite the trips to aiosqlite's thread are pinned too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import httpx
from sqlalchemy import event

from tests.conftest import Community, FileOrder
from workorders import sqlite_driver
from workorders.db import Database

# (SQLite, PostgreSQL) statements per request, configuration cached. Every request first checks its
# token against the directory, from the cache: on PostgreSQL the cache hears NOTIFY and that check
# costs nothing; on SQLite the property's revision is read by the probe, on sqlite3 beside the pool
# (services/configuration.py: no statement of SQLAlchemy's, no trip; counted as a probe below).
# Create on SQLite: the number's upsert, the order (numbered from the counter) and its event, both
# writes checking the revision the token check has just read; on PostgreSQL all of it is one
# statement, which also checks the revision (services/filing.py); routing's rules and model come
# from the cache. Read and list: the one SELECT (readers in autocommit on both). Action: the order,
# the compare-and-set, the event. A writer's BEGIN IMMEDIATE on SQLite is no statement of
# SQLAlchemy's: the driver sends it with the transaction's first one (sqlite_driver).
EXPECTED = {
    "create": (3, 1),
    "read": (1, 1),
    "list": (1, 1),
    "action": (3, 3),
}
# SQLite: the trips those statements take, with the commit (sqlite_driver). Create: BEGIN IMMEDIATE
# with the upsert and the order; the event with the commit. Action: BEGIN IMMEDIATE with the order;
# the compare-and-set; the event with the commit. A request's writes make their trips on the event
# loop's thread, its reads on aiosqlite's; but one commit in `db.CHECKPOINT_EVERY` goes to
# aiosqlite's thread to checkpoint the WAL after it.
EXPECTED_TRIPS = {"create": 2, "read": 1, "list": 1, "action": 3}
TRIPS_HERE = {"create": True, "read": False, "list": False, "action": True}


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    trips: list[str] = field(default_factory=list)  # SQLite: functions sent to aiosqlite's threads
    here: list[str] = field(default_factory=list)  # SQLite: trips run on the loop's thread
    # SQLite: a commit that also checkpoints the WAL (one in `db.CHECKPOINT_EVERY`), on the thread.
    checkpoints: list[str] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)  # SQLite: revisions read by the probe


@contextmanager
def counting(db: Database) -> Iterator[Counted]:
    counted = Counted()

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.statements.append(statement)

    original = aiosqlite.Connection._execute

    async def trip(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", repr(fn))
        checkpoint = name == sqlite_driver.DBAPI.commit_and_checkpoint.__name__
        (counted.checkpoints if checkpoint else counted.trips).append(name)
        return await original(self, fn, *args, **kwargs)

    run_here = sqlite_driver.Connection._run_here

    def here(self: sqlite_driver.Connection, function: Any, *args: Any) -> Any:
        outcome = run_here(self, function, *args)
        if not isinstance(outcome, sqlite_driver._Elsewhere):
            counted.here.append(function.__name__)
        return outcome

    # One listener per pool: SQLite's request writer shares the writer's engine (and its events).
    engines: dict[int, Any] = {}
    for engine in (db.write_engine, db.read_engine):
        engines.setdefault(id(engine.sync_engine.pool), engine.sync_engine)
    for engine in engines.values():
        event.listen(engine, "before_cursor_execute", note)
    aiosqlite.Connection._execute = trip  # type: ignore[method-assign]
    sqlite_driver.Connection._run_here = here  # type: ignore[method-assign]
    probe = db.config.probe
    if probe is not None:
        revision = probe.revision

        def probed(property_id: str) -> int | None:
            counted.probes.append(property_id)
            return revision(property_id)

        probe.revision = probed  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]
        sqlite_driver.Connection._run_here = run_here  # type: ignore[method-assign]
        if probe is not None:
            del probe.revision  # the class's own again
        for engine in engines.values():
            event.remove(engine, "before_cursor_execute", note)


async def test_the_hot_paths_run_a_pinned_number_of_statements(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder, db: Database
) -> None:
    c = community
    sqlite = db.dialect == "sqlite"
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
    actual = {name: len(count.statements) for name, count in counted.items()}
    expected = {name: pinned[0 if sqlite else 1] for name, pinned in EXPECTED.items()}
    assert actual == expected, counted
    if sqlite:
        trips = {
            name: len(count.trips) + len(count.here) + len(count.checkpoints)
            for name, count in counted.items()
        }
        assert trips == EXPECTED_TRIPS, counted
        here = {name: not count.trips for name, count in counted.items()}
        assert here == TRIPS_HERE, counted
        # One probe per request, the token's check; it answered, or there would be a read above.
        assert all(len(count.probes) == 1 for count in counted.values()), counted
    else:
        assert all(not count.trips and not count.probes for count in counted.values())
