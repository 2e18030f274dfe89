"""The feed in its own order: events indexed by (txid, seq).

The webhook fan-out and the notifications follow the whole feed (every property) in commit order,
`(txid, seq) > position AND txid < horizon ORDER BY txid, seq`, and look for events beyond the
horizon (`txid >= horizon`). No index led with txid (only (property_id, txid, seq)), so every pass
of the delivery worker read and sorted the whole events table, twice per follower: 41 ms and 47 ms
of PostgreSQL's time per pass at 300,000 events, growing with the table; 0.29 ms and 0.011 ms with
this index (bench/RESULTS.md, round 17). SQLite's feed follows `seq` (its primary key) and leaves
txid empty: there the index is partial and holds nothing.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_events_txid_seq"


def upgrade() -> None:
    op.create_index(NAME, "events", ["txid", "seq"], sqlite_where=sa.text("txid IS NOT NULL"))


def downgrade() -> None:
    op.drop_index(NAME, table_name="events")
