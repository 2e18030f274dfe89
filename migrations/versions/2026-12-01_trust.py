"""People can be deactivated: a token for someone the directory no longer lists as active is refused.

The directory decides who a token's `sub` is (API.md, "Who I am"): staff and owners get an `active`
flag, so that leaving staff and moved-out owners lose access at once without losing their history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases: a batch copy would trip the foreign keys held on these tables.
def upgrade() -> None:
    for table in ("staff", "owners"):
        op.add_column(
            table, sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    for table in ("staff", "owners"):
        op.drop_column(table, "active")
