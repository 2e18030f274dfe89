"""Throughput of the service against the reference app, on the same machine, database and load.

Run by hand (never in CI), with wrk installed:

    .venv/bin/python bench/compare.py --reference /path/to/reference_app.py [--postgres]

It starts each app with uvicorn (one worker, no access log), loads it with wrk (16 connections,
`--seconds` per endpoint) and prints requests per second and the ratio service / reference. Ratios hold
across machines; absolute figures do not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from workorders.auth import mint_token
from workorders.config import Settings
from workorders.domain.actors import Role

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CREATE_BODY = {"description": "厨房水管漏水，地上都是水"}
REFERENCE_BODY = {
    "category": "repair",
    "description": "厨房水管漏水，地上都是水",
    "unit": "3-2-1502",
}


def wait_until_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def wrk(url: str, script: str, seconds: int, env: dict[str, str]) -> float:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(HERE / script), url],
        capture_output=True,
        text=True,
        env=os.environ | env,
        check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} failed responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def serve(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--no-access-log", "--log-level", "warning"],
        env=os.environ | env,
        cwd=cwd,
    )


def fresh_postgres(name: str) -> str:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}"'],
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'CREATE DATABASE "{name}"'],
        check=True,
    )
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference", required=True, type=Path, help="path to reference_app.py")
    parser.add_argument("--postgres", action="store_true", help="both apps on PostgreSQL")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="workorders-bench-"))
    suffix = secrets.token_hex(3)
    if args.postgres:
        service_db = fresh_postgres(f"bench_service_{suffix}")
        reference_db = fresh_postgres(f"bench_reference_{suffix}")
    else:
        service_db = f"sqlite+aiosqlite:///{work / 'service.db'}"
        reference_db = f"sqlite+aiosqlite:///{work / 'reference.db'}"

    results: dict[str, tuple[float, float]] = {}
    # The reference app
    reference = serve(
        ["reference_app:app", "--port", "8901"],
        {"REFERENCE_DB_URL": reference_db},
        args.reference.resolve().parent,
    )
    try:
        base = "http://127.0.0.1:8901"
        wait_until_up(f"{base}/ping")
        ref_create = wrk(
            f"{base}/orders", "post.lua", args.seconds, {"BODY": json.dumps(REFERENCE_BODY)}
        )
        order = httpx.post(f"{base}/orders", json=REFERENCE_BODY).json()
        ref_read = wrk(f"{base}/orders/{order['id']}", "get.lua", args.seconds, {})
        ref_ping = wrk(f"{base}/ping", "get.lua", args.seconds, {})
    finally:
        reference.terminate()
        reference.wait()

    # The service, migrated, with one owner to file orders as
    env = {"WORKORDERS_DATABASE_URL": service_db}
    subprocess.run(
        [sys.executable, "-m", "workorders", "migrate"], env=os.environ | env, check=True, cwd=work
    )
    service = serve(["workorders.app:create_app", "--factory", "--port", "8902"], env, work)
    try:
        base = "http://127.0.0.1:8902"
        wait_until_up(f"{base}/healthz")
        settings = Settings(database_url=service_db)
        now = datetime.now(UTC)
        admin = mint_token(settings, role=Role.ADMIN, now=now)
        owner = httpx.post(
            f"{base}/v1/owners",
            json={"name": "压测业主", "phone": "13800000000"},
            headers={"Authorization": f"Bearer {admin}"},
        ).json()
        token = mint_token(settings, role=Role.OWNER, now=now, sub=owner["id"])
        create = wrk(
            f"{base}/v1/work-orders",
            "post.lua",
            args.seconds,
            {"BODY": json.dumps(CREATE_BODY), "TOKEN": token},
        )
        order = httpx.post(
            f"{base}/v1/work-orders", json=CREATE_BODY, headers={"Authorization": f"Bearer {token}"}
        ).json()
        read = wrk(
            f"{base}/v1/work-orders/{order['id']}", "get.lua", args.seconds, {"TOKEN": token}
        )
        ping = wrk(f"{base}/healthz", "get.lua", args.seconds, {})
    finally:
        service.terminate()
        service.wait()

    results = {
        "ping (GET /healthz vs /ping)": (ping, ref_ping),
        "create (POST /v1/work-orders vs /orders)": (create, ref_create),
        "read (GET /v1/work-orders/{id} vs /orders/{id})": (read, ref_read),
    }
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{backend}, wrk -t2 -c16 -d{args.seconds}s")
    print(f"{'endpoint':50} {'service':>10} {'reference':>10} {'ratio':>7}")
    for name, (mine, theirs) in results.items():
        print(f"{name:50} {mine:10.0f} {theirs:10.0f} {mine / theirs:7.2f}")


if __name__ == "__main__":
    main()
