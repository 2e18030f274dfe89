"""Instructions (callgrind) or CPU per request of the app alone: no server, no sockets, no client.

    .venv/bin/python bench/inproc.py [--backend postgresql|sqlite] [--only create,read] [-n 100]
    .venv/bin/python bench/inproc.py --callgrind [--only read] [-n 200]
    .venv/bin/python bench/inproc.py --callgrind --reference --only create,read   # the floor

With `--reference`, the same is done for `reference_app.py` (its create and read, the
floor the service is compared with by `compare.py`). The app (workers off) is called as an ASGI application straight from this process, after a warm-up,
for `-n` requests per scenario (create, read, list, action: the scenarios of `compare.py`). Without
`--callgrind` it prints the process's CPU per request, which moves with the machine's load. With it,
the script runs itself under valgrind's callgrind, instrumentation switched on only around the `-n`
requests of one scenario at a time (`callgrind_control -i on/off`), and prints instructions per
request: a figure that other people's load on the machine does not change. valgrind must be
installed (Debian: `apt-get install valgrind`); it is not a dependency of the project.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compare import CREATE_BODY, REFERENCE_BODY, fresh_postgres

from workorders.app import create_app
from workorders.auth import mint_token
from workorders.config import Settings
from workorders.db import Database
from workorders.domain.actors import Role
from workorders.migrate import upgrade

SCENARIOS = ("create", "read", "list", "action")
LIMITS = "create_order=100000000/hour;request=100000000/minute;comment=100000000/hour"

Call = Callable[[], Awaitable[None]]


async def asgi(
    app: Any, method: str, target: str, token: str | None, body: Any = None
) -> tuple[int, bytes]:
    """One request through the app's ASGI interface, as uvicorn would make it."""
    path, _, query = target.partition("?")
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [(b"host", b"bench"), (b"accept", b"*/*")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body is not None:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client never disconnects
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def ok(app: Any, method: str, target: str, token: str | None, body: Any = None) -> bytes:
    status, answer = await asgi(app, method, target, token, body)
    if status >= 300:
        raise SystemExit(f"{method} {target}: {status} {answer[:300]!r}")
    return answer


async def scenarios(app: Any, settings: Settings) -> dict[str, Call]:
    """The benchmark owner, their orders, and one call per scenario (as compare.py sets them up)."""
    now = datetime.now(UTC)
    admin = mint_token(settings, role=Role.ADMIN, now=now)
    manager = mint_token(settings, role=Role.MANAGER, now=now, sub=None)
    owner = await ok(app, "POST", "/v1/owners", admin, {"name": "压测业主", "phone": "13800000000"})
    token = mint_token(settings, role=Role.OWNER, now=now, sub=json.loads(owner)["id"])
    order = json.loads(await ok(app, "POST", "/v1/work-orders", token, CREATE_BODY))
    # More orders than a list page, and escalated in turn (as compare.py's action run does).
    targets = [
        json.loads(await ok(app, "POST", "/v1/work-orders", token, CREATE_BODY))["id"]
        for _ in range(64)
    ]
    turn = 0

    async def create() -> None:
        await ok(app, "POST", "/v1/work-orders", token, CREATE_BODY)

    async def read() -> None:
        await ok(app, "GET", f"/v1/work-orders/{order['id']}", token)

    async def page() -> None:
        await ok(app, "GET", "/v1/work-orders?limit=20", token)

    async def action() -> None:
        nonlocal turn
        turn = (turn + 1) % len(targets)
        await ok(
            app, "POST", f"/v1/work-orders/{targets[turn]}/escalate", manager, {"reason": "压测"}
        )

    return {"create": create, "read": read, "list": page, "action": action}


async def reference_scenarios(app: Any) -> dict[str, Call]:
    """The reference app's create and read, as compare.py loads them."""
    order = json.loads(await ok(app, "POST", "/orders", None, REFERENCE_BODY))

    async def create() -> None:
        await ok(app, "POST", "/orders", None, REFERENCE_BODY)

    async def read() -> None:
        await ok(app, "GET", f"/orders/{order['id']}", None)

    return {"create": create, "read": read}


async def drive_reference(database_url: str, only: list[str], n: int, instrumented: bool) -> None:
    os.environ["REFERENCE_DB_URL"] = database_url
    import reference_app  # reads its database from the environment on import

    await reference_app._create_tables()
    calls = await reference_scenarios(reference_app.app)
    await measure(calls, only, n, instrumented)


async def measure(calls: dict[str, Call], only: list[str], n: int, instrumented: bool) -> None:
    for name in only:
        call = calls[name]
        for _ in range(max(20, n // 5)):  # caches, pools and statement caches warm
            await call()
        if instrumented:
            callgrind("on")
        started = time.process_time()
        for _ in range(n):
            await call()
        used = time.process_time() - started
        if instrumented:
            callgrind("off")
            print(f"measured {name}", flush=True)
        else:
            print(f"| {name:8} | {n:5} | {used / n * 1000:8.3f} |", flush=True)


def callgrind(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())],
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def drive(database_url: str, only: list[str], n: int, instrumented: bool) -> None:
    settings = Settings(database_url=database_url, rate_limits=LIMITS)
    database = Database(settings)
    await upgrade(database.write_engine)
    await database.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await measure(await scenarios(app, settings), only, n, instrumented)


def instructions(argv: list[str], keep: Path | None = None) -> int:
    """What callgrind counts, with instrumentation switched on by the script itself
    (`callgrind("on")`), running `python argv` under valgrind; its file moved to `keep` if given."""
    with tempfile.TemporaryDirectory(prefix="workorders-callgrind-") as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                *argv,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # `totals:` counts what ran with instrumentation on (`summary:` stays 0 with it off at start).
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        assert totals, "callgrind wrote no totals"
        if keep is not None:
            out.rename(keep)
        return int(totals.group(1))


def under_callgrind(args: argparse.Namespace, only: list[str]) -> None:
    """One valgrind run per scenario, each printing its instructions per request."""
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    for name in only:
        argv = [__file__, "--backend", args.backend, "--only", name, "-n", str(args.n)]
        argv += ["--instrumented"] + (["--reference"] if args.reference else [])
        keep = args.keep / f"callgrind.{name}.out" if args.keep else None
        per = instructions(argv, keep) / args.n
        print(f"| {name:8} | {args.n:5} | {per / 1e6:8.2f}M |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("-n", type=int, default=100, help="requests measured per scenario")
    parser.add_argument("--callgrind", action="store_true", help="instructions per request")
    parser.add_argument("--keep", type=Path, help="keep the callgrind files in this folder")
    parser.add_argument("--reference", action="store_true", help="measure reference_app.py")
    parser.add_argument("--instrumented", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    only = args.only.split(",")
    if args.callgrind:
        what = "the reference app" if args.reference else "the service"
        print(
            f"{what} on {args.backend}, instructions per request (callgrind, in process, workers off)"
        )
        print("| scenario |     n | per request |")
        under_callgrind(args, only)
        return
    if not args.instrumented:
        print(
            f"{args.backend}, CPU per request (in process, workers off), load {os.getloadavg()[0]:.1f}"
        )
        print("| scenario |     n | CPU ms |")
    with contextlib.ExitStack() as scratch:
        work = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="workorders-inproc-")))
        if args.backend == "postgresql":
            url = scratch.enter_context(fresh_postgres(f"bench_inproc_{secrets.token_hex(3)}"))
        else:
            url = f"sqlite+aiosqlite:///{work / 'service.db'}"
        run = drive_reference if args.reference else drive
        asyncio.run(run(url, only, args.n, args.instrumented))


if __name__ == "__main__":
    main()
