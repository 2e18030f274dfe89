"""An owner's orders by an index in the order the app lists them: newest first.

"My orders" (`GET /v1/work-orders` as an owner) asks for one owner's orders of a property, newest
first, a page at a time. The index on (property_id, owner_id) found them, and PostgreSQL then sorted
every one of them for each page: 5,001 rows read and sorted for a page of 20 (4 ms) for an owner with
5,000 orders, whenever the statistics were stale, as after a burst of filings before autovacuum had
analysed them (bench/RESULTS.md, round 12). With created_at and id after owner_id the same index
serves the page in order and stops at its end, whatever the statistics say; it still serves every
lookup the shorter one did, which it replaces.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("ix_work_orders_property_id_owner_id", ["property_id", "owner_id"])
NEW = (
    "ix_work_orders_property_id_owner_id_created_at_id",
    ["property_id", "owner_id", "created_at", "id"],
)


def upgrade() -> None:
    op.create_index(NEW[0], "work_orders", NEW[1])
    op.drop_index(OLD[0], table_name="work_orders")


def downgrade() -> None:
    op.create_index(OLD[0], "work_orders", OLD[1])
    op.drop_index(NEW[0], table_name="work_orders")
