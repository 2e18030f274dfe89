"""One revision per property's configuration, so that every process can cache it.

Routing rules, deadline policies and settings, queue dispatch and the directory are read on every request
and change rarely. Every change raises `properties.config_revision` in its own transaction (and, on
PostgreSQL, sends NOTIFY `workorders_config`), which is how a process knows its cached copy is stale.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself): a batch copy of
# `properties` would trip the foreign keys every other table holds on it.
def upgrade() -> None:
    op.add_column(
        "properties",
        sa.Column("config_revision", sa.Integer(), nullable=False, server_default="1"),
    )


def downgrade() -> None:
    op.drop_column("properties", "config_revision")
