"""What a loaded request waits on: PostgreSQL's view of the service's connections, sampled under load.

    .venv/bin/python bench/waits.py [--seconds 10] [--only create,read] [--interval 0.01]
                                    [--service-src /other/checkout/src]

Starts the service as `compare.py` does (`workorders serve`, workers on, a fresh PostgreSQL database),
loads each scenario with `wrk -t1 -c16` and, meanwhile, samples `pg_stat_activity` for the service's
connections every `--interval` seconds. It prints, per scenario, the share of samples in which a
connection was in each state: running a statement (`active`, with its wait event if any: `Lock:…`
is a row lock, `IO:WALSync` the commit's flush), waiting for the service inside a transaction (`idle in
transaction`: the request's coroutine has not yet sent its next statement, i.e. it waits for the event
loop) or idle in the pool. For `idle in transaction` and `Lock` waits it also names the statement, and
it counts the samples in which some connection was queued on a lock (the number counter's convoy this
was written to find) and the connections the service opened during the run (a pool too small for the
load closes and reopens its overflow connections). Wall-clock figures:
on a loaded machine they say so, but the shares hold better than throughput does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import asyncpg
from compare import Load, Scenario, fresh_postgres, running_service, wrk

SAMPLE = """
SELECT a.pid, a.state, coalesce(a.wait_event_type || ':' || a.wait_event, '') AS wait,
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60) AS query,
       cardinality(pg_blocking_pids(a.pid)) AS blocked_by
FROM pg_stat_activity a
WHERE a.datname = $1 AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
"""


def _kind(query: str) -> str:
    words = query.split()
    if not words:
        return "?"
    if words[0].upper() == "INSERT" and len(words) > 2:
        return f"INSERT {words[2]}"
    return " ".join(words[:4])


async def sample(dsn: str, database: str, stop: threading.Event, interval: float) -> Counter[str]:
    seen: Counter[str] = Counter()
    connection = await asyncpg.connect(dsn)
    sessions = "SELECT sessions FROM pg_stat_database WHERE datname = $1"
    opened = await connection.fetchval(sessions, database)
    try:
        while not stop.is_set():
            rows = await connection.fetch(SAMPLE, database)
            seen["samples"] += 1
            queued = sum(1 for row in rows if row["blocked_by"])
            for row in rows:
                state = row["state"] or "?"
                if state == "active":
                    label = f"active {row['wait'] or '(running)'}"
                    if row["wait"].startswith("Lock"):
                        label += f" [{_kind(row['query'])}]"
                elif state == "idle in transaction":
                    label = f"idle in transaction after [{_kind(row['query'])}]"
                else:
                    label = state
                seen[label] += 1
            if queued:
                seen["~samples with a connection queued on a lock"] += 1
                seen["~connections queued on a lock (sum)"] += queued
            await asyncio.sleep(interval)
        # Connections the service opened meanwhile (PostgreSQL forks a backend for each).
        seen["opened"] = await connection.fetchval(sessions, database) - opened
    finally:
        await connection.close()
    return seen


def measure(dsn: str, database: str, scenario: Scenario, seconds: int, interval: float) -> None:
    stop = threading.Event()
    result: dict[str, Load] = {}

    def load() -> None:
        try:
            result["load"] = wrk(scenario.url, scenario.script, seconds, scenario.env)
        finally:
            stop.set()

    thread = threading.Thread(target=load)
    thread.start()
    seen = asyncio.run(sample(dsn, database, stop, interval))
    thread.join()
    got = result["load"]
    samples, opened = seen.pop("samples"), seen.pop("opened")
    print(
        f"\n{scenario.name}: {got.rps:.0f} req/s, p50 {got.p50_ms:.1f} ms, p99 {got.p99_ms:.1f} ms, "
        f"{got.errors} errors, load average {os.getloadavg()[0]:.1f}, {samples} samples, "
        f"{opened} connections opened by the service during the run"
    )
    print("| connection state (per sample, of the service's connections) | mean connections |")
    print("|---|--:|")
    for label, count in sorted(seen.items(), key=lambda item: -item[1]):
        print(f"| {label} | {count / samples:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="create", help="comma-separated scenarios")
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--service-src", type=Path, help="the src/ of another checkout to measure")
    args = parser.parse_args()
    only = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="workorders-waits-"))
    name = f"bench_waits_{secrets.token_hex(3)}"
    with contextlib.ExitStack() as scratch:
        scratch.callback(shutil.rmtree, work, ignore_errors=True)
        url = scratch.enter_context(fresh_postgres(name))
        dsn = url.replace("postgresql+asyncpg", "postgresql")
        with running_service(url, args.service_src, work) as service:
            time.sleep(1)
            for scenario in service.scenarios:
                if scenario.name in only:
                    measure(dsn, name, scenario, args.seconds, args.interval)


if __name__ == "__main__":
    main()
