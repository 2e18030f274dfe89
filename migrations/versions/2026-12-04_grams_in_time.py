"""PostgreSQL's table of grams keeps each order's property and filing time, to find its newest matches.

A short phrase whose matches are many but none among the newest orders made the search either walk
the list's index past every newer order or read every candidate's order by its key to learn when it
was filed (at 1M orders, 91 ms for 25,000 old matches and 158 ms for 111,111 in the middle of the
time; bench/RESULTS.md, round 26). With the filing time beside the grams, the newest candidates of a
property are found in the table of grams alone, and only those orders are read
(`workorders.services.search_grams.newest`). Both values are copied once: the service never changes
an order's property or filing time.

Here: the two columns, filled from the orders; the trigger's function, which writes an order's grams
again when its text changes, writes them too.

SQLite is left as 0019 made it (its table of grams is keyed by the order's rowid, in filing order).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGED = """
CREATE OR REPLACE FUNCTION work_orders_grams_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO work_orders_grams (work_order_id, property_id, created_at, grams)
    VALUES (
        NEW.id, NEW.property_id, NEW.created_at,
        work_order_grams(NEW.title, NEW.description, NEW.number)
    )
    ON CONFLICT (work_order_id) DO UPDATE SET grams = excluded.grams;
    RETURN NULL;
END
$$
"""
# The function as migration 0020 made it.
CHANGED_0020 = """
CREATE OR REPLACE FUNCTION work_orders_grams_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO work_orders_grams (work_order_id, grams)
    VALUES (NEW.id, work_order_grams(NEW.title, NEW.description, NEW.number))
    ON CONFLICT (work_order_id) DO UPDATE SET grams = excluded.grams;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE work_orders_grams ADD COLUMN property_id VARCHAR(64), "
        "ADD COLUMN created_at TIMESTAMP WITH TIME ZONE"
    )
    op.execute(
        "UPDATE work_orders_grams AS g SET property_id = w.property_id, created_at = w.created_at "
        "FROM work_orders AS w WHERE w.id = g.work_order_id"
    )
    op.execute(
        "ALTER TABLE work_orders_grams ALTER COLUMN property_id SET NOT NULL, "
        "ALTER COLUMN created_at SET NOT NULL"
    )
    op.execute(CHANGED)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHANGED_0020)
    op.execute("ALTER TABLE work_orders_grams DROP COLUMN property_id, DROP COLUMN created_at")
