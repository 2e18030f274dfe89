"""SQLite's search indexes, written behind the filing, in batches.

`q=` on SQLite reads an FTS5 table with the trigram tokenizer over the orders' title, description
and number (migration 0007), and for a phrase of one or two characters, which no trigram holds, an
FTS5 table of their grams (`GRAMS`, migration 0019, below). The trigram table's insert trigger
indexed each order as it was filed: 3.9% of a filing's instructions, and five of the ~38 pages its
commit wrote to the WAL, on the event loop's thread (bench/RESULTS.md, round 21). Since migration
0017 a new order is indexed later:

- `work_orders_search_mark.indexed_to` is a rowid of `work_orders`: the rows up to it are in the
  index, the rows above it are not yet.
- `catch_up` indexes the rows above the mark in both tables and moves it, in one transaction. The
  writers' engine runs it after every `db.CHECKPOINT_EVERY`-th commit, before that commit's
  checkpoint, on aiosqlite's thread, while the committing writer still holds its turn at the write
  lock (`sqlite_driver`): no writer of the process comes between its statements, and a batch of
  thirty-odd orders costs the loop little (the grams' documents are made in Python on that thread,
  about 50 µs for an owner's order, holding the GIL).
- A search asks the index for the rows up to the mark and scans the few above it with LIKE
  (`services/listing.py`): the same orders either way, but for letters outside ASCII, which LIKE
  does not fold (a search for "ДОМ" finds "дом" once it is indexed).
- The trigram table's triggers keep it in step for the rows it holds and leave the others alone:
  an update or a delete of a row above the mark has nothing to change in it. A new row that gets a
  rowid at or below the mark (SQLite gives a deleted last row's rowid to the next insert) is
  indexed by its insert, at once.

The grams table holds, for each order, every character and every pair of neighbouring characters
of its title, description and number (`grams`), ASCII letters folded as LIKE folds them. Python
writes its documents: SQL can take a text's characters only with `substr`, which walks the text
from its start for each one (15.8 ms for a description of 2,000 characters; bench/RESULTS.md,
round 23), and a trigger may not recurse. So no trigger writes it:

- An order up to the mark whose text changes (or whose rowid is given again) is written into
  `PENDING` by a trigger; the next `catch_up` adds its new document and empties `PENDING`. Until
  then a search scans it with the rows above the mark.
- An old document is not taken out (a contentless table needs its text to remove it): an order
  changed, or a rowid given again, keeps its old grams beside the new ones, and a deleted order
  keeps its own. So the grams table's matches are candidates, which a search checks with LIKE.
  Nothing in the service changes or deletes an order's text: this is for whoever else does.

The rowids are SQLite's own (`work_orders` has a text primary key), so whoever runs VACUUM, which
may renumber them, rebuilds both indexes after it (`rebuild`), which drops the old documents.
"""

from __future__ import annotations

import itertools
import sqlite3
import string
from collections.abc import Callable, Iterable

MARK = "work_orders_search_mark"
GRAMS = "work_orders_grams"
PENDING = "work_orders_grams_pending"

_TEXT_OF = (
    "SELECT rowid, title, description, number FROM work_orders WHERE rowid > ? AND rowid <= ?"
)
_INDEX_ABOVE = "INSERT INTO work_orders_search(rowid, title, description, number) " + _TEXT_OF
_TEXT_PENDING = (
    "SELECT rowid, title, description, number FROM work_orders "
    f"WHERE rowid IN (SELECT order_rowid FROM {PENDING})"
)
_ADD_GRAMS = f"INSERT INTO {GRAMS}(rowid, grams) VALUES (?, ?)"

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _hexes(text: str) -> list[str]:
    return [c.encode().hex() for c in text.translate(_ASCII_LOWER)]


def grams(*fields: str | None) -> str:
    """The grams table's document of an order's title, description and number: for every character
    `u` and its UTF-8 in hex, for every pair of neighbouring characters `b` and theirs, each once."""
    tokens: set[str] = set()
    for field in fields:
        hexes = _hexes(field or "")
        tokens.update("u" + h for h in hexes)
        tokens.update("b" + a + b for a, b in itertools.pairwise(hexes))
    return " ".join(tokens)


def gram(q: str) -> str:
    """The token of the grams table that the orders with `q` (one or two characters) in their title,
    description or number hold, ASCII letters in either case."""
    hexes = _hexes(q)
    if not 1 <= len(hexes) <= 2:
        raise ValueError(f"a gram is one or two characters, not {len(hexes)}")
    return ("u" if len(hexes) == 1 else "b") + "".join(hexes)


def documents(
    rows: Iterable[tuple[int, str | None, str | None, str | None]],
) -> list[tuple[int, str]]:
    """Each row of `_TEXT_OF` as the grams table's (rowid, document)."""
    return [(rowid, grams(*fields)) for rowid, *fields in rows]


def catch_up(connection: sqlite3.Connection) -> int:
    """Index the orders above the mark in both tables and move the mark past them, in a transaction
    of its own on `connection` (none may be open on it); returns how many were indexed (none on a
    database without the mark). SQLite's error, if any, is raised with the transaction rolled back:
    the rows stay above the mark for the next one."""
    return _in_transaction(connection, _index_above_the_mark)


def rebuild(connection: sqlite3.Connection) -> int:
    """After a VACUUM: both indexes again from the table, every row in them, and the mark at the last
    row, in a transaction of its own on `connection`; returns how many rows were indexed."""
    return _in_transaction(connection, _index_all)


def _in_transaction(
    connection: sqlite3.Connection, work: Callable[[sqlite3.Connection], int]
) -> int:
    connection.execute("BEGIN IMMEDIATE")
    try:
        done = work(connection)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return done


def _index_all(connection: sqlite3.Connection) -> int:
    connection.execute("INSERT INTO work_orders_search(work_orders_search) VALUES ('rebuild')")
    connection.execute(f"INSERT INTO {GRAMS}({GRAMS}) VALUES ('delete-all')")
    connection.execute(f"DELETE FROM {PENDING}")
    (last,) = connection.execute("SELECT coalesce(max(rowid), 0) FROM work_orders").fetchone()
    rows = connection.execute(_TEXT_OF, (0, last))
    indexed = 0
    while batch := rows.fetchmany(1000):
        connection.executemany(_ADD_GRAMS, documents(batch))
        indexed += len(batch)
    connection.execute(f"UPDATE {MARK} SET indexed_to = ?", (last,))
    return indexed


def _index_above_the_mark(connection: sqlite3.Connection) -> int:
    if not _has(connection, MARK):  # a database from before migration 0017, or not the service's
        return 0
    (mark,) = connection.execute(f"SELECT indexed_to FROM {MARK}").fetchone()
    (last,) = connection.execute("SELECT coalesce(max(rowid), 0) FROM work_orders").fetchone()
    grams = _has(connection, GRAMS)  # from migration 0019, which indexed the rows up to the mark
    if grams and connection.execute(f"SELECT 1 FROM {PENDING} LIMIT 1").fetchone():
        connection.executemany(_ADD_GRAMS, documents(connection.execute(_TEXT_PENDING)))
        connection.execute(f"DELETE FROM {PENDING}")  # and those of orders deleted since
    if last <= mark:
        return 0
    indexed: int = connection.execute(_INDEX_ABOVE, (mark, last)).rowcount
    if grams:
        connection.executemany(_ADD_GRAMS, documents(connection.execute(_TEXT_OF, (mark, last))))
    connection.execute(f"UPDATE {MARK} SET indexed_to = ?", (last,))
    return indexed


def _has(connection: sqlite3.Connection, name: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None
