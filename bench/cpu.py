"""CPU per request of the service: what a change costs or saves, even on a machine others are loading.

    .venv/bin/python bench/cpu.py [--backend postgresql|sqlite] [--seconds 8] [--only create,read]
                                  [--py-spy build/profiles] [--service-src /other/checkout/src]

Wall-clock throughput on a shared machine says more about the neighbours than about the code; the CPU
time the server process spends per request does not (much). This starts the service as `compare.py`
does (`workorders serve`, workers on), loads each endpoint with `wrk -t1 -c16` and prints, beside the
throughput, the server's own CPU (user + system, every thread, from /proc) divided by the requests
served, and the load average. `--py-spy DIR` also records a flame graph of each run (py-spy must be
installed in the environment; it is not a dependency of the project).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compare import STREAMS, Scenario, cpu_seconds, fresh_postgres, running_service, wrk


def measure(pid: int, scenario: Scenario, seconds: int, profiles: Path | None, label: str) -> str:
    spy = None
    if profiles is not None:
        profiles.mkdir(parents=True, exist_ok=True)
        spy = subprocess.Popen(
            [
                shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--rate",
                "200",
                "--format",
                "speedscope",
                "--output",
                str(profiles / f"{label.replace(' ', '_').replace(',', '')}.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)
    before = cpu_seconds(pid)
    load = wrk(scenario.url, scenario.script, seconds, scenario.env)
    used = cpu_seconds(pid) - before
    if spy is not None:
        spy.send_signal(2)
        spy.wait(30)
    per = used / load.requests * 1000 if load.requests else float("nan")
    return (
        f"| {label:24} | {load.rps:7.0f} | {load.p99_ms:7.1f} | {load.errors:5} "
        f"| {per:7.2f} | {os.getloadavg()[0]:5.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--only", help="comma-separated scenarios (create, read, list, action, …)")
    parser.add_argument("--py-spy", type=Path, dest="profiles", help="write flame graphs here")
    parser.add_argument("--service-src", type=Path, help="the src/ of another checkout to measure")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    work = Path(tempfile.mkdtemp(prefix="workorders-cpu-"))
    with contextlib.ExitStack() as scratch:
        scratch.callback(shutil.rmtree, work, ignore_errors=True)
        if args.backend == "postgresql":
            database_url = scratch.enter_context(
                fresh_postgres(f"bench_cpu_{secrets.token_hex(3)}")
            )
        else:
            database_url = f"sqlite+aiosqlite:///{work / 'service.db'}"
        run(args, only, database_url, work)


def run(args: argparse.Namespace, only: set[str] | None, database_url: str, work: Path) -> None:
    print(f"{args.backend}, wrk -t1 -c16 -d{args.seconds}s")
    print("| endpoint                 |   req/s |  p99 ms | errs | CPU ms/req | load1 |")
    print("|--------------------------|--------:|--------:|-----:|-----------:|------:|")
    with running_service(database_url, args.service_src, work) as service:
        pid = service.process.pid
        for scenario in service.scenarios:
            if only is None or scenario.name in only:
                print(
                    measure(pid, scenario, args.seconds, args.profiles, scenario.name), flush=True
                )
        if only is None or "streams" in only:
            with service.streams_open():
                label = f"create, {STREAMS} streams open"
                print(measure(pid, service.scenarios[0], args.seconds, args.profiles, label))


if __name__ == "__main__":
    main()
