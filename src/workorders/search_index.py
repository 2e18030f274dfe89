"""SQLite's search indexes, written behind the filing, in batches.

`q=` on SQLite reads two FTS5 tables over the orders' title, description and number: one with the
trigram tokenizer for phrases of three characters or more (migration 0007), and one of every
character and pair of characters for shorter ones (`work_orders_grams`, migration 0019, whose
docstring has its format). The trigram table's insert trigger indexed each order as it was filed: 3.9% of a
filing's instructions, and five of the ~38 pages its commit wrote to the WAL, on the event loop's
thread (bench/RESULTS.md, round 21). Since migration 0017 a new order is indexed later:

- `work_orders_search_mark.indexed_to` is a rowid of `work_orders`: the rows up to it are in the
  index, the rows above it are not yet.
- `catch_up` indexes the rows above the mark in both tables and moves it, in one transaction. The writers' engine
  runs it after every `db.CHECKPOINT_EVERY`-th commit, before that commit's checkpoint, on
  aiosqlite's thread, while the committing writer still holds its turn at the write lock
  (`sqlite_driver`): no writer of the process comes between its two statements, and a batch of
  thirty-odd orders costs the loop nothing.
- A search asks the index for the rows up to the mark and scans the few above it with LIKE
  (`services/listing.py`): the same orders either way, but for letters outside ASCII, which LIKE
  does not fold (a search for "ДОМ" finds "дом" once it is indexed).
- The triggers keep the indexes in step for the rows it holds and leave the others alone: an update
  or a delete of a row above the mark has nothing to change in it. A new row that gets a rowid at
  or below the mark (SQLite gives a deleted last row's rowid to the next insert) is indexed by its
  insert, at once.

The rowids are SQLite's own (`work_orders` has a text primary key), so whoever runs VACUUM, which
may renumber them, rebuilds the indexes after it and sets the mark to the last rowid (`REBUILD`).
"""

from __future__ import annotations

import sqlite3

MARK = "work_orders_search_mark"
GRAMS_TABLE = "work_orders_grams"

# An order's document in the grams table: for every character of its lower-cased title, description
# and number, `u` and the character's UTF-8 in hex, and `b` and that of the pair it starts. The
# positions are rows of a table (`work_orders_gram_positions`) because the triggers, which write
# the same documents (migration 0019), may not use a recursive query.
GRAMS = (
    "(SELECT group_concat('u' || hex(substr(field.text, at.i, 1)) || "
    "CASE WHEN at.i < length(field.text) "
    "THEN ' b' || hex(substr(field.text, at.i, 2)) ELSE '' END, ' ') "
    "FROM (SELECT lower(work_orders.title) AS text UNION ALL "
    "SELECT lower(work_orders.description) UNION ALL SELECT lower(work_orders.number)) AS field "
    "JOIN work_orders_gram_positions AS at ON at.i <= length(field.text))"
)

_INDEX_ABOVE = (
    "INSERT INTO work_orders_search(rowid, title, description, number) "
    "SELECT rowid, title, description, number FROM work_orders WHERE rowid > ? AND rowid <= ?",
    f"INSERT INTO {GRAMS_TABLE}(rowid, grams) "
    f"SELECT rowid, {GRAMS} FROM work_orders WHERE rowid > ? AND rowid <= ?",
)

# After a VACUUM: both indexes again from the table, every row in them.
REBUILD = (
    "INSERT INTO work_orders_search(work_orders_search) VALUES ('rebuild')",
    f"INSERT INTO {GRAMS_TABLE}({GRAMS_TABLE}) VALUES ('delete-all')",
    f"INSERT INTO {GRAMS_TABLE}(rowid, grams) SELECT rowid, {GRAMS} FROM work_orders",
    f"UPDATE {MARK} SET indexed_to = (SELECT coalesce(max(rowid), 0) FROM work_orders)",
)


def gram(q: str) -> str:
    """The token of the grams table that holds the orders with `q` (one or two characters) in their
    title, description or number, ASCII letters in either case."""
    folded = "".join(c.lower() if c.isascii() else c for c in q)
    return ("u" if len(folded) == 1 else "b") + folded.encode().hex()


def catch_up(connection: sqlite3.Connection) -> int:
    """Index the orders above the mark in both tables and move the mark past them, in a transaction of its own on
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
    if not _has(connection, MARK):  # a database from before migration 0017, or not the service's
        return 0
    (mark,) = connection.execute(f"SELECT indexed_to FROM {MARK}").fetchone()
    (last,) = connection.execute("SELECT coalesce(max(rowid), 0) FROM work_orders").fetchone()
    if last <= mark:
        return 0
    trigrams, grams = _INDEX_ABOVE
    indexed: int = connection.execute(trigrams, (mark, last)).rowcount
    if _has(connection, GRAMS_TABLE):  # from migration 0019, which indexes the rows up to the mark
        connection.execute(grams, (mark, last))
    connection.execute(f"UPDATE {MARK} SET indexed_to = ?", (last,))
    return indexed


def _has(connection: sqlite3.Connection, name: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None
