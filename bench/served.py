"""Instructions per request of the served process (callgrind), the service beside the reference app.

    .venv/bin/python bench/served.py [--only create,read,streams] [-n 200] [--service-src /other/src]
                                     [--backend postgresql|sqlite]

Each server (`workorders serve --no-workers`; `uvicorn reference_app:app`) runs under valgrind's
callgrind on a fresh database (PostgreSQL's, or a SQLite file with `--backend sqlite`),
instrumentation switched on only around `-n` requests sent one after another on one keep-alive
connection (`callgrind_control -i on/off`), after a warm-up.
What is counted is the whole server process serving them: uvicorn's HTTP parsing and writing, the
event loop, the app, the driver. It prints instructions per request and the reference's over the
service's: what the service costs the CPU per request, with the neighbours' load and the machine's
speed taken out. On this two-core machine throughput of the same code moved by half between runs
minutes apart (`compare.py`); these counts repeat to within a percent.

`streams` is the create again with 50 live streams (`/v1/events/stream`, a manager's, who sees every
event) held open by `streams.py` before the warm-up: what the streams add to the server's work per
create, in instructions, where `compare.py`'s throughput with and without them moved by more from
run to run than the difference it looks for. Each create is one batch of the follower's here (the
creates come one after another), the streams' worst case; the reference has no streams and is
measured on its plain create.

The service's background workers are off: under valgrind a request takes some fifty times longer
and the workers, which wake on the clock, would be charged to it many times over. valgrind must be
installed (Debian: `apt-get install valgrind`); it is not a dependency of the project.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from compare import (
    CREATE_BODY,
    HERE,
    REFERENCE_BODY,
    STREAMS,
    fresh_postgres,
    open_streams,
    wait_until_up,
)

from workorders.auth import mint_token
from workorders.config import Settings
from workorders.domain.actors import Role

LIMITS = "create_order=100000000/hour;request=100000000/minute;comment=100000000/hour"
PORT = 8913
WARM_UP = 20


def _valgrind(out: Path) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]


def _count(server: subprocess.Popen[bytes], client: httpx.Client, n: int, *request: Any) -> None:
    method, url, options = request
    for _ in range(WARM_UP):
        client.request(method, url, **options)
    subprocess.run(
        ["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True
    )
    for _ in range(n):
        answer = client.request(method, url, **options)
        if answer.status_code >= 300:
            raise SystemExit(f"{method} {url}: {answer.status_code} {answer.text[:300]}")
    subprocess.run(
        ["callgrind_control", "-i", "off", str(server.pid)], check=True, capture_output=True
    )


def _requests(client: httpx.Client, database_url: str, reference: bool) -> dict[str, Any]:
    """Each scenario's request, as compare.py makes it, against a fresh order."""
    if reference:
        order = client.post("/orders", json=REFERENCE_BODY).json()
        return {
            "create": ("POST", "/orders", {"json": REFERENCE_BODY}),
            "read": ("GET", f"/orders/{order['id']}", {}),
        }
    settings = Settings(database_url=database_url)
    now = datetime.now(UTC)
    admin = {"Authorization": f"Bearer {mint_token(settings, role=Role.ADMIN, now=now)}"}
    owner = client.post(
        "/v1/owners", json={"name": "压测业主", "phone": "13800000000"}, headers=admin
    )
    token = mint_token(settings, role=Role.OWNER, now=now, sub=owner.json()["id"])
    auth = {"Authorization": f"Bearer {token}"}
    order = client.post("/v1/work-orders", json=CREATE_BODY, headers=auth).json()
    return {
        "create": ("POST", "/v1/work-orders", {"json": CREATE_BODY, "headers": auth}),
        "read": ("GET", f"/v1/work-orders/{order['id']}", {"headers": auth}),
    }


def _streams_token(database_url: str) -> str:
    settings = Settings(database_url=database_url)
    return mint_token(settings, role=Role.MANAGER, now=datetime.now(UTC), sub=None)


@contextlib.contextmanager
def fresh_database(backend: str, scratch: Path) -> Iterator[str]:
    """A fresh database of `backend` for one server: a scratch PostgreSQL database, or a SQLite
    file in `scratch`."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{scratch / 'served.db'}"
        return
    with fresh_postgres(f"bench_served_{secrets.token_hex(3)}") as database_url:
        yield database_url


def measure(name: str, n: int, *, reference: bool, src: Path | None, backend: str) -> float:
    """Instructions per request of one scenario on one server."""
    with (
        tempfile.TemporaryDirectory(prefix="workorders-served-") as scratch,
        fresh_database(backend, Path(scratch)) as database_url,
    ):
        out = Path(scratch) / "callgrind.out"
        if reference:
            command = [sys.executable, "-m", "uvicorn", "reference_app:app", "--port", str(PORT)]
            command += ["--no-access-log", "--log-level", "warning"]
            env = os.environ | {"REFERENCE_DB_URL": database_url}
            probe, cwd = "/ping", HERE
        else:
            command = [sys.executable, "-m", "workorders", "serve", "--port", str(PORT)]
            command += ["--no-workers"]
            env = os.environ | {"WORKORDERS_DATABASE_URL": database_url}
            env |= {"WORKORDERS_RATE_LIMITS": LIMITS}
            if src is not None:
                env["PYTHONPATH"] = str(src)
            probe, cwd = "/healthz", Path(scratch)
        server = subprocess.Popen(
            _valgrind(out) + command,
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{PORT}"
        try:
            wait_until_up(f"{base}{probe}", server, attempts=6000)
            with httpx.Client(base_url=base, timeout=120) as client:
                requests = _requests(client, database_url, reference)
                if name != "streams":
                    _count(server, client, n, *requests[name])
                elif reference:
                    _count(server, client, n, *requests["create"])
                else:
                    with open_streams(base, _streams_token(database_url), STREAMS):
                        _count(server, client, n, *requests["create"])
        finally:
            server.send_signal(signal.SIGINT)  # callgrind writes its file as the process exits
            server.wait(300)
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        assert totals, "callgrind wrote no totals"
        return int(totals.group(1)) / n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only", default="create,read", help="comma-separated: create, read, streams"
    )
    parser.add_argument("-n", type=int, default=200, help="requests measured per scenario")
    parser.add_argument("--service-src", type=Path, help="the src/ of another checkout to measure")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    database = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[args.backend]
    print(f"instructions per served request (callgrind, {database}, one connection, workers off)")
    print("| scenario | service | reference | reference / service |")
    print("|---|--:|--:|--:|")
    for name in args.only.split(","):
        mine = measure(name, args.n, reference=False, src=args.service_src, backend=args.backend)
        theirs = measure(name, args.n, reference=True, src=None, backend=args.backend)
        print(f"| {name} | {mine / 1e6:.2f}M | {theirs / 1e6:.2f}M | {theirs / mine:.2f} |")


if __name__ == "__main__":
    main()
