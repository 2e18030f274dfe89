"""How long the service's event loop stalls under load, and how much of it is the garbage collector.

    .venv/bin/python bench/lag.py [--backend postgresql|sqlite] [--seconds 10] [--only create,read]

Starts the service as `compare.py` does (`workorders serve`, workers on) with a `sitecustomize` of its
own on `PYTHONPATH` that, inside the server's event loop, sleeps 5 ms over and over and notes how much
later than asked each sleep ended (the loop's lag: how long a callback that became ready waited for
the loop), and times every garbage collection (`gc.callbacks`). Each scenario is loaded with `wrk
-t1 -c16`; the figures are printed per scenario: lag percentiles, the longest stall, and the
collections by generation with their total and longest pause. Wall-clock figures: the load average is
printed beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

from compare import fresh_postgres, running_service, wrk

PROBE = """
import asyncio, atexit, gc, json, os, signal, time

OUT = os.environ["WORKORDERS_LAG_OUT"]
lags, pauses, started = [], [], {}


def _gc(phase, info):
    if phase == "start":
        started["at"] = time.perf_counter()
    elif "at" in started:
        pauses.append((info["generation"], time.perf_counter() - started.pop("at")))


async def _probe():
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - asked - 0.005)


def _dump(*_):
    with open(OUT, "w") as out:
        json.dump({"lags": lags, "pauses": pauses}, out)
    lags.clear()
    pauses.clear()


import uvicorn

_serve = uvicorn.Server.serve


async def serve(self, *args, **kwargs):
    gc.callbacks.append(_gc)
    task = asyncio.get_running_loop().create_task(_probe())
    signal.signal(signal.SIGUSR1, _dump)
    try:
        await _serve(self, *args, **kwargs)
    finally:
        task.cancel()


uvicorn.Server.serve = serve
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default="create")
    args = parser.parse_args()
    only = set(args.only.split(","))
    work = Path(tempfile.mkdtemp(prefix="workorders-lag-"))
    (work / "probe").mkdir()
    (work / "probe" / "sitecustomize.py").write_text(PROBE, encoding="utf-8")
    out = work / "lag.json"
    os.environ["WORKORDERS_LAG_OUT"] = str(out)
    with contextlib.ExitStack() as scratch:
        scratch.callback(shutil.rmtree, work, ignore_errors=True)
        if args.backend == "postgresql":
            url = scratch.enter_context(fresh_postgres(f"bench_lag_{secrets.token_hex(3)}"))
        else:
            url = f"sqlite+aiosqlite:///{work / 'service.db'}"
        with running_service(url, work / "probe", work) as service:
            pid = service.process.pid
            for scenario in service.scenarios:
                if scenario.name not in only:
                    continue
                os.kill(pid, signal.SIGUSR1)  # forget what came before
                time.sleep(0.5)
                load = wrk(scenario.url, scenario.script, args.seconds, scenario.env)
                os.kill(pid, signal.SIGUSR1)
                time.sleep(0.5)
                seen = json.loads(out.read_text(encoding="utf-8"))
                report(scenario.name, load, seen["lags"], seen["pauses"])


def report(name: str, load: object, lags: list[float], pauses: list[list[float]]) -> None:
    ms = [lag * 1000 for lag in lags]
    print(f"\n{name}: {load}, load average {os.getloadavg()[0]:.1f}")
    print(
        f"loop lag ms over {len(ms)} probes: p50 {percentile(ms, 0.5):.1f}, "
        f"p90 {percentile(ms, 0.9):.1f}, p99 {percentile(ms, 0.99):.1f}, max {max(ms):.1f}; "
        f"{sum(m for m in ms if m > 20):.0f} ms in stalls over 20 ms"
    )
    for generation in (0, 1, 2):
        times = [p * 1000 for g, p in pauses if g == generation]
        if times:
            print(
                f"gc generation {generation}: {len(times)} collections, {sum(times):.0f} ms in all, "
                f"longest {max(times):.1f} ms"
            )


if __name__ == "__main__":
    main()
