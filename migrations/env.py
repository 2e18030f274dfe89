"""Alembic environment. The service hands over a connection (see workorders/migrate.py); the `alembic`
command line, for writing new revisions, connects with WORKORDERS_DATABASE_URL itself."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from workorders import models  # noqa: F401 - registers every table on the metadata
from workorders.config import get_settings
from workorders.db import Base, Database
from workorders.migrate import include_object

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    database = Database(get_settings())
    try:
        async with database.write_engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await database.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

shared = context.config.attributes.get("connection")
if shared is not None:
    run_on(shared)
else:
    asyncio.run(run_standalone())
