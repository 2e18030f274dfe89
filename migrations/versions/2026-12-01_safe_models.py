"""Trained routing models are stored as numbers, never as pickles.

Until now a property's trained model was a pickled Python object in `routing_models.blob`, and loading
one ran whatever code the bytes asked for: anyone able to write that column could run code in every
replica. From here on a model is a NumPy archive of its fitted numbers, read without pickle
(`routing_model.classifier.loads`).

A pickled row cannot be converted without unpickling it, which is the very risk removed, so it is
deleted: a property whose active model it was routes with the package's default again (its revision is
bumped so that every replica reloads), and its customer-service examples are kept, so its next
retraining (the worker's, once enough examples are new, or `workorders routing train --property P`)
builds a new version from them. No column changes.

Downgrading deletes the rows in the new format the same way: the older code cannot read them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARCHIVE = b"PK\x03\x04"  # a NumPy .npz archive is a zip file

meta = sa.MetaData()
properties = sa.Table(
    "properties", meta, sa.Column("id", sa.String), sa.Column("config_revision", sa.Integer)
)
models = sa.Table(
    "routing_models",
    meta,
    sa.Column("id", sa.String),
    sa.Column("property_id", sa.String),
    sa.Column("active", sa.Boolean),
    sa.Column("blob", sa.LargeBinary),
)


def _delete(keep_archives: bool) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(models.c.id, models.c.property_id, models.c.active, models.c.blob)
    ).all()
    doomed = [r for r in rows if bytes(r.blob or b"").startswith(ARCHIVE) is not keep_archives]
    if not doomed:
        return
    connection.execute(models.delete().where(models.c.id.in_([r.id for r in doomed])))
    touched = sorted({r.property_id for r in doomed if r.active})
    if touched:
        connection.execute(
            properties.update()
            .where(properties.c.id.in_(touched))
            .values(config_revision=properties.c.config_revision + 1)
        )


def upgrade() -> None:
    _delete(keep_archives=True)


def downgrade() -> None:
    _delete(keep_archives=False)
