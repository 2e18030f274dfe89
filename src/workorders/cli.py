"""The `workorders` command: serve, worker, migrate, seed-demo, token, openapi, routing."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from workorders.config import Settings, get_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fastapi import FastAPI

DEFAULT_OPENAPI_PATH = Path("openapi") / "openapi.json"


async def _migrate(settings: Settings) -> None:
    from workorders.db import Database
    from workorders.migrate import upgrade

    database = Database(settings)
    try:
        await upgrade(database.write_engine)
    finally:
        await database.dispose()


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    print("database migrated to head")
    return 0


def app_with_workers() -> FastAPI:
    """The app of one `serve` process, its workers inside (uvicorn's factory for `--workers N`)."""
    from workorders.app import create_app

    return _served(create_app(run_workers=True))


def app_without_workers() -> FastAPI:
    from workorders.app import create_app

    return _served(create_app(run_workers=False))


# The young generation's threshold in a serving process (CPython's default is 700).
YOUNG_GENERATION = 10_000


def _served(app: FastAPI) -> FastAPI:
    """The app, with everything built so far kept out of the garbage collector's way.

    A serving process holds some 245,000 objects from its start to its end (modules, the app, its
    routes and schemas, the ORM's mappings); every full collection walked them all, a pause of
    100-130 ms for every request in flight, a few times in ten seconds under load (the p99 of
    create and read: bench/RESULTS.md, round 5). Collected once, then frozen: later collections walk
    only what came after. Done here, in the serving process, not in `create_app`: the tests build an
    app per test, and frozen garbage of theirs would never be collected.

    The young generation is collected after 10,000 new objects, not 700. A request leaves no cycles
    for the collector (none in 3,200 creates), but 16 requests in flight hold more than 700 objects
    between them: at 700 a young collection ran every 8 creates, found nothing, and cost ~85 µs of
    CPU per create; at 10,000 none ran in 3,200 (round 17). Cycles, when there are some, wait for
    10,000 allocations instead of 700: a few megabytes at most.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])
    return app


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate (once, whichever replica or process gets there first), then serve. With `--workers N`
    uvicorn runs N processes, each with its own pool, cache and feed follower, each built by the
    factory; the background workers in every one of them claim their work with SKIP LOCKED or a
    lease, so running them N times never does anything twice."""
    import uvicorn

    asyncio.run(_migrate(settings))
    factory = "app_without_workers" if args.no_workers else "app_with_workers"
    uvicorn.run(
        f"workorders.cli:{factory}",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        access_log=args.access_log,
        server_header=False,
    )
    return 0


def cmd_worker(_args: argparse.Namespace, settings: Settings) -> int:
    from workorders import routing_model
    from workorders.clock import SystemClock
    from workorders.db import Database
    from workorders.workers.runner import Workers

    async def run() -> None:
        # Scheduled orders are routed here too: the default model is built before any is filed.
        await asyncio.to_thread(routing_model.warm_default)
        database = Database(settings)
        try:
            await Workers(database, settings, SystemClock()).run_forever()
        finally:
            await database.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from workorders.auth import mint_token
    from workorders.clock import SystemClock
    from workorders.db import Database, transaction
    from workorders.domain.actors import Role
    from workorders.domain.taxonomy import Department
    from workorders.services import demo

    if settings.is_production:
        # Before anything is written: demo people with known tokens have no place in production.
        print(
            "workorders seed-demo: refusing to load demo data when WORKORDERS_ENV=production",
            file=sys.stderr,
        )
        return 2
    now = SystemClock().now()

    async def run() -> demo.DemoPeople:
        await _migrate(settings)
        database = Database(settings)
        try:
            async with transaction(database.writer) as session:
                if await demo.is_seeded(session):
                    print("the demo community is already there; its tokens:\n")
                    return await demo.load_people(session)
                people = await demo.seed(session, settings, now)
                print("demo community created; tokens to try it with:\n")
                return people
        finally:
            await database.dispose()

    people = asyncio.run(run())
    rows: list[tuple[str, str]] = []
    for member in people.staff.values():
        role = Role(member.role) if member.role != "manager" else Role.MANAGER
        dept = Department(member.department) if member.department else None
        label = f"{member.role} {member.department or ''} {member.name}".replace("  ", " ")
        # The id is what `workorders token --sub` takes, for a token minted later.
        label = f"{label} (sub {member.id})"
        rows.append((label, mint_token(settings, role=role, now=now, sub=member.id, dept=dept)))
    for owner in people.owners:
        token = mint_token(settings, role=Role.OWNER, now=now, sub=owner.id)
        rows.append((f"owner {owner.name} (sub {owner.id})", token))
    rows.append(("admin", mint_token(settings, role=Role.ADMIN, now=now)))
    for label, token in rows:
        print(f"{label}\n  {token}")
    # Called with a bare Namespace by code that loads the demo without the command line.
    port, base_url = getattr(args, "port", 8000), getattr(args, "base_url", None)
    base_url = (base_url or f"http://127.0.0.1:{port}").rstrip("/")
    print(f'\ntry: curl -H "Authorization: Bearer <token>" {base_url}/v1/work-orders')
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from workorders.auth import mint_token
    from workorders.clock import SystemClock
    from workorders.domain.actors import Role
    from workorders.domain.taxonomy import Department

    try:
        token = mint_token(
            settings,
            role=Role(args.role),
            now=SystemClock().now(),
            sub=args.sub,
            dept=Department(args.dept) if args.dept else None,
            prop=args.prop,
            ttl=timedelta(seconds=args.ttl) if args.ttl else None,
        )
    except Exception as exc:  # the token rules' own message is the useful answer here
        print(f"workorders token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _retrain_property(args: argparse.Namespace, settings: Settings) -> int:
    """Retrain one property's model from the corpus and what customer service taught it."""
    from workorders.clock import SystemClock
    from workorders.db import Database
    from workorders.services import routing_models

    async def run() -> routing_models.Outcome:
        database = Database(settings)
        try:
            return await routing_models.retrain(
                database, args.property, now=SystemClock().now(), seed=args.seed
            )
        finally:
            await database.dispose()

    outcome = asyncio.run(run())
    print(json.dumps(outcome.__dict__, indent=2, ensure_ascii=False, default=str))
    return 0 if outcome.version is not None else 1


def render_openapi() -> str:
    from workorders.app import create_app

    document = create_app(get_settings()).openapi()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def cmd_openapi(args: argparse.Namespace, _settings: Settings) -> int:
    path = Path(args.output)
    rendered = render_openapi()
    if args.check:
        if not path.exists() or path.read_text(encoding="utf-8") != rendered:
            print(
                f"{path} differs from what the app serves: run `workorders openapi`",
                file=sys.stderr,
            )
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rendered, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def routing_train(examples: Sequence[Any], *, seed: int, output: Path | None) -> int:
    """Cross-validate (grouped by source, and at random for contrast), then fit on everything."""
    import time

    from workorders import routing_model
    from workorders.domain.routing import ROUTE_THRESHOLD
    from workorders.routing_model.evaluation import render
    from workorders.routing_model.validation import choose_threshold, cross_validate

    print(f"{len(examples)} examples, seed {seed}")
    grouped, signed = cross_validate(examples, seed=seed, grouped=True)
    print(render(grouped, "group cross-validation by source (5 folds)"))
    chosen, triage = choose_threshold(signed)
    print(f"lowest threshold for 95% right among routed orders: {chosen:.2f}, triage {triage:.1%}")
    print("threshold  triage  right among routed")
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, ROUTE_THRESHOLD):
        routed = [s for s in signed if abs(s) >= threshold]
        share = 1 - len(routed) / len(signed)
        right = sum(s > 0 for s in routed) / len(routed) if routed else 0.0
        shipped = "  <- shipped" if threshold == ROUTE_THRESHOLD else ""
        print(f"  {threshold:.2f}    {share:6.1%}  {right:6.1%}{shipped}")
    randomly, _ = cross_validate(examples, seed=seed, grouped=False)
    print(
        f"random 5-fold cross-validation (not a result, paraphrases leak): {randomly.accuracy:.1%}"
    )
    started = time.perf_counter()
    model = routing_model.train(examples, seed=seed)
    print(f"trained {model.version} in {time.perf_counter() - started:.1f} s")
    thresholds = ", ".join(f"{k} {v:.3f}" for k, v in model.urgent_thresholds.items())
    print(
        f"urgent thresholds (held-out folds): {thresholds}; queue temperature {model.queue_temperature:.2f}"
    )
    if output is not None:
        output.write_bytes(model.dumps())
        print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_routing_train(args: argparse.Namespace, settings: Settings) -> int:
    """The default model from the packaged corpus, or with `--property` a property's own."""
    if args.property:
        return _retrain_property(args, settings)
    from workorders import routing_model

    return routing_train(routing_model.load_corpus(), seed=args.seed, output=args.output)


def cmd_routing_evaluate(args: argparse.Namespace, _settings: Settings) -> int:
    from workorders import routing_model
    from workorders.routing_model.corpus import read_examples_counted
    from workorders.routing_model.evaluation import render

    try:
        examples, skipped = read_examples_counted(args.file)
    except (OSError, UnicodeDecodeError) as error:
        print(f"workorders: cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    if skipped:
        print(f"{skipped} lines skipped: each needs text (or description), queue and priority")
    if not examples:
        print(
            f"workorders: no labelled request in {args.file}: one JSON object a line with "
            '"text" (or "description"), "queue" and "priority"',
            file=sys.stderr,
        )
        return 2
    model = routing_model.default_classifier()
    print(render(routing_model.evaluate(model, examples), f"{model.version} on {args.file}"))
    if args.threshold is not None:
        with_triage = routing_model.evaluate(model, examples, threshold=args.threshold)
        print(render(with_triage, f"with triage under {args.threshold:.2f}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workorders", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the API (with the workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-workers", action="store_true", help="serve the API only")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (off: /metrics counts them)"
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("worker", help="run the background workers alone").set_defaults(
        handler=cmd_worker
    )
    commands.add_parser("migrate", help="apply the database migrations").set_defaults(
        handler=cmd_migrate
    )
    seed = commands.add_parser("seed-demo", help="load a demo community and print tokens")
    seed.add_argument(
        "--port", type=int, default=8000, help="the port `serve` listens on (for the example URL)"
    )
    seed.add_argument(
        "--base-url", help="where the service is reached, e.g. https://wo.example.com (over --port)"
    )
    seed.set_defaults(handler=cmd_seed_demo)

    token = commands.add_parser("token", help="print a development token")
    token.add_argument(
        "--role", required=True, choices=["owner", "staff", "supervisor", "manager", "admin"]
    )
    token.add_argument(
        "--dept", choices=["engineering", "security", "cleaning", "customer_service"]
    )
    token.add_argument("--sub", help="the owner's or staff member's id")
    token.add_argument("--prop", help="the property id (default: default)")
    token.add_argument("--ttl", type=int, help="lifetime in seconds")
    token.set_defaults(handler=cmd_token)

    openapi = commands.add_parser("openapi", help="write (or --check) the OpenAPI document")
    openapi.add_argument("--check", action="store_true", help="fail when the file is stale")
    openapi.add_argument("--output", default=str(DEFAULT_OPENAPI_PATH))
    openapi.set_defaults(handler=cmd_openapi)

    routing = commands.add_parser("routing", help="train and evaluate the routing model")
    routing_commands = routing.add_subparsers(dest="routing_command", required=True)
    train = routing_commands.add_parser(
        "train", help="cross-validate and train on the corpus (fixed seed)"
    )
    train.add_argument("--output", type=Path, help="write the trained default model here")
    train.add_argument(
        "--property",
        help="retrain this property's model with its examples; activated only if not worse",
    )
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(handler=cmd_routing_train)
    evaluate = routing_commands.add_parser(
        "evaluate", help="score the default model on a JSONL set"
    )
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--threshold", type=float, help="also count triage under this confidence")
    evaluate.set_defaults(handler=cmd_routing_evaluate)
    return parser


def settings_refusal(error: ValidationError) -> str:
    """Which settings are wrong and why, naming each variable and never its value (a secret's tail
    must not end up in a terminal or a log)."""
    reasons = []
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        names = [str(part) for part in item.get("loc", ()) if part != "__root__"]
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        if names:
            reasons.append(f"WORKORDERS_{'_'.join(names).upper()}: {message}")
        else:
            reasons.append(message)
    return "; ".join(reasons) or "the settings are not valid"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        print(f"workorders: {settings_refusal(exc)}", file=sys.stderr)
        return 2
    except ValueError:
        print("workorders: the settings are not valid", file=sys.stderr)
        return 2
    return int(args.handler(args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
