"""Issue 10, findings 7 and 8: no command prints a setting's value; safe defaults on every answer."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from workorders.app import create_app

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Community
    from workorders.config import Settings

SECRET = "s3cr3t-Zq8vX-9dLw2-Hh7Kp-Jm4Nb-Tt6Yc-Rr1Ee"  # 43 bytes: long enough for production
SHORT_SECRET = "tiny-S3CRET-Qw9"


def run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "workorders", *args],
        env={k: v for k, v in os.environ.items() if not k.startswith("WORKORDERS_")} | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


def leaks(output: str, secret: str) -> bool:
    # Any run of 6 characters of the secret counts as a leak (the refusal used to show its tail).
    return any(secret[i : i + 6] in output for i in range(len(secret) - 5))


def test_no_command_prints_a_setting_value(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    development = {"WORKORDERS_JWT_SECRET": SECRET, "WORKORDERS_DATABASE_URL": database}
    production = development | {"WORKORDERS_ENV": "production"}
    # seed-demo migrates itself; the commands run side by side to keep the suite fast.
    runs = {
        "seed-demo": (["seed-demo"], development),
        "token": (["token", "--role", "manager"], development),
        "openapi": (["openapi", "--output", str(tmp_path / "o.json")], development),
        "serve refused (SQLite in production)": (["serve"], production),
        "serve refused (short secret)": (
            ["serve"],
            production
            | {
                "WORKORDERS_JWT_SECRET": SHORT_SECRET,
                "WORKORDERS_DATABASE_URL": "postgresql+asyncpg://u:pw-S3CRET-db@127.0.0.1:9/x",
            },
        ),
        "token refused": (["token", "--role", "manager"], production),
        "bad duration": (["migrate"], development | {"WORKORDERS_CLOCK_INTERVAL": "S3CRET-Qx7Zk9"}),
    }
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {
            name: pool.submit(run, args, env, tmp_path) for name, (args, env) in runs.items()
        }
        outputs = {name: future.result() for name, future in futures.items()}
    outputs["migrate"] = run(["migrate"], development, tmp_path)
    assert "refusing" in outputs["serve refused (SQLite in production)"]
    assert "WORKORDERS_JWT_SECRET" in outputs["serve refused (short secret)"]
    for command, output in outputs.items():
        for secret in (SECRET, SHORT_SECRET, "pw-S3CRET-db", "S3CRET-Qx7Zk9"):
            assert not leaks(output, secret), (command, output)


def test_seed_demo_refuses_production_before_writing(tmp_path: Path) -> None:
    database = tmp_path / "prod.db"
    env = {
        "WORKORDERS_ENV": "production",
        "WORKORDERS_JWT_SECRET": SECRET,
        "WORKORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "WORKORDERS_ALLOW_SQLITE_IN_PRODUCTION": "true",
    }
    output = run(["seed-demo"], env, tmp_path)
    assert "refusing" in output and "Traceback" not in output
    assert not database.exists()


async def test_every_answer_carries_the_safe_headers(
    client: httpx.AsyncClient, community: Community
) -> None:
    for path, headers in [
        ("/v1/work-orders", community.cs.headers),
        ("/v1/work-orders", {}),
        ("/v1/nowhere", community.cs.headers),
        ("/healthz", {}),
    ]:
        response = await client.get(path, headers=headers)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "server" not in response.headers
        if path.startswith("/v1"):
            assert response.headers["cache-control"] == "no-store"


async def test_cors_allows_only_the_configured_origins(settings: Settings, clock: Any) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    default_app = create_app(settings, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=default_app), base_url="http://test"
    ) as http:
        response = await http.options(
            "/v1/work-orders", headers=preflight | {"Origin": "https://h5.example.com"}
        )
        assert "access-control-allow-origin" not in response.headers
    allowed = settings.model_copy(update={"cors_origins": "https://h5.example.com"})
    app = create_app(allowed, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        ok = await http.options(
            "/v1/work-orders", headers=preflight | {"Origin": "https://h5.example.com"}
        )
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://h5.example.com"
        other = await http.options(
            "/v1/work-orders", headers=preflight | {"Origin": "https://evil.example.net"}
        )
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("field", ["jwt_secret", "database_url", "redis_url", "jwt_public_key"])
def test_settings_never_show_secrets_in_their_repr(field: str) -> None:
    from workorders.config import Settings

    settings = Settings(**{field: "postgresql://u:REPRSECRET@h/d"})
    assert "REPRSECRET" not in repr(settings) and "REPRSECRET" not in str(settings)
