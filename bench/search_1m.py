"""How long `GET /v1/work-orders?q=…` takes with 1,000,000 orders, on PostgreSQL or SQLite.

Run by hand (never in CI):

    .venv/bin/python bench/search_1m.py --backend sqlite|postgresql [--orders N] [--keep PATH|NAME]
    .venv/bin/python bench/search_1m.py --backend sqlite --database PATH   # measure a kept one

It makes a scratch database (a SQLite file, or a PostgreSQL database on WORKORDERS_TEST_POSTGRES),
applies the migrations, seeds the demo community, and copies one demo order N times in SQL: one
property, a minute apart from 2024-01-01, the title one of `SENTENCES`, the description that
sentence and `第{i}号` (every 1,000th also `稀有的词语`, every 10,000th `鑫淼`). Then the 30,000 oldest
get `旧时词语` and the 25,000 oldest `古旧`, the 30,000 newest `新近词语`. The search indexes are
built after the rows (SQLite: `search_index.rebuild`; PostgreSQL: its GIN indexes dropped before
and made again, the table of grams filled between, then VACUUM ANALYZE), as one would before a
bulk load.

Each phrase of `PHRASES` is asked as the manager (limit 50, newest first) through the app in this
process: the first request, then the median and the maximum of the next ten, in ms, and the number
of orders that hold it. Figures are in bench/RESULTS.md ("Search at 1M orders").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from reports_1m import as_manager
from sqlalchemy import func, select

from workorders import search_index
from workorders.clock import SystemClock
from workorders.config import Settings
from workorders.db import Database, transaction
from workorders.migrate import upgrade
from workorders.models import WorkOrder
from workorders.services import demo

SERVER = os.environ.get("WORKORDERS_TEST_POSTGRES", "postgres@127.0.0.1:5432")

SENTENCES = [
    "厨房水龙头漏水",
    "楼上装修噪音太大",
    "电梯里有异响",
    "Kitchen tap leaks",
    "地下车库的排风扇一直在响",
    "楼道灯不亮",
    "垃圾桶满了没人清理",
    "门禁卡刷不开",
    "停车位被别人占了",
    "物业费账单有疑问",
    "阳台下水管堵了",
    "小区大门的道闸坏了",
    "绿化带的树枝挡路",
    "消防通道被堵",
    "空调外机滴水到楼下",
    "快递柜打不开",
    "水压太低洗不了澡",
    "邻居家狗半夜叫",
    "走廊有烟味",
    "窗户玻璃裂了",
]

# (phrase, what it is): asked in this order.
PHRASES = [
    ("没有这个词", "three or more characters, in no order"),
    ("第99号", "one order"),
    ("稀有的词语", "every 1,000th"),
    ("第12", "in clumps, the largest 10,000 in a row"),
    ("旧时词语", "the 30,000 oldest"),
    ("新近词语", "the 30,000 newest"),
    ("装修噪音", "every 20th"),
    ("zz", "two characters, in no order"),
    ("夔", "one character, in no order"),
    ("鑫", "one character, every 10,000th"),
    ("鑫淼", "two characters, every 10,000th"),
    ("第5", "two characters, in clumps, the largest mid-time"),
    ("古旧", "two characters, the 25,000 oldest"),
    ("漏水", "two characters, every 20th"),
    ("Ki", "two letters, every 20th"),
    ("水", "one character, in a fifth of the orders"),
]


def _copies(dialect: str, orders: int) -> str:
    """The statement that copies the demo order `orders` times (`:id` is its id)."""
    sentences = ", ".join(f"'{s}'" for s in SENTENCES)
    numbers = (
        f"generate_series(1, {orders}) AS n(i)"
        if dialect == "postgresql"
        else f"(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders}) "
        "SELECT i FROM n) AS n"
    )
    sentence = (
        f"(ARRAY[{sentences}])[1 + n.i % 20]"
        if dialect == "postgresql"
        else f"json_extract(json_array({sentences}), '$[' || (n.i % 20) || ']')"
    )
    minute = (
        "timestamptz '2024-01-01 00:00:00+00' + n.i * interval '1 minute'"
        if dialect == "postgresql"
        else "strftime('%Y-%m-%d %H:%M:%f', '2024-01-01', '+' || n.i || ' minutes')"
    )
    made = {
        "id": "'wo_big_' || n.i",
        "number": "'WO-BIG-' || n.i",
        "title": sentence,
        "description": f"{sentence} || ' 第' || n.i || '号' "
        "|| CASE WHEN n.i % 1000 = 0 THEN ' 稀有的词语' ELSE '' END "
        "|| CASE WHEN n.i % 10000 = 0 THEN ' 鑫淼' ELSE '' END",
        "created_at": minute,
        "updated_at": minute,
    }
    columns = [column.name for column in WorkOrder.__table__.columns]
    values = ", ".join(made.get(name, f"w.{name}") for name in columns)
    return (
        f"INSERT INTO work_orders ({', '.join(columns)}) SELECT {values} "
        f"FROM work_orders AS w, {numbers} WHERE w.id = :id"
    )


def _marked(oldest: int, newest: int) -> list[str]:
    return [
        "UPDATE work_orders SET description = description || ' 旧时词语' "
        f"WHERE id LIKE 'wo_big_%' AND created_at < (SELECT created_at FROM work_orders "
        f"WHERE id LIKE 'wo_big_%' ORDER BY created_at LIMIT 1 OFFSET {oldest})",
        "UPDATE work_orders SET description = description || ' 古旧' "
        f"WHERE id LIKE 'wo_big_%' AND created_at < (SELECT created_at FROM work_orders "
        f"WHERE id LIKE 'wo_big_%' ORDER BY created_at LIMIT 1 OFFSET {oldest * 5 // 6})",
        "UPDATE work_orders SET description = description || ' 新近词语' "
        f"WHERE id LIKE 'wo_big_%' AND created_at > (SELECT created_at FROM work_orders "
        f"WHERE id LIKE 'wo_big_%' ORDER BY created_at DESC LIMIT 1 OFFSET {newest})",
    ]


async def _fill(settings: Settings, orders: int) -> None:
    database = Database(settings)
    await upgrade(database.write_engine)
    async with transaction(database.writer) as session:
        await demo.seed(session, settings, SystemClock().now())
        copied = await session.scalar(select(func.min(WorkOrder.id)))
    await database.dispose()
    started = time.perf_counter()
    dialect = "sqlite" if settings.is_sqlite else "postgresql"
    statements = [_copies(dialect, orders).replace(":id", f"'{copied}'")]
    statements += _marked(min(30_000, orders // 3), min(30_000, orders // 3))
    if not settings.is_sqlite:
        await _fill_postgres(settings, statements)
    else:
        _fill_sqlite(settings, statements)
    print(f"inserted and indexed {orders} orders in {time.perf_counter() - started:.0f} s")


def _fill_sqlite(settings: Settings, statements: list[str]) -> None:
    connection = sqlite3.connect(
        settings.database_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None
    )
    try:
        connection.execute("BEGIN")
        for statement in statements:
            connection.execute(statement)
        connection.execute("COMMIT")
        search_index.rebuild(connection)
    finally:
        connection.close()


async def _fill_postgres(settings: Settings, statements: list[str]) -> None:
    connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        made = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('work_orders', 'work_orders_grams') AND indexdef LIKE '%USING gin%'"
        )
        for index in made:
            await connection.execute(f"DROP INDEX {index['indexname']}")
        for statement in statements:
            await connection.execute(statement)
        grams = await connection.fetchval("SELECT to_regclass('work_orders_grams') IS NOT NULL")
        if grams:  # migration 0020: what its follower would write for orders with events
            await connection.execute(
                "INSERT INTO work_orders_grams (work_order_id, property_id, created_at, grams) "
                "SELECT id, property_id, created_at, work_order_grams(title, description, number) "
                "FROM work_orders ON CONFLICT (work_order_id) DO NOTHING"
            )
        for index in made:
            await connection.execute(index["indexdef"])
        await connection.execute("VACUUM ANALYZE work_orders")
        if grams:
            await connection.execute("VACUUM ANALYZE work_orders_grams")
    finally:
        await connection.close()


async def _measure(settings: Settings) -> None:
    async with as_manager(settings) as http:
        print(f"{'q':12} {'held by':>8} {'first':>8} {'median':>8} {'max':>8}  what")
        for q, what in PHRASES:
            times = []
            for _ in range(11):
                started = time.perf_counter()
                response = await http.get("/v1/work-orders", params={"q": q, "limit": 50})
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            held = await _held(settings, q)
            print(
                f"{q:12} {held:>8} {times[0]:8.1f} {statistics.median(times[1:]):8.1f} "
                f"{max(times[1:]):8.1f}  {what}",
                flush=True,
            )


async def _held(settings: Settings, q: str) -> int:
    """How many orders hold `q`, by a scan (LIKE folds ASCII letters on both databases)."""
    database = Database(settings)
    try:
        async with database.reader() as session:
            pattern = f"%{q}%"
            found = await session.scalar(
                select(func.count()).where(
                    WorkOrder.title.ilike(pattern)
                    | WorkOrder.description.ilike(pattern)
                    | WorkOrder.number.ilike(pattern)
                )
            )
    finally:
        await database.dispose()
    return int(found or 0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--database", help="a SQLite path or PostgreSQL database kept earlier")
    args = parser.parse_args()
    admin = None
    if args.backend == "postgresql":
        name = args.database or f"workorders_bench_search_{secrets.token_hex(3)}"
        url = f"postgresql+asyncpg://{SERVER}/{name}"
        admin = await asyncpg.connect(f"postgresql://{SERVER}/postgres")
        if not args.database:
            await admin.execute(f'CREATE DATABASE "{name}"')
    else:
        name = args.database or str(Path(tempfile.mkdtemp()) / "search_1m.db")
        url = f"sqlite+aiosqlite:///{name}"
    settings = Settings(database_url=url)
    try:
        if not args.database:
            await _fill(settings, args.orders)
        await _measure(settings)
    finally:
        if args.keep or args.database:
            print(f"kept {name}")
        elif admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            await asyncio.to_thread(Path(name).unlink, missing_ok=True)
        if admin is not None:
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
