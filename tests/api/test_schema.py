"""The migrations and the models agree, downgrade works, and the OpenAPI file is what the app serves."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tests.conftest import POSTGRES_SERVER
from workorders.cli import render_openapi
from workorders.config import Settings
from workorders.db import Base, Database
from workorders.migrate import (
    current_revisions,
    downgrade,
    head_revisions,
    include_object,
    upgrade,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def scratch_database(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database of the same backend as the run's, for migrating up and down."""
    if database_url.startswith("sqlite"):
        database = Database(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"))
        yield database
        await database.dispose()
        return
    name = f"workorders_scratch_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    database = Database(Settings(database_url=f"postgresql+asyncpg://{POSTGRES_SERVER}/{name}"))
    try:
        yield database
    finally:
        await database.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    return compare_metadata(context, Base.metadata)


async def test_migrations_match_models_and_downgrade(scratch_database: Database) -> None:
    engine = scratch_database.write_engine
    await upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []
        assert await connection.run_sync(current_revisions) == head_revisions()
        default = (await connection.execute(text("SELECT id FROM properties"))).scalars().all()
        assert default == ["default"]

    await downgrade(engine, "base")
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}

    await upgrade(engine)
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_readyz_reports_the_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["revision"] == ", ".join(sorted(head_revisions()))
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_is_503_on_an_unmigrated_database(scratch_database: Database) -> None:
    import httpx

    from workorders.app import create_app

    app = create_app(scratch_database.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")


def test_committed_openapi_is_what_the_app_serves() -> None:
    committed = (REPO / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert committed == render_openapi(), "openapi/openapi.json is stale: run `workorders openapi`"


def test_openapi_operation_ids_and_problem_responses() -> None:
    document = json.loads(render_openapi())
    operation_ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
    for operation_id in operation_ids:
        assert "__" not in operation_id
        assert operation_id[0].islower() and "_" not in operation_id, operation_id
    for expected in ("createWorkOrder", "listWorkOrders", "claimWorkOrder", "confirmWorkOrder"):
        assert expected in operation_ids
    for path in document["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


END_INDEXES = {
    "ix_work_orders_property_id_cancelled_at": "cancelled_at",
    "ix_work_orders_property_id_resolved_at": "resolved_at",
    "ix_work_orders_status_resolved_at": "resolved_at",
}


async def test_the_indexes_of_an_order_s_end_hold_only_ended_orders(db: Database) -> None:
    """A new order has no end: it writes no entry to these (migration 0018), and their readers
    compare the column, which implies it is not NULL."""
    if db.dialect == "postgresql":
        definitions = text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"
        )
        params: dict[str, Any] = {"names": list(END_INDEXES)}
    else:
        definitions = text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN (:a, :b, :c)"
        )
        params = dict(zip("abc", END_INDEXES, strict=True))
    async with db.read_engine.connect() as connection:
        found: dict[str, str] = dict((await connection.execute(definitions, params)).all())
    assert set(found) == set(END_INDEXES)
    for name, column in END_INDEXES.items():
        assert (
            found[name].replace("(", "").replace(")", "").endswith(f"WHERE {column} IS NOT NULL")
        ), found[name]
