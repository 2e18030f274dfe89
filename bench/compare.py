"""Throughput and latency of the service against the reference app, same machine, database and load.

Run by hand (never in CI) with wrk installed (Debian: `apt-get install wrk`): `make bench`, or

    .venv/bin/python bench/compare.py [--backend postgresql|sqlite|both] [--seconds 10]
                                      [--service-src /path/to/another/checkout/src]

It runs the project's copy of the reference app (`bench/reference_app.py`) and the service as it is
deployed (`workorders serve`, workers on), each on a fresh database, loads each with
`wrk -t1 -c16`, and prints requests per second, p50 and p99 for ping, create, read, a list page, an
action, and create while 50 live streams are open, with the ratio to the reference (the reference has
no list nor action: those are compared with its read and its create). What the streams cost is
measured in five alternating pairs (create alone and with the streams open, the order reversed every
other pair) and the median pair reported, each pair printed. The create's ratio is measured the same
way too: the reference stays up while the service runs, and five pairs of the reference's create
and the service's, alternated, give the median ratio, each pair printed. It also prints each server's
CPU per request (Linux `/proc`) and its ratio (the reference's over the service's): on a shared
machine whose speed moves from minute to minute, throughput of one run moved by half between runs
of the same code, the CPU per request far less. On SQLite it prints, for each run that wrote, how
much of the run SQLite's write lock was taken and for how long a turn (the service's write-turn
metrics): a lock taken all of the time means writes wait on the lock, not on the CPU.
`--service-src` benchmarks
another checkout of the service (for a before/after) with this same harness. Ratios hold across
machines; absolute figures do not.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from workorders.auth import mint_token
from workorders.config import Settings
from workorders.domain.actors import Role

HERE = Path(__file__).resolve().parent
CREATE_BODY = {"description": "厨房水龙头漏水"}
REFERENCE_BODY = {"category": "repair", "description": "厨房水龙头漏水", "unit": "3-2-1502"}
STREAMS = 50
REFERENCE_PORT = 8901
SERVICE_PORT = 8902


@dataclass(frozen=True)
class Turns:
    """SQLite's write turns over a span (the service's `workorders_sqlite_write_turn_*` metrics):
    how many were taken, and the seconds they were held and waited for, summed."""

    count: float = 0.0
    held: float = 0.0
    waited: float = 0.0

    def __sub__(self, earlier: Turns) -> Turns:
        return Turns(
            self.count - earlier.count, self.held - earlier.held, self.waited - earlier.waited
        )


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    requests: int = 0
    # The server process's CPU (user + system) per request during the run, in ms.
    cpu_ms: float = 0.0
    # SQLite: the write turns the service took during the run (None on PostgreSQL, and for the
    # reference, which has no such metrics).
    turns: Turns | None = None


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (Linux `/proc/<pid>/stat`)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(server: int, url: str, script: str, seconds: int, env: dict[str, str]) -> Load:
    """`wrk`, with the server's CPU per request: a figure that the machine's other load moves less
    than throughput (the server is charged only for its own time)."""
    before = cpu_seconds(server)
    load = wrk(url, script, seconds, env)
    spent = cpu_seconds(server) - before
    return replace(load, cpu_ms=1000 * spent / max(load.requests, 1))


def write_turns(base: str) -> Turns:
    """The service's SQLite write turns so far, read off its `/metrics`."""
    prefix = "workorders_sqlite_write_turn_"
    values: dict[str, float] = {}
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith(prefix):
            name, value = line.rsplit(" ", 1)
            values[name.removeprefix(prefix)] = float(value)
    return Turns(
        values.get("held_seconds_count", 0.0),
        values.get("held_seconds_sum", 0.0),
        values.get("wait_seconds_sum", 0.0),
    )


def wrk(url: str, script: str, seconds: int, env: dict[str, str]) -> Load:
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", str(HERE / script), url],
        capture_output=True,
        text=True,
        env=os.environ | env,
        check=True,
    ).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(failed.group(1)) if failed else 0
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    assert p50 and p99 and rps and count, out
    return Load(
        float(rps.group(1)), _ms(*p50.groups()), _ms(*p99.groups()), errors, int(count.group(1))
    )


def wait_until_up(url: str, process: subprocess.Popen[bytes], attempts: int = 600) -> None:
    """Until `url` answers (`attempts` tries 50 ms apart), or the server exits."""
    for _ in range(attempts):
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)


@contextlib.contextmanager
def fresh_postgres(name: str) -> Iterator[str]:
    """A scratch PostgreSQL database for one run, dropped afterwards (runs used to leave them)."""
    _psql(f'DROP DATABASE IF EXISTS "{name}"')
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_reference(database_url: str) -> Iterator[tuple[int, dict[str, Scenario]]]:
    """The reference app on `database_url`, with an order to read: its pid and its scenarios."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "reference_app:app",
            "--port",
            str(REFERENCE_PORT),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=os.environ | {"REFERENCE_DB_URL": database_url},
        cwd=HERE,
    )
    base = f"http://127.0.0.1:{REFERENCE_PORT}"
    try:
        wait_until_up(f"{base}/ping", process)
        order = httpx.post(f"{base}/orders", json=REFERENCE_BODY).json()
        body = {"BODY": json.dumps(REFERENCE_BODY)}
        yield (
            process.pid,
            {
                "ping": Scenario("ping", f"{base}/ping", "get.lua", {}),
                "create": Scenario("create", f"{base}/orders", "post.lua", body),
                "read": Scenario("read", f"{base}/orders/{order['id']}", "get.lua", {}),
            },
        )
    finally:
        stop(process)


@dataclass(frozen=True)
class Scenario:
    """One wrk run against the service: a URL, a script and its environment."""

    name: str
    url: str
    script: str
    env: dict[str, str]


@dataclass(frozen=True)
class Service:
    """A running `workorders serve`, a benchmark owner and the scenarios to load it with."""

    process: subprocess.Popen[bytes]
    base: str
    manager: str
    scenarios: list[Scenario]

    def streams_open(self, count: int = STREAMS) -> contextlib.AbstractContextManager[None]:
        return open_streams(self.base, self.manager, count)


@contextlib.contextmanager
def open_streams(base: str, token: str, count: int) -> Iterator[None]:
    """`count` live streams of `token`'s held open by `streams.py` (for `compare.py` and `served.py`)."""
    streams = subprocess.Popen(
        [sys.executable, str(HERE / "streams.py"), base, token, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert streams.stdout is not None
        if streams.stdout.readline().strip() != "open":
            raise SystemExit("the live streams did not open")
        yield
    finally:
        stop(streams)  # type: ignore[arg-type]


@contextlib.contextmanager
def running_service(database_url: str, src: Path | None, work: Path) -> Iterator[Service]:
    """`workorders serve` (workers on) on `database_url`, with a benchmark owner, an order to read and
    64 orders to escalate."""
    # The limits stay on (their cost is part of a request) but high enough that a benchmark owner is
    # never refused: an owner's 20 filings an hour would turn the create run into 429s.
    limits = "create_order=100000000/hour;request=100000000/minute;comment=100000000/hour"
    env = os.environ | {"WORKORDERS_DATABASE_URL": database_url, "WORKORDERS_RATE_LIMITS": limits}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    process = subprocess.Popen(
        [sys.executable, "-m", "workorders", "serve", "--port", str(SERVICE_PORT)],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{SERVICE_PORT}"
    try:
        wait_until_up(f"{base}/healthz", process)
        settings = Settings(database_url=database_url)
        now = datetime.now(UTC)
        admin = mint_token(settings, role=Role.ADMIN, now=now)
        manager = mint_token(settings, role=Role.MANAGER, now=now, sub=None)
        owner = httpx.post(
            f"{base}/v1/owners",
            json={"name": "压测业主", "phone": "13800000000"},
            headers={"Authorization": f"Bearer {admin}"},
        ).json()
        token = mint_token(settings, role=Role.OWNER, now=now, sub=owner["id"])
        auth = {"Authorization": f"Bearer {token}"}
        create_env = {"BODY": json.dumps(CREATE_BODY), "TOKEN": token}
        order = httpx.post(f"{base}/v1/work-orders", json=CREATE_BODY, headers=auth).json()
        # More orders than connections: two escalations in flight never race for one order.
        targets = [
            httpx.post(f"{base}/v1/work-orders", json=CREATE_BODY, headers=auth).json()["id"]
            for _ in range(64)
        ]
        action_env = {
            "BODY": json.dumps({"reason": "压测"}),
            "TOKEN": manager,
            "PATHS": ",".join(f"/v1/work-orders/{t}/escalate" for t in targets),
        }
        scenarios = [
            Scenario("create", f"{base}/v1/work-orders", "post.lua", create_env),
            Scenario("read", f"{base}/v1/work-orders/{order['id']}", "get.lua", {"TOKEN": token}),
            Scenario("list", f"{base}/v1/work-orders?limit=20", "get.lua", {"TOKEN": token}),
            Scenario("action", base, "action.lua", action_env),
            Scenario("ping", f"{base}/healthz", "get.lua", {}),
        ]
        yield Service(process, base, manager, scenarios)
    finally:
        stop(process)


# The streams' cost is measured as alternating pairs (create alone, then with the streams open), and
# the median pair reported: on a shared machine one pair moved from -25% to +43% between runs, and
# in round 18 ten pairs of the same code had a median of 2% and 7% with single pairs from -6% to +32%.
STREAM_PAIRS = 5
# The create's ratio is measured the same way, the reference's create and the service's alternated
# with both servers up: measured minutes apart, the reference's create moved from 144/s to 399/s on
# one machine in an afternoon (round 20), and the table's ratio with it.
CREATE_PAIRS = 5
Pair = tuple[Load, Load]


def alternated(first: Callable[[], Load], second: Callable[[], Load], count: int) -> list[Pair]:
    """`count` pairs of runs, `first`'s then `second`'s, every other pair the other way round, so
    that a machine slowing or speeding up over the minutes of the pairs weighs on both sides alike."""
    pairs: list[Pair] = []
    for index in range(count):
        if index % 2:
            later = second()
            pairs.append((first(), later))
        else:
            earlier = first()
            pairs.append((earlier, second()))
    return pairs


@dataclass(frozen=True)
class Measured:
    """What `service` measured: each scenario once, the pairs of create without and with the streams
    open, and the pairs of the reference's create and the service's."""

    results: dict[str, Load]
    streams: list[Pair]
    creates: list[Pair]


def service(
    database_url: str, seconds: int, src: Path | None, work: Path, reference: tuple[int, Scenario]
) -> Measured:
    """Each scenario once, then `STREAM_PAIRS` pairs of create without and with the streams open,
    then `CREATE_PAIRS` pairs of the `reference`'s create (its pid and scenario) and the service's."""
    with running_service(database_url, src, work) as running:
        pid = running.process.pid
        results = {}
        for s in running.scenarios:
            before = write_turns(running.base)
            load = measured(pid, s.url, s.script, seconds, s.env)
            turns = write_turns(running.base) - before
            results[s.name] = replace(load, turns=turns) if turns.count else load
        create = running.scenarios[0]

        def alone() -> Load:
            return measured(pid, create.url, create.script, seconds, create.env)

        def streamed() -> Load:
            with running.streams_open():
                return alone()

        def theirs() -> Load:
            their_pid, their_create = reference
            return measured(
                their_pid, their_create.url, their_create.script, seconds, their_create.env
            )

        streams = alternated(alone, streamed, STREAM_PAIRS)
        results["create, 50 streams open"] = median_pair(streams)[1]
        return Measured(results, streams, alternated(theirs, alone, CREATE_PAIRS))


def create_ratio(pair: Pair) -> float:
    theirs, mine = pair
    return mine.rps / theirs.rps


def stream_cost(pair: Pair) -> float:
    alone, streamed = pair
    return 1 - streamed.rps / alone.rps


def median_pair(pairs: list[Pair]) -> Pair:
    return sorted(pairs, key=stream_cost)[len(pairs) // 2]


ROWS = [
    ("ping", "ping", "GET /healthz vs /ping"),
    ("create", "create", "POST /v1/work-orders vs /orders"),
    ("read", "read", "GET /v1/work-orders/{id} vs /orders/{id}"),
    ("list", "read", "GET /v1/work-orders?limit=20 vs read"),
    ("action", "create", "POST …/escalate vs create"),
    ("create, 50 streams open", "create", "create, 50 SSE streams open vs create"),
]


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def report(backend: str, seconds: int, run: Measured, theirs: dict[str, Load]) -> None:
    mine, pairs = run.results, run.streams
    print(f"\n{backend}, wrk -t1 -c16 -d{seconds}s, {machine()}")
    print(
        f"| {'endpoint':40} | req/s | p50 ms | p99 ms | errors | CPU ms/req "
        "| reference req/s | reference CPU ms/req | ratio | CPU ratio |"
    )
    print(f"|{'-' * 42}|------:|-------:|-------:|-------:|---:|---:|---:|------:|---:|")
    for name, against, label in ROWS:
        m, t = mine[name], theirs[against]
        print(
            f"| {name + ' (' + label + ')':40} | {m.rps:.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} "
            f"| {m.errors} | {m.cpu_ms:.2f} "
            f"| {t.rps:.0f} | {t.cpu_ms:.2f} | {m.rps / t.rps:.2f} | {t.cpu_ms / m.cpu_ms:.2f} |"
        )
    for name, _against, _label in ROWS:
        if (turns := mine[name].turns) is not None:
            print(
                f"SQLite's write lock during {name}: taken {turns.held / seconds:.0%} of the run, "
                f"{1000 * turns.held / turns.count:.2f} ms a turn; a writer queued "
                f"{1000 * turns.waited / turns.count:.1f} ms for its turn ({turns.count:.0f} turns, "
                "the workers' included)"
            )
    for index, (alone, streamed) in enumerate(pairs, 1):
        print(
            f"pair {index}: create {alone.rps:.0f}/s alone, {streamed.rps:.0f}/s with {STREAMS} "
            f"streams open ({stream_cost((alone, streamed)):.0%}); the server's CPU per create "
            f"{alone.cpu_ms:.2f} -> {streamed.cpu_ms:.2f} ms "
            f"({streamed.cpu_ms / alone.cpu_ms - 1:+.0%})"
        )
    print(
        f"{STREAMS} open streams cost {stream_cost(median_pair(pairs)):.0%} of create throughput "
        f"(the median of {len(pairs)} alternating pairs; the table's streams row is its run)"
    )
    for index, (their, my) in enumerate(run.creates, 1):
        print(
            f"create, pair {index}: the reference {their.rps:.0f}/s, the service {my.rps:.0f}/s "
            f"({create_ratio((their, my)):.2f}); CPU per create {their.cpu_ms:.2f} and "
            f"{my.cpu_ms:.2f} ms ({their.cpu_ms / my.cpu_ms:.2f}); the service's p99 {my.p99_ms:.1f} ms"
        )
    ratios = sorted(create_ratio(pair) for pair in run.creates)
    print(
        f"create against the reference: {ratios[len(ratios) // 2]:.2f} (the median of "
        f"{len(ratios)} alternating pairs, both servers up; the table's create row is one run each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--service-src", type=Path, help="the src/ of another checkout to measure")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        work = Path(tempfile.mkdtemp(prefix="workorders-bench-"))
        suffix = secrets.token_hex(3)
        with contextlib.ExitStack() as scratch:
            scratch.callback(shutil.rmtree, work, ignore_errors=True)
            if backend == "postgresql":
                service_db = scratch.enter_context(fresh_postgres(f"bench_service_{suffix}"))
                reference_db = scratch.enter_context(fresh_postgres(f"bench_reference_{suffix}"))
            else:
                service_db = f"sqlite+aiosqlite:///{work / 'service.db'}"
                reference_db = f"sqlite+aiosqlite:///{work / 'reference.db'}"
            pid, scenarios = scratch.enter_context(running_reference(reference_db))
            theirs = {
                name: measured(pid, s.url, s.script, args.seconds, s.env)
                for name, s in scenarios.items()
            }
            mine = service(
                service_db, args.seconds, args.service_src, work, (pid, scenarios["create"])
            )
            report(backend, args.seconds, mine, theirs)


if __name__ == "__main__":
    main()
