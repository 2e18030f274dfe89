"""PostgreSQL serves searches of one or two characters by index too: a table of grams behind the filing.

A trigram index cannot serve a phrase shorter than three characters, so on PostgreSQL `q=` of one
or two was a scan: at 1M orders 4.6 s for one that no order holds (bench/RESULTS.md, round 23). A
GIN index over the grams on `work_orders` itself cost each INSERT of an order about 180 µs of the
server's time (round 24). So the grams live in a table of their own, `work_orders_grams` (the name
of SQLite's table of 0019), written behind the filing by a follower of the event feed
(`workorders.services.search_grams`, which explains the scheme): a new order is searched by a scan
until the follower has indexed it. Here:

- `work_order_grams(title, description, number)`: every character and every pair of neighbouring
  characters of the three fields, in lower case as ILIKE compares them, each once (the pairs that
  start at odd and at even places, each split off by a regular expression; the separator's own
  pieces are harmless extra keys).
- the table, filled for every order there is, and its GIN index, built after;
- a trigger that writes an order's grams again when its text changes (nothing in the service does);
- the follower's place in the feed: after every event of a transaction that had finished when this
  one began. An order whose transaction was still running is after it, and indexed by the follower.

SQLite is left as 0019 made it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workorders.services.feed import MAX_SEQ, Position

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSUMER = "search-grams"  # workorders.services.search_grams.CONSUMER, as it was at this revision

GRAMS_OF = r"""
CREATE FUNCTION work_order_grams(title text, description text, number text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(
        SELECT DISTINCT gram FROM unnest(
            string_to_array(t, NULL)
            || string_to_array(regexp_replace(t, '(..)', E'\\1\x01', 'g'), E'\x01')
            || string_to_array(regexp_replace(substr(t, 2), '(..)', E'\\1\x01', 'g'), E'\x01')
        ) AS gram
        WHERE gram <> ''
    )
    FROM (SELECT lower(concat_ws(E'\x01', title, description, number)) AS t) AS text_of
$$
"""
CHANGED = """
CREATE FUNCTION work_orders_grams_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO work_orders_grams (work_order_id, grams)
    VALUES (NEW.id, work_order_grams(NEW.title, NEW.description, NEW.number))
    ON CONFLICT (work_order_id) DO UPDATE SET grams = excluded.grams;
    RETURN NULL;
END
$$
"""
TRIGGER = """
CREATE TRIGGER work_orders_grams_update AFTER UPDATE OF title, description, number ON work_orders
FOR EACH ROW WHEN (
    OLD.title IS DISTINCT FROM NEW.title
    OR OLD.description IS DISTINCT FROM NEW.description
    OR OLD.number IS DISTINCT FROM NEW.number
) EXECUTE FUNCTION work_orders_grams_changed()
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(GRAMS_OF)
    op.execute(
        "CREATE TABLE work_orders_grams ("
        "work_order_id VARCHAR(64) PRIMARY KEY REFERENCES work_orders (id) ON DELETE CASCADE, "
        "grams TEXT[] NOT NULL)"
    )
    horizon = bind.scalar(sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
    op.execute(
        "INSERT INTO work_orders_grams (work_order_id, grams) "
        "SELECT id, work_order_grams(title, description, number) FROM work_orders"
    )
    op.execute("CREATE INDEX work_orders_grams_grams ON work_orders_grams USING gin (grams)")
    op.execute(CHANGED)
    op.execute(TRIGGER)
    bind.execute(
        sa.text(
            "INSERT INTO feed_consumers (name, position, updated_at) "
            "VALUES (:name, :position, now()) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()"
        ),
        {"name": CONSUMER, "position": Position(int(horizon) - 1, MAX_SEQ).encode()},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(sa.text("DELETE FROM feed_consumers WHERE name = :name").bindparams(name=CONSUMER))
    op.execute("DROP TRIGGER work_orders_grams_update ON work_orders")
    op.execute("DROP FUNCTION work_orders_grams_changed()")
    op.execute("DROP TABLE work_orders_grams")
    op.execute("DROP FUNCTION work_order_grams(text, text, text)")
