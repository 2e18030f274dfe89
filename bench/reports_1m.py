"""How long `GET /v1/reports/summary` takes on PostgreSQL with a year of 1,000,000 orders.

Run by hand (never in CI):

    .venv/bin/python bench/reports_1m.py [--orders 1000000] [--keep]

It creates a scratch database, applies the migrations, inserts the orders (and their `created` and
`reopened` events) with `generate_series` in SQL, runs VACUUM ANALYZE, then asks the summary for the whole year
once per `group_by` through the real app (warm-up run first, then the best of three) and prints the times,
after the time of one plain `count(*)` over the orders, the machine's pace to read them against.

The first run over a fresh database also rolls up the year (`report_rollups.roll_up`, as the clock
worker does, run after run until nothing is left) and prints how long that took; `--direct` also times
the answer without rollups (the row that says what is rolled up taken away) and checks that it is the
same answer. Figures are in bench/RESULTS.md under "Reports".

Before the rollups (2026-12-01, load average 9-12): queue 19.2 s, assignee 18.4 s, category 12.2 s,
building 16.3 s, day 26.0 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy import delete

from workorders.app import create_app
from workorders.auth import mint_token
from workorders.config import Settings
from workorders.db import Database
from workorders.domain.actors import Role
from workorders.migrate import upgrade
from workorders.models.reports import ReportRollup
from workorders.services import report_rollups

SERVER = os.environ.get("WORKORDERS_TEST_POSTGRES", "postgres@127.0.0.1:5432")

STAFF_SQL = """
INSERT INTO staff (id, property_id, name, department, role, skills, on_duty, max_open, created_at,
                   updated_at)
SELECT 'stf_bench_' || i, 'default', '员工' || i,
       (ARRAY['engineering','security','cleaning','customer_service'])[1 + i % 4], 'staff',
       '[]'::jsonb, true, 5, now(), now()
FROM generate_series(1, 40) AS i
"""

# A year of orders: created uniformly over the year; 95% answered within 0-60 min, started 0-6 h
# later, 90% resolved 1-72 h after creation; 2% cancelled; 60% of the resolved rated; some reopened.
ORDERS_SQL = """
INSERT INTO work_orders (
    id, property_id, number, kind, category, title, description, location, status, queue, priority,
    priority_rank, assignee_id, reporter_type, channel, escalation_level, routing, required_skills,
    respond_by, start_by, resolve_by, responded_at, started_at, resolved_at, closed_at, cancelled_at,
    breached, paused_seconds, rating_score, version, created_at, updated_at)
SELECT
    'wo_bench_' || i, 'default', 'WO-BENCH-' || i,
    CASE WHEN i % 5 = 0 THEN 'complaint' ELSE 'repair' END,
    (ARRAY['plumbing','electrical','elevator','noise','parking','hygiene','greening','door'])[1 + i % 8],
    '报修', '厨房水管漏水',
    jsonb_build_object('building', (1 + i % 20)::text, 'unit', (1 + (i / 20) % 4)::text,
                       'room', (100 + (i / 80) % 400)::text),
    CASE WHEN r.done THEN (CASE WHEN i % 3 = 0 THEN 'resolved' ELSE 'closed' END)
         WHEN r.cancelled THEN 'cancelled' ELSE 'in_progress' END,
    (ARRAY['engineering','engineering','engineering','security','security','cleaning','cleaning',
           'engineering'])[1 + i % 8],
    (ARRAY['urgent','high','normal','normal','low'])[1 + i % 5], i % 5 % 4,
    CASE WHEN r.cancelled THEN NULL ELSE 'stf_bench_' || (1 + i % 40) END,
    'owner', 'app', 0, '{}'::jsonb, '[]'::jsonb,
    r.created + interval '30 minutes', r.created + interval '2 hours', r.created + interval '24 hours',
    CASE WHEN NOT r.cancelled THEN r.created + r.respond END,
    CASE WHEN NOT r.cancelled THEN r.created + r.respond + r.start END,
    CASE WHEN r.done THEN r.created + r.resolve END,
    CASE WHEN r.done AND i % 3 <> 0 THEN r.created + r.resolve + interval '1 day' END,
    CASE WHEN r.cancelled THEN r.created + interval '1 hour' END,
    '[]'::jsonb, 0,
    CASE WHEN r.done AND i % 5 < 3 THEN 1 + (i * 7) % 5 END,
    1, r.created, r.created
FROM generate_series(1, $1) AS i
CROSS JOIN LATERAL (
    SELECT now() - interval '365 days' * random() AS created,
           interval '1 minute' * (random() * 60) AS respond,
           interval '1 minute' * (random() * 360) AS start,
           interval '1 hour' * (1 + random() * 71) AS resolve,
           i % 50 = 7 AS cancelled,
           i % 50 <> 7 AND i % 10 <> 3 AS done
) AS r
"""

EVENTS_SQL = """
INSERT INTO events (id, property_id, work_order_id, type, actor_type, data, occurred_at)
SELECT 'evt_bench_c_' || i, 'default', 'wo_bench_' || i, 'work_order.created', 'owner', '{}'::jsonb,
       now()
FROM generate_series(1, $1) AS i
UNION ALL
SELECT 'evt_bench_r_' || i, 'default', 'wo_bench_' || i, 'work_order.reopened', 'owner', '{}'::jsonb,
       now()
FROM generate_series(1, $1, 33) AS i
"""


async def _fill(settings: Settings, orders: int) -> None:
    database = Database(settings)
    await upgrade(database.write_engine)
    await database.dispose()
    connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    started = time.perf_counter()
    await connection.execute(STAFF_SQL)
    await connection.execute(ORDERS_SQL, orders)
    await connection.execute(EVENTS_SQL, orders)
    # As autovacuum would by the time anyone asks: statistics, and the visibility map that lets
    # an index-only scan skip the table.
    await connection.execute("VACUUM ANALYZE")
    print(f"inserted {orders} orders in {time.perf_counter() - started:.0f} s", flush=True)
    await connection.close()


async def _roll_up(settings: Settings) -> None:
    """What the clock worker does on its first runs over a year of orders, run by run."""
    database = Database(settings)
    started = time.perf_counter()
    runs = days = 0
    while True:
        async with database.writer() as session, session.begin():
            done = await report_rollups.roll_up(session, datetime.now(UTC))
        runs += 1
        days += done
        if done == 0:
            break
    await database.dispose()
    print(
        f"rolled up {days} days in {runs} runs, {time.perf_counter() - started:.1f} s", flush=True
    )


async def _forget_rollups(settings: Settings) -> None:
    database = Database(settings)
    async with database.writer() as session, session.begin():
        await session.execute(delete(ReportRollup))
    await database.dispose()


@contextlib.asynccontextmanager
async def as_manager(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app (its lifespan run) in this process, and a client that calls it as the manager."""
    app = create_app(settings)
    token = mint_token(settings, role=Role.MANAGER, now=datetime.now(UTC))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        ) as http,
    ):
        yield http


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--database", help="measure a database kept by an earlier --keep run")
    parser.add_argument("--group-by", default="queue,assignee,category,building,day")
    parser.add_argument(
        "--direct", action="store_true", help="also time the answer without rollups, and compare"
    )
    args = parser.parse_args()
    name = args.database or f"workorders_bench_reports_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
    if not args.database:
        await admin.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(database_url=f"postgresql+asyncpg://{SERVER}/{name}")
    try:
        if not args.database:
            await _fill(settings, args.orders)
        await _roll_up(settings)

        # The machine's own pace, to read the figures below against: one plain pass over the orders.
        connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
        passes = []
        for _ in range(3):
            t0 = time.perf_counter()
            await connection.fetchval("SELECT count(*) FROM work_orders")
            passes.append(time.perf_counter() - t0)
        await connection.close()
        print(f"baseline: SELECT count(*) FROM work_orders  best {min(passes):.3f} s", flush=True)

        to = datetime.now(UTC)
        period = {"from": (to - timedelta(days=365)).isoformat(), "to": to.isoformat()}
        async with as_manager(settings) as http:
            for group_by in filter(None, args.group_by.split(",")):
                times = []
                for _ in range(4):
                    t0 = time.perf_counter()
                    response = await http.get(
                        "/v1/reports/summary", params={**period, "group_by": group_by}
                    )
                    times.append(time.perf_counter() - t0)
                    response.raise_for_status()
                items = response.json()["items"]
                print(
                    f"group_by={group_by:9} {len(items):4} groups  best {min(times[1:]):.3f} s  "
                    f"median {statistics.median(times[1:]):.3f} s  (first {times[0]:.3f} s)  "
                    f"load {_load()}",
                    flush=True,
                )
            if args.direct:
                rolled = {
                    group_by: (
                        await http.get(
                            "/v1/reports/summary",
                            params={**period, "group_by": group_by, "format": "csv"},
                        )
                    ).text
                    for group_by in filter(None, args.group_by.split(","))
                }
                # Without the row, nothing is covered: every figure is tallied from the orders.
                await _forget_rollups(settings)
                for group_by, answer in rolled.items():
                    t0 = time.perf_counter()
                    direct = await http.get(
                        "/v1/reports/summary",
                        params={**period, "group_by": group_by, "format": "csv"},
                    )
                    print(
                        f"direct group_by={group_by:9} {time.perf_counter() - t0:.3f} s  "
                        f"load {_load()}  same answer as from the rollups: {direct.text == answer}",
                        flush=True,
                    )
                await _roll_up(settings)
    finally:
        if not args.keep and not args.database:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {name}")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
