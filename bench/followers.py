"""What the background followers of the feed cost per filed order: instructions (callgrind) or CPU.

    .venv/bin/python bench/followers.py [--backend postgresql|sqlite] [--batch 125] [--rounds 4]
    .venv/bin/python bench/followers.py --callgrind [--only fan_out,notify,grams,stream] [--batch 500]
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python bench/followers.py --callgrind   # a before

`compare.py` runs the service with its workers on, and they follow the feed beside the requests: the
webhooks' fan-out and the notifier (the delivery worker, a pass every `FOLLOW_INTERVAL` under load)
and, on PostgreSQL, the table of grams (every `feed_poll_interval`). Their work is paid per filed
order but shows in no request's figure: `inproc.py` and `served.py` run the app with the workers
off. The live streams' follower (services/fanout.py) is one too, while any stream is open:
`stream` is a round of it handing the batch to `STREAMS` streams of a manager (as `compare.py` opens
them) and each stream's batch rendered as it goes on the wire (api/events.py), the socket's write
left out. This files `--batch` orders through the app (as `inproc.py` does, uncounted), then runs one pass
of each follower over them, `--rounds` times, and prints what a pass cost per order it handled: CPU
time, or with `--callgrind` instructions counted by valgrind around the passes only (the first
round's, which compiles the statements, left out). A pass has a fixed part (its transaction and a
handful of statements) shared by the orders of the batch: at 500 filings a second the delivery
worker's passes see about 125 each, the grams' about 500. valgrind is not a dependency of the
project.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from compare import fresh_postgres
from inproc import LIMITS, callgrind, instructions, scenarios
from sqlalchemy import text

from workorders.api.events import _wire
from workorders.app import create_app
from workorders.clock import SystemClock
from workorders.config import Settings
from workorders.db import Database, transaction
from workorders.domain.actors import Principal, Role
from workorders.migrate import upgrade
from workorders.services import fanout, search_grams
from workorders.services.feed import STREAM_BATCH
from workorders.services.live import EventSignal
from workorders.workers.deliveries import DeliveryWorker

FOLLOWERS = ("fan_out", "notify", "grams", "stream")
# As compare.py: the streams of one manager.
STREAMS = 50


async def streams(db: Database, settings: Settings) -> Callable[[], Awaitable[object]]:
    """A pass of the live streams' follower: woken, it reads what was filed and hands it to every
    stream, and each stream's batch is rendered for the wire. The follower is driven by its own
    signal, woken only here (its poll and heartbeat an hour: no round of its own in between)."""
    signal = EventSignal(settings)
    follower = fanout.Follower(db, signal, poll=3600, heartbeat=3600)
    async with transaction(db.reader) as session:
        property_id = await session.scalar(text("SELECT id FROM properties LIMIT 1"))
    interest = fanout.Interest(Principal(role=Role.MANAGER, property_id=property_id))
    start = await follower.now()
    wires = [
        _wire(fanout.stream(db, follower, interest, start=start), for_owner=False)
        for _ in range(STREAMS)
    ]

    pending = [asyncio.ensure_future(anext(wire)) for wire in wires]
    # Each stream has its place before a pass (the follower offers no event to wait on).
    while len(follower._subscribers) < STREAMS:  # noqa: ASYNC110
        await asyncio.sleep(0.01)

    async def one_pass() -> object:
        nonlocal pending
        signal.wake()
        rendered = await asyncio.gather(*pending)
        pending = [asyncio.ensure_future(anext(wire)) for wire in wires]
        return rendered

    return one_pass


async def drive(url: str, args: argparse.Namespace) -> None:
    settings = Settings(database_url=url, rate_limits=LIMITS)
    database = Database(settings)
    await upgrade(database.write_engine)
    await database.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        create = (await scenarios(app, settings))["create"]
        db = Database(settings)
        worker = DeliveryWorker(db, settings, SystemClock())

        async def grams() -> object:
            async with transaction(db.writer) as session:
                return await search_grams.catch_up(session, SystemClock().now())

        passes: dict[str, Callable[[], Awaitable[object]]] = {
            "fan_out": worker.fan_out,
            "notify": worker.notify,
            "grams": grams,
            "stream": await streams(db, settings),
        }
        for name, run in passes.items():  # past the orders the set-up filed
            if name != "stream":  # it starts at the head
                await run()
        spent = dict.fromkeys(args.only, 0.0)
        for round_ in range(args.rounds):
            for _ in range(args.batch):
                await create()
            for name in args.only:
                counted = args.instrumented and round_ > 0
                if counted:
                    callgrind("on")
                started = time.process_time()
                await passes[name]()
                if round_ > 0:
                    spent[name] += time.process_time() - started
                if counted:
                    callgrind("off")
        await db.dispose()
    if not args.instrumented:
        orders = (args.rounds - 1) * args.batch
        for name in args.only:
            print(f"| {name:8} | {args.batch:5} | {spent[name] / orders * 1e6:8.1f} |", flush=True)


def under_callgrind(args: argparse.Namespace) -> None:
    """One valgrind run per follower, each printing its instructions per order."""
    for name in args.only:
        argv = [__file__, "--backend", args.backend, "--only", name, "--batch", str(args.batch)]
        argv += ["--rounds", str(args.rounds), "--instrumented"]
        per = instructions(argv) / ((args.rounds - 1) * args.batch)
        print(f"| {name:8} | {args.batch:5} | {per / 1e3:8.1f}K |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--only", default=",".join(FOLLOWERS), help="comma-separated followers")
    parser.add_argument("--batch", type=int, default=125, help="orders filed before each pass")
    parser.add_argument("--rounds", type=int, default=4, help="passes (the first not counted)")
    parser.add_argument("--callgrind", action="store_true", help="instructions per order")
    parser.add_argument("--instrumented", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.only = args.only.split(",")
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: the first pass is not counted")
    if "stream" in args.only and args.batch >= STREAM_BATCH:
        parser.error(f"the stream's pass reads one batch of fewer than {STREAM_BATCH} events")
    if args.callgrind:
        print(f"{args.backend}, instructions per filed order (callgrind, a pass per batch)")
        print("| follower | batch | per order |")
        under_callgrind(args)
        return
    if not args.instrumented:
        load = os.getloadavg()[0]
        print(f"{args.backend}, CPU µs per filed order (a pass per batch), load {load:.1f}")
        print("| follower | batch | CPU µs |")
    with contextlib.ExitStack() as scratch:
        work = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="workorders-follow-")))
        if args.backend == "postgresql":
            url = scratch.enter_context(fresh_postgres(f"bench_follow_{secrets.token_hex(3)}"))
        else:
            url = f"sqlite+aiosqlite:///{work / 'service.db'}"
        asyncio.run(drive(url, args))


if __name__ == "__main__":
    main()
