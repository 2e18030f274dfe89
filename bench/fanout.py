"""Instructions (callgrind) of one webhook fan-out for a property without endpoints: what the delivery
worker's follow loop pays on every cycle, which `inproc.py` (workers off) does not see.

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/fanout.out \\
        .venv/bin/python bench/fanout.py -n 300
    grep ^totals /tmp/fanout.out     # divided by -n: instructions per fan-out

Instrumentation is switched on only around the `-n` measured calls (`callgrind_control -i on/off`);
SQLite in a scratch folder, two events per call (an order's creation and its routing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from workorders.config import Settings
from workorders.db import Database
from workorders.migrate import upgrade
from workorders.services import webhook_delivery


def callgrind(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())], check=True, stdout=subprocess.DEVNULL
    )


async def drive(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="workorders-fanout-") as scratch:
        database = Database(Settings(database_url=f"sqlite+aiosqlite:///{scratch}/service.db"))
        await upgrade(database.write_engine)
        now = datetime.now(UTC)
        events: list[Any] = [
            SimpleNamespace(
                id=f"evt_{i}",
                property_id="prop_bench",
                type="work_order.created",
                work_order_id="wo_bench",
                occurred_at=now,
            )
            for i in range(2)
        ]
        async with database.writer() as session, session.begin():
            for _ in range(max(20, n // 5)):  # statement caches warm
                await webhook_delivery.fan_out(session, events, now)
            callgrind("on")
            for _ in range(n):
                await webhook_delivery.fan_out(session, events, now)
            callgrind("off")
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="fan-outs measured")
    asyncio.run(drive(parser.parse_args().n))


if __name__ == "__main__":
    main()
