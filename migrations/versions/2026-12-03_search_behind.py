"""SQLite's search index written behind the filing: a mark, and triggers for the rows up to it.

Migration 0007's insert trigger indexed every order in its filing's transaction, on the event
loop's thread: 3.9% of a filing's instructions and five of the ~38 pages its commit wrote. Now
the rows of `work_orders` up to `work_orders_search_mark.indexed_to` (a rowid) are in the index and
the writers index the rest in batches (`workorders.search_index`, which explains the whole scheme).
Every order there is now was indexed by the old trigger: the mark starts at the last rowid.
PostgreSQL's trigram indexes are the table's own and are left as they are.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = "(SELECT indexed_to FROM work_orders_search_mark)"
ADD = (
    "INSERT INTO work_orders_search(rowid, title, description, number) "
    "VALUES (new.rowid, new.title, new.description, new.number);"
)
REMOVE = (
    "INSERT INTO work_orders_search(work_orders_search, rowid, title, description, number) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.number);"
)
TRIGGERS = ("insert", "delete", "update")


def _triggers(when_new: str, when_old: str) -> list[str]:
    return [
        f"CREATE TRIGGER work_orders_search_insert AFTER INSERT ON work_orders {when_new} "
        f"BEGIN {ADD} END",
        f"CREATE TRIGGER work_orders_search_delete AFTER DELETE ON work_orders {when_old} "
        f"BEGIN {REMOVE} END",
        "CREATE TRIGGER work_orders_search_update AFTER UPDATE OF title, description, number "
        f"ON work_orders {when_old} BEGIN {REMOVE} {ADD} END",
    ]


def _drop_triggers() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS work_orders_search_{name}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE work_orders_search_mark ("
        "id INTEGER PRIMARY KEY CHECK (id = 1), indexed_to INTEGER NOT NULL)"
    )
    op.execute(
        "INSERT INTO work_orders_search_mark (id, indexed_to) "
        "SELECT 1, coalesce(max(rowid), 0) FROM work_orders"
    )
    _drop_triggers()
    for statement in _triggers(f"WHEN new.rowid <= {INDEXED}", f"WHEN old.rowid <= {INDEXED}"):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_triggers()
    # The rows above the mark go into the index first: 0007's triggers index every row.
    op.execute(
        "INSERT INTO work_orders_search(rowid, title, description, number) "
        "SELECT rowid, title, description, number FROM work_orders "
        f"WHERE rowid > {INDEXED}"
    )
    op.execute("DROP TABLE work_orders_search_mark")
    for statement in _triggers("", ""):
        op.execute(statement)
