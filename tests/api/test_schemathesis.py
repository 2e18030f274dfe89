"""Schemathesis: generated requests from the OpenAPI document against a real server.

Every operation, with valid and invalid inputs, must answer as the document says: never a 500, the
declared status codes, problem+json for errors, bodies that match their schemas, invalid input refused.
Schema-valid input may still be refused with 422 (a window whose end precedes its start, an owner id that
does not exist: rules JSON Schema cannot say), so that one check is left out. The server runs in a
thread of its own (its own event loop and SQLite database), as a client would meet it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import GENEROUS_LIMITS
from workorders.app import create_app
from workorders.auth import mint_token
from workorders.config import Settings
from workorders.db import Database
from workorders.domain.actors import Role
from workorders.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    database: Path = tmp_path_factory.mktemp("schemathesis") / "api.db"
    app_settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}", rate_limits=GENEROUS_LIMITS
    )
    port = _free_port()

    async def prepare() -> None:
        db = Database(app_settings)
        await upgrade(db.write_engine)
        await db.dispose()

    asyncio.run(prepare())
    config = uvicorn.Config(
        create_app(app_settings), host="127.0.0.1", port=port, log_level="error"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz", timeout=0.5)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    yield base, app_settings
    instance.should_exit = True
    thread.join(timeout=10)


def test_every_operation_keeps_its_contract(server: tuple[str, Settings]) -> None:
    base, app_settings = server
    token = mint_token(app_settings, role=Role.MANAGER, now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as failure:  # collect them all: one report for every broken operation
            failures[operation.label] = str(failure)[:2000]
    assert operations >= 25
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
