"""Migration 0014: a model stored as a pickle is deleted (loading it would run its code), a model stored
in the safe format is kept, and a property that lost its active model routes with the default again."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tests.api.test_schema import scratch_database  # noqa: F401 (a fixture)
from workorders import routing_model
from workorders.db import JSONType, UTCDateTime
from workorders.migrate import upgrade

if TYPE_CHECKING:
    from workorders.db import Database

T0 = datetime(2026, 11, 29, tzinfo=UTC)
meta = sa.MetaData()
properties = sa.Table(
    "properties",
    meta,
    sa.Column("id", sa.String),
    sa.Column("name", sa.String),
    sa.Column("timezone", sa.String),
    sa.Column("config_revision", sa.Integer),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("updated_at", UTCDateTime()),
)
models = sa.Table(
    "routing_models",
    meta,
    sa.Column("id", sa.String),
    sa.Column("property_id", sa.String),
    sa.Column("version", sa.String),
    sa.Column("active", sa.Boolean),
    sa.Column("figures", JSONType),
    sa.Column("trained_on", JSONType),
    sa.Column("examples_seen", sa.Integer),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("created_at", UTCDateTime()),
)


def _model(property_id: str, blob: bytes, *, active: bool) -> dict[str, object]:
    return {
        "id": f"rmod_{property_id}",
        "property_id": property_id,
        "version": f"{property_id}-v1",
        "active": active,
        "figures": {},
        "trained_on": {},
        "examples_seen": 3,
        "blob": blob,
        "created_at": T0,
    }


async def test_pickled_models_are_deleted_and_safe_ones_kept(
    scratch_database: Database,  # noqa: F811
) -> None:
    engine = scratch_database.write_engine
    await upgrade(engine, "0010")
    safe = routing_model.default_classifier().dumps()
    async with engine.begin() as connection:
        for pid in ("p_pickled", "p_safe"):
            await connection.execute(
                sa.insert(properties).values(
                    id=pid,
                    name=pid,
                    timezone="Asia/Shanghai",
                    config_revision=1,
                    created_at=T0,
                    updated_at=T0,
                )
            )
        await connection.execute(
            sa.insert(models),
            [
                _model("p_pickled", pickle.dumps({"format": 1}, protocol=5), active=True),
                _model("p_safe", safe, active=True),
            ],
        )

    await upgrade(engine)

    async with engine.connect() as connection:
        kept = (await connection.execute(sa.select(models.c.property_id))).scalars().all()
        revisions = dict((await connection.execute(sa.select(properties.c.id, properties.c.config_revision))).all())  # fmt: skip
    assert kept == ["p_safe"]
    assert (revisions["p_pickled"], revisions["p_safe"]) == (2, 1), "replicas reload p_pickled"
