"""Alembic, driven from code: the migrations ship inside the package as `workorders.migrations`.

The service's engines are async; Alembic is not. Each command runs on a connection borrowed from the
async engine (`run_sync`), handed to `env.py` through `config.attributes` (Alembic's recipe for
sharing a connection).

Several replicas starting at once each run `workorders serve`, which migrates first. On PostgreSQL the
upgrade holds a transaction-level advisory lock, so they take turns: the first migrates, the others
wait for its commit and then find the database at head. On SQLite the write lock (`BEGIN IMMEDIATE`)
serializes them already.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("workorders.migrations")))
    config.attributes["connection"] = connection
    return config


def include_object(
    _object: Any, name: str | None, type_: str, reflected: bool, _compare: Any
) -> bool:
    """What autogenerate compares: not the search structures of migrations 0007, 0017 and 0019, which
    live outside the models (the FTS5 tables, their shadow tables and the tables beside them on
    SQLite, the trigram indexes on PostgreSQL)."""
    searched_tables = ("work_orders_search", "work_orders_grams")
    if reflected and type_ == "table" and (name or "").startswith(searched_tables):
        return False
    return not (reflected and type_ == "index" and (name or "").endswith("_trgm"))


# The advisory lock's key: any constant the service's database uses for nothing else.
MIGRATION_LOCK = 0x776F726B6F7264  # "workord"


async def _serialized(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    async with engine.begin() as connection:
        await _serialized(connection)
        await connection.run_sync(lambda c: command.upgrade(alembic_config(c), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await _serialized(connection)
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), revision))


@cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())
