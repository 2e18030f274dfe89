"""SQLite's search index, written behind the filing, in batches.

`q=` on SQLite reads an FTS5 table with the trigram tokenizer over the orders' title, description
and number (migration 0007). Its insert trigger indexed each order as it was filed: 3.9% of a
filing's instructions, and five of the ~38 pages its commit wrote to the WAL, on the event loop's
thread (bench/RESULTS.md, round 21). Since migration 0017 a new order is indexed later:

- `work_orders_search_mark.indexed_to` is a rowid of `work_orders`: the rows up to it are in the
  index, the rows above it are not yet.
- `catch_up` indexes the rows above the mark and moves it, in one transaction. The writers' engine
  runs it after every `db.CHECKPOINT_EVERY`-th commit, before that commit's checkpoint, on
  aiosqlite's thread, while the committing writer still holds its turn at the write lock
  (`sqlite_driver`): no writer of the process comes between its two statements, and a batch of
  thirty-odd orders costs the loop nothing.
- A search asks the index for the rows up to the mark and scans the few above it with LIKE
  (`services/listing.py`): the same orders either way, but for letters outside ASCII, which LIKE
  does not fold (a search for "ДОМ" finds "дом" once it is indexed).
- The triggers keep the index in step for the rows it holds and leave the others alone: an update
  or a delete of a row above the mark has nothing to change in it. A new row that gets a rowid at
  or below the mark (SQLite gives a deleted last row's rowid to the next insert) is indexed by its
  insert, at once.

The rowids are SQLite's own (`work_orders` has a text primary key), so whoever runs VACUUM, which
may renumber them, rebuilds the index after it and sets the mark to the last rowid (`REBUILD`).
"""

from __future__ import annotations

import sqlite3

MARK = "work_orders_search_mark"

_INDEX_ABOVE = (
    "INSERT INTO work_orders_search(rowid, title, description, number) "
    "SELECT rowid, title, description, number FROM work_orders WHERE rowid > ? AND rowid <= ?"
)

# After a VACUUM: the whole index again from the table, every row in it.
REBUILD = (
    "INSERT INTO work_orders_search(work_orders_search) VALUES ('rebuild')",
    f"UPDATE {MARK} SET indexed_to = (SELECT coalesce(max(rowid), 0) FROM work_orders)",
)


def catch_up(connection: sqlite3.Connection) -> int:
    """Index the orders above the mark and move the mark past them, in a transaction of its own on
    `connection` (none may be open on it); returns how many were indexed (none on a database
    without the mark). SQLite's error, if any, is raised with the transaction rolled back: the rows
    stay above the mark for the next one."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        indexed = _index_above_the_mark(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return indexed


def _index_above_the_mark(connection: sqlite3.Connection) -> int:
    if not _has_mark(connection):  # a database from before migration 0017, or not the service's
        return 0
    (mark,) = connection.execute(f"SELECT indexed_to FROM {MARK}").fetchone()
    (last,) = connection.execute("SELECT coalesce(max(rowid), 0) FROM work_orders").fetchone()
    if last <= mark:
        return 0
    indexed: int = connection.execute(_INDEX_ABOVE, (mark, last)).rowcount
    connection.execute(f"UPDATE {MARK} SET indexed_to = ?", (last,))
    return indexed


def _has_mark(connection: sqlite3.Connection) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARK,)
    ).fetchone()
    return found is not None
