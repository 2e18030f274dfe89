"""SQLite serves searches of one or two characters by index: the grams of every order.

A trigram index cannot serve a phrase shorter than three characters, so `q=` of one or two was a
scan: at 1M orders a phrase that is not there read every order (1.3 s on SQLite; bench/RESULTS.md,
round 23). In Chinese most words are two characters (漏水, 电梯, 噪音). SQLite gets an FTS5 table,
`work_orders_grams`, of every character and every pair of neighbouring characters of each order's
title, description and number (contentless, `detail=none`: only membership is asked), whose
documents Python writes (`workorders.search_index`, which explains the scheme and its format): here
for the rows up to the search mark of 0017, later in the writers' batches with the trigram table.
Its triggers only note the indexed rows whose text changes (or whose rowid is given again) in
`work_orders_grams_pending`, for the next batch.

PostgreSQL is left as it was. A GIN index over the same grams cost each INSERT of an order about
180 µs of the server's time (against 130 µs for the three trigram indexes together), which is more
than the create can spare (round 24).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workorders import search_index

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = "(SELECT indexed_to FROM work_orders_search_mark)"
PENDING = "INSERT OR IGNORE INTO work_orders_grams_pending (order_rowid) VALUES"
SQLITE_GRAMS = [
    "CREATE VIRTUAL TABLE work_orders_grams USING fts5("
    "grams, content='', detail=none, tokenize='ascii')",
    "CREATE TABLE work_orders_grams_pending (order_rowid INTEGER PRIMARY KEY)",
    # A rowid given again (SQLite gives a deleted last row's to the next insert), or a new text.
    f"CREATE TRIGGER work_orders_grams_insert AFTER INSERT ON work_orders "
    f"WHEN new.rowid <= {INDEXED} BEGIN {PENDING} (new.rowid); END",
    "CREATE TRIGGER work_orders_grams_update AFTER UPDATE OF title, description, number "
    f"ON work_orders WHEN old.rowid <= {INDEXED} BEGIN {PENDING} (old.rowid); END",
]
BATCH = 5000


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in SQLITE_GRAMS:
        op.execute(statement)
    bind = op.get_bind()
    mark = bind.scalar(sa.text(f"SELECT {INDEXED}"))
    after = 0
    while rows := bind.execute(
        sa.text(
            "SELECT rowid, title, description, number FROM work_orders "
            "WHERE rowid > :after AND rowid <= :mark ORDER BY rowid LIMIT :batch"
        ),
        {"after": after, "mark": mark, "batch": BATCH},
    ).all():
        bind.execute(
            sa.text("INSERT INTO work_orders_grams(rowid, grams) VALUES (:rowid, :grams)"),
            [{"rowid": rowid, "grams": grams} for rowid, grams in search_index.documents(rows)],
        )
        after = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("insert", "update"):
        op.execute(f"DROP TRIGGER work_orders_grams_{name}")
    op.execute("DROP TABLE work_orders_grams_pending")
    op.execute("DROP TABLE work_orders_grams")
