"""PostgreSQL's grams indexed by the day their order was filed as well, to find the newest matches.

A short phrase in many orders but in none of the newest (a gram common months ago, as "暖气" is in
winter) had its newest candidates sorted out of all of them: at 1M orders the top 204 of 111,111
candidates took 50-58 ms, most of it reading each candidate's row of grams for its filing time
(bench/RESULTS.md, rounds 26-27). This index holds each gram again with its order's day
(`第5@20139`: days since 1970-01-01, UTC), so that the candidates of one day are one entry of the
index: the search walks the days from the newest back and stops once it has a page's worth
(`workorders.services.search_grams.newest`), whatever the phrase's matches before them.

Here: `work_order_day(created_at)`, the day of a moment; `work_order_day_grams(grams, day)`, each
gram with a day; a GIN index on `work_order_day_grams(grams, work_order_day(created_at))`. Each
function's body calls only PostgreSQL's own (an index's functions are run by a restore with an empty
search path). Nothing is written to the table: the index is an expression of the rows it already has
(about 60 s to build at 1M orders, while writes to the table of grams wait; searches go on).

SQLite is left as it is.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DAY = """
CREATE FUNCTION work_order_day(created_at timestamptz) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (created_at AT TIME ZONE 'UTC')::date - date '1970-01-01'
$$
"""
# A gram is one or two characters and a day only digits and a minus sign: `gram@day` names one pair.
DAY_GRAMS = """
CREATE FUNCTION work_order_day_grams(grams text[], day integer) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT gram || '@' || day FROM unnest(grams) AS gram)
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(DAY)
    op.execute(DAY_GRAMS)
    # A GIN index keeps new entries in a pending list that every scan reads whole until it is
    # merged (4 MB by default). The walk scans this index once a day: with 63 pages pending, 653
    # days took 85 ms where they took 3.5 ms with none; with at most 64 kB pending, 10 ms. The
    # follower pays for the more frequent merges: ~55 µs an order (without the pending list at
    # all, ~210 µs); bench/RESULTS.md, round 27.
    op.execute(
        "CREATE INDEX work_orders_grams_by_day ON work_orders_grams "
        "USING gin (work_order_day_grams(grams, work_order_day(created_at))) "
        "WITH (gin_pending_list_limit = 64)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX work_orders_grams_by_day")
    op.execute("DROP FUNCTION work_order_day_grams(text[], integer)")
    op.execute("DROP FUNCTION work_order_day(timestamptz)")
