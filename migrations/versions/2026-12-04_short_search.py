"""Searches of one or two characters by index: the characters and character pairs of every order.

A trigram index cannot serve a phrase shorter than three characters, and `q=` of one or two was a
scan: at 1M orders a phrase that is not there read every order (1 s on SQLite, 4.6 s on PostgreSQL;
bench/RESULTS.md, rounds 12 and 22). In Chinese most words are two characters (漏水, 电梯, 噪音).
Both databases now index every character and every pair of neighbouring characters of the title,
description and number, lower-cased, and a search of one or two characters asks for its one gram.

- PostgreSQL: `work_order_grams(title, description, number)`, an immutable SQL function, is the
  expression of a GIN index. The search's `@>` is that expression, so the planner can use it and
  keeps its own statistics on it.
- SQLite: a contentless FTS5 table, `work_orders_grams`, one document per order and one token per
  gram (`u` and the character's UTF-8 in hex; `b` and the pair's), `detail=none` since only
  membership is asked. It is kept as the trigram table is since 0017: the rows up to the mark by
  triggers, the rest in the writers' batches (`workorders.search_index`). Triggers cannot use a
  recursive query, so the positions of a text are the rows of `work_orders_gram_positions`, one
  per character up to the longest text the API takes (a description of 2,000), with room to spare.
  `lower()` is SQLite's: ASCII letters only, as LIKE folds them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 00:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_GRAMS = """
CREATE FUNCTION work_order_grams(title text, description text, number text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY(
    SELECT substr(field, i, n)
    FROM unnest(ARRAY[lower(title), lower(description), lower(number)]) AS field,
         generate_series(1, 2) AS n,
         generate_series(1, length(field) - n + 1) AS i
  )
$$
"""

LONGEST = 4000
INDEXED = "(SELECT indexed_to FROM work_orders_search_mark)"


def grams_of(row: str) -> str:
    """The grams document of the order `row` (`new`, `old` or a table's alias) as an SQL expression:
    `workorders.search_index.GRAMS` at this revision."""
    return (
        "(SELECT group_concat('u' || hex(substr(field.text, at.i, 1)) || "
        "CASE WHEN at.i < length(field.text) "
        "THEN ' b' || hex(substr(field.text, at.i, 2)) ELSE '' END, ' ') "
        f"FROM (SELECT lower({row}.title) AS text UNION ALL SELECT lower({row}.description) "
        f"UNION ALL SELECT lower({row}.number)) AS field "
        "JOIN work_orders_gram_positions AS at ON at.i <= length(field.text))"
    )


ADD = f"INSERT INTO work_orders_grams(rowid, grams) VALUES (new.rowid, {grams_of('new')});"
REMOVE = (
    "INSERT INTO work_orders_grams(work_orders_grams, rowid, grams) "
    f"VALUES ('delete', old.rowid, {grams_of('old')});"
)
TRIGGERS = ("insert", "delete", "update")

SQLITE_GRAMS = [
    "CREATE TABLE work_orders_gram_positions (i INTEGER PRIMARY KEY)",
    "INSERT INTO work_orders_gram_positions (i) "
    "WITH RECURSIVE at(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM at WHERE i < "
    f"{LONGEST}) SELECT i FROM at",
    "CREATE VIRTUAL TABLE work_orders_grams USING fts5("
    "grams, content='', detail=none, tokenize='unicode61 remove_diacritics 0')",
    f"INSERT INTO work_orders_grams(rowid, grams) SELECT rowid, {grams_of('work_orders')} "
    f"FROM work_orders WHERE rowid <= {INDEXED}",
    f"CREATE TRIGGER work_orders_grams_insert AFTER INSERT ON work_orders "
    f"WHEN new.rowid <= {INDEXED} BEGIN {ADD} END",
    f"CREATE TRIGGER work_orders_grams_delete AFTER DELETE ON work_orders "
    f"WHEN old.rowid <= {INDEXED} BEGIN {REMOVE} END",
    "CREATE TRIGGER work_orders_grams_update AFTER UPDATE OF title, description, number "
    f"ON work_orders WHEN old.rowid <= {INDEXED} BEGIN {REMOVE} {ADD} END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_GRAMS)
        op.execute(
            "CREATE INDEX ix_work_orders_grams ON work_orders "
            "USING gin (work_order_grams(title, description, number))"
        )
        return
    for statement in SQLITE_GRAMS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_work_orders_grams")
        op.execute("DROP FUNCTION work_order_grams(text, text, text)")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER work_orders_grams_{name}")
    op.execute("DROP TABLE work_orders_grams")
    op.execute("DROP TABLE work_orders_gram_positions")
