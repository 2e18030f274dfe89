"""SQLite through aiosqlite, one trip to the connection's thread per statement.

aiosqlite runs each connection on a thread of its own and hands it work through a queue. SQLAlchemy's
adapter makes four trips for one statement (open a cursor, execute, fetch the rows, close the cursor)
and one more to roll back every connection that goes back to the pool. A trip costs 80–100 µs of CPU
on a 2-core VM, whatever the statement (the thread is woken, the GIL changes hands, the event loop is
woken through its pipe), where `sqlite3` runs most of our statements in a few microseconds. A filing
took 28 trips: 7 now (with the readers in autocommit, `db.py`), a read 2 (bench/RESULTS.md, round 13).

Here a statement is one trip: the cursor is opened, executed, read to the end and closed on the
connection's thread, and the adapter keeps the rows, the description, the row count and the last row
id. A connection whose last trip left no transaction open commits, rolls back and goes back to the
pool without a trip. Server-side cursors (`stream`) and connecting are SQLAlchemy's adapter as it is.

The adapter is handed to the engine as its DBAPI module (`create_async_engine(url, module=dbapi())`);
the dialect, its URL and its pool are SQLAlchemy's own. It leans on three things neither library
promises: aiosqlite's `Connection._execute` (send a function to the thread) and `_conn` (its sqlite3
connection), which SQLAlchemy's own adapter uses too, and the shape of SQLAlchemy's adapter classes
it subclasses. `tests/unit/test_sqlite_driver.py` counts the trips and compares the answers, so an
upgrade that moves any of them fails there, not in production (where the database is PostgreSQL).

A statement whose outcome nobody waits for may ride with the next trip instead of making its own: a
writer's `BEGIN IMMEDIATE` goes with its transaction's first statement (`begin_with_next_trip`), and
filing sends its number counter's upsert with the order's insert and its events' insert with the
`COMMIT` (`deferred()`; services/filing.py). Such a statement's row count and last row id are unknown,
and an error of its own is raised by the trip that carries it. Nothing else changes: the statements
run in the order they were given, on the connection they were given to, and a rollback forgets those
not yet sent.

A writer's transaction whose statements are short (a request's: `trips_here()` after its `BEGIN`)
makes its trips here instead, on the thread that asks (the event loop's), with no trip to aiosqlite's
thread at all. SQLite takes one writer at a time, and under a load of filings its lock was taken all
of the time, 3.3 ms a filing, of which the SQL's own CPU is 0.6 ms: the rest was the two threads
handing over the CPU and the GIL, which sqlite3 gives up and takes back around every step
(bench/RESULTS.md, round 19). Run here, a trip never waits for the lock: from a connection's first trip
here its busy timeout is zero, and when the transaction's `BEGIN` finds the lock taken (by another
process, or an app on another loop), the trip goes to aiosqlite's thread, which waits as it always
has: a trip of that connection to the thread that starts outside a transaction sets the timeout back
for as long as it runs (`_waiting`). The timeout is not set and reset around each trip here: SQLite
prepares a PRAGMA again every time it runs, and a filing's four were 1.2% of its instructions
(round 20). A connection whose trip to the thread was cancelled (it may still be running there) sends
its trips there too, until one comes back.

SQLite's automatic checkpoint would run on the committing thread, the loop's then, one commit in
about 30 of a filing load, for up to 7.7 ms. A DBAPI made with `checkpoint_every=N` turns it off on
its connections and checkpoints itself instead: every N-th commit of its connections goes to
aiosqlite's thread, where a PASSIVE checkpoint follows the COMMIT. The committing transaction still
holds its turn at the write lock (`db.WriteTurns`), so no writer of the process appends to the WAL
meanwhile and the checkpoint catches up with it, as SQLite's own does under the lock. The commit
stands whatever becomes of the checkpoint; one that fails is logged and the next tries again. Work
that is better done in batches than in each request (`upkeep`: the search index's, `search_index`)
runs in the same trip, between the COMMIT and the checkpoint, under the same turn, in a transaction
of its own; it may fail the same way.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_

log = logging.getLogger(__name__)

# What one trip brings back: description, row count, last row id, rows, and whether a transaction is
# open on the connection afterwards.
Outcome = tuple[Any, int, int | None, list[Any], bool]
# A statement held back for the connection's next trip: operation, parameters, executemany.
Statement = tuple[str, Any, bool]
T = TypeVar("T")


class _Elsewhere:
    """The answer of a trip that could not run on the calling thread: send it to aiosqlite's."""


ELSEWHERE = _Elsewhere()

_DEFERRING: ContextVar[bool] = ContextVar("sqlite_driver_deferring", default=False)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Statements executed in this block make no trip of their own: each runs at the start of the
    next trip of its connection (a statement's, or the commit's). Only for statements whose row
    count, last row id and rows nobody reads; an error of theirs is raised by that later trip."""
    token = _DEFERRING.set(True)
    try:
        yield
    finally:
        _DEFERRING.reset(token)


def _execute(cursor: sqlite3.Cursor, statement: Statement) -> None:
    operation, parameters, many = statement
    if many:
        cursor.executemany(operation, parameters)
    else:
        cursor.execute(operation, () if parameters is None else parameters)


def _run_held_back(cursor: sqlite3.Cursor, statements: list[Statement]) -> None:
    for statement in statements:
        _execute(cursor, statement)
        if cursor.description:  # read to the end: SQLite finishes a statement as its rows are read
            cursor.fetchall()


def _run(connection: sqlite3.Connection, statements: list[Statement]) -> Outcome:
    """Statements from start to end, on the connection's own thread; the outcome is the last one's."""
    cursor = connection.cursor()
    try:
        _run_held_back(cursor, statements[:-1])
        _execute(cursor, statements[-1])
        rows = cursor.fetchall() if cursor.description else []
        return (
            cursor.description,
            cursor.rowcount,
            cursor.lastrowid,
            rows,
            connection.in_transaction,
        )
    finally:
        cursor.close()


# Work done every `checkpoint_every`-th commit, outside any transaction, before the checkpoint.
Upkeep = Callable[[sqlite3.Connection], object]


def _commit_and_checkpoint(
    connection: sqlite3.Connection, statements: list[Statement], upkeep: Upkeep | None = None
) -> None:
    """`_commit`, then `upkeep` and a PASSIVE checkpoint of the WAL, outside any transaction (the
    module's docstring)."""
    _commit(connection, statements)
    if upkeep is not None:
        try:
            upkeep(connection)
        except sqlite3.Error:
            log.warning(
                "SQLite's upkeep after a commit failed; the next one tries again", exc_info=True
            )
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error:
        log.warning("a checkpoint of SQLite's WAL failed; the next one tries again", exc_info=True)


def _send_held_back(connection: sqlite3.Connection, statements: list[Statement]) -> None:
    """The statements held back, alone in a trip (before a server-side cursor's own trips)."""
    cursor = connection.cursor()
    try:
        _run_held_back(cursor, statements)
    finally:
        cursor.close()


def _commit(connection: sqlite3.Connection, statements: list[Statement]) -> None:
    """The statements held back for this trip, then the commit."""
    _send_held_back(connection, statements)
    connection.commit()


def _waiting(
    function: Callable[[sqlite3.Connection, list[Statement]], T], busy_ms: int
) -> Callable[[sqlite3.Connection, list[Statement]], T]:
    """`function`, for a trip to aiosqlite's thread of a connection whose busy timeout is zero (it
    has made trips here): a trip that starts outside a transaction may begin one, and waits for the
    lock as long as the connection's busy timeout says; the timeout is zero again after it."""

    @functools.wraps(function)
    def waiting(connection: sqlite3.Connection, statements: list[Statement]) -> T:
        if connection.in_transaction:  # begun already, with the lock: nothing left to wait for
            return function(connection, statements)
        connection.execute(f"PRAGMA busy_timeout={busy_ms}")
        try:
            return function(connection, statements)
        finally:
            connection.execute("PRAGMA busy_timeout=0")

    return waiting


async def _held() -> None:
    """Nothing to wait for."""


class Cursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement makes one trip; it holds no cursor of the driver's."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        """No trip: there is no cursor of the driver's to open."""
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._rows = collections.deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None before an insert, as sqlite3's

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """The rows are all here already: there is no batch size to set."""

    async def _async_soft_close(self) -> None:
        """Nothing of the driver's is open."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if _DEFERRING.get():
            self._defer((operation, parameters, False))
            return None
        return super().execute(operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        if _DEFERRING.get():
            self._defer((operation, seq_of_parameters, True))
            return None
        return super().executemany(operation, seq_of_parameters)

    def _defer(self, statement: Statement) -> None:
        """No trip: the statement waits for the connection's next one; nothing to report yet."""
        adapted: Connection = self._adapt_connection  # type: ignore[assignment]
        adapted._pending.append(statement)
        self._description, self._rowcount, self._lastrowid = None, -1, None
        self._rows = collections.deque()
        # SQLAlchemy's asyncio connection requires an await of every statement (a driver that
        # never awaits is taken for a blocking one): one that finishes at once, no trip, no wait.
        await_(_held())

    async def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        adapted: Connection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            adapted._settled = False
            pending, begins = adapted._take_pending()
            statements = [*pending, (operation, parameters, many)]
            outcome = adapted._run_here(_run, statements, begins)
            if isinstance(outcome, _Elsewhere):
                outcome = await adapted._run_there(_run, statements)
        self._description, self._rowcount, self._lastrowid, rows, in_transaction = outcome
        self._rows = collections.deque(rows)
        adapted._settled = not in_transaction

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._trip(operation, seq_of_parameters, many=True)


class Connection(AsyncAdapt_aiosqlite_connection):
    """`_settled`: the last trip came back, and no transaction was open after it. Only then may a
    rollback be skipped. A trip whose caller was cancelled may still be running on the thread (a
    `BEGIN IMMEDIATE` waiting for the lock, say); the rollback must then queue behind it, as a trip,
    or the connection would go back to the pool holding the write lock. `_pending`: the statements
    held back for the next trip (`deferred()`, `begin_with_next_trip`), never sent yet; `_begins`:
    the first of them is the transaction's `BEGIN`. `_here`: this transaction's trips run on the
    calling thread; `_adrift`: a trip sent to the thread has not been seen to come back (its caller
    was cancelled), so none may run here; `_busy_ms`: the connection's busy timeout, once it has made
    a trip here (its timeout is zero then, but for its trips to the thread: `_waiting`)."""

    __slots__ = ("_adrift", "_begins", "_busy_ms", "_here", "_pending", "_settled")

    _cursor_cls = Cursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._settled = False
        self._pending: list[Statement] = []
        self._begins = False
        self._here = False
        self._adrift = False
        self._busy_ms: int | None = None

    def begin_with_next_trip(self, operation: str) -> None:
        """A transaction's `BEGIN` (IMMEDIATE, say), held back for the transaction's first trip
        without going through SQLAlchemy's execution of a statement at all."""
        self._pending.append((operation, None, False))
        self._begins = len(self._pending) == 1
        self._here = False

    def trips_here(self) -> None:
        """The transaction just begun makes its trips on the calling thread (the module's
        docstring); said before its first trip. Said of a savepoint (its `BEGIN` sent long ago),
        it changes nothing."""
        if self._begins:
            self._here = True

    def _take_pending(self) -> tuple[list[Statement], bool]:
        pending, self._pending = self._pending, []
        begins, self._begins = self._begins, False
        return pending, begins

    def _run_here(
        self,
        function: Callable[[sqlite3.Connection, list[Statement]], T],
        statements: list[Statement],
        begins: bool,
    ) -> T | _Elsewhere:
        """`function` on this thread, if this transaction's trips run here and none is adrift; it never
        waits for the lock. `ELSEWHERE` when the trip is to go to aiosqlite's thread: nothing of it
        has run then."""
        if not self._here or self._adrift:
            return ELSEWHERE
        driver: sqlite3.Connection = self._connection._conn
        if self._busy_ms is None:  # its first trip here: the timeout is the thread's from now on
            self._busy_ms = int(driver.execute("PRAGMA busy_timeout").fetchone()[0])
            driver.execute("PRAGMA busy_timeout=0")
        if begins:
            try:
                driver.execute(statements[0][0])  # the BEGIN: no parameters
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY:
                    return ELSEWHERE  # the lock is taken: the thread waits for it
                raise
            statements = statements[1:]
        return function(driver, statements)

    async def _run_there(
        self,
        function: Callable[[sqlite3.Connection, list[Statement]], T],
        statements: list[Statement],
    ) -> T:
        """`function` on aiosqlite's thread, one trip. Adrift while it is out: if its caller is
        cancelled, it may still be running there, and the connection stays adrift until a later
        trip comes back (one thread, in order: every trip before it has too)."""
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if self._busy_ms is not None:
            function = _waiting(function, self._busy_ms)
        self._adrift = True
        try:
            outcome: T = await connection._execute(function, connection._conn, statements)
        except Exception:
            self._adrift = False  # it came back, with an error
            raise
        self._adrift = False
        return outcome

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:  # aiosqlite's own cursor, trips of its own: what waits goes first
            self._settled = False
            pending, _begins = self._take_pending()
            if pending:
                self._send(_send_held_back, pending, begins=None)
        return super().cursor(server_side)

    def _send(
        self,
        function: Callable[[sqlite3.Connection, list[Statement]], None],
        statements: list[Statement],
        *,
        begins: bool | None,
    ) -> None:
        """`begins`: as `_run_here`'s; None: to aiosqlite's thread in any case."""
        try:
            if begins is None or isinstance(
                self._run_here(function, statements, begins), _Elsewhere
            ):
                await_(self._run_there(function, statements))
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        """No trip when there is nothing to commit (a reader in autocommit ends its "transaction");
        the statements held back go with the commit, in its one trip. Every `checkpoint_every`-th
        commit checkpoints the WAL after it, on aiosqlite's thread."""
        if self._pending or not self._settled:
            self._settled = False
            pending, begins = self._take_pending()
            dbapi: DBAPI = self.dbapi
            if dbapi.checkpoint_due():
                self._send(dbapi.commit_and_checkpoint, pending, begins=None)
            elif pending or self._here:
                self._send(_commit, pending, begins=begins)
            else:
                super().commit()
        self._settled = True
        self._here = False

    def rollback(self) -> None:
        """No trip when there is nothing to roll back: the pool rolls back every connection it takes
        back, and a request's transaction has almost always ended by then. Statements held back were
        never sent: they are forgotten. A rollback always makes its trip to the thread, behind any
        trip still running there."""
        self._pending.clear()
        self._begins = False
        self._here = False
        if self._settled:
            return
        super().rollback()
        self._settled = True


class DBAPI(AsyncAdapt_aiosqlite_dbapi):
    """`checkpoint_every`: the connections checkpoint the WAL themselves, every that many commits
    (the module's docstring), after `upkeep`; None: SQLite's automatic checkpoints, and no upkeep."""

    def __init__(
        self,
        aiosqlite: Any,
        sqlite: Any,
        checkpoint_every: int | None = None,
        upkeep: Upkeep | None = None,
    ) -> None:
        super().__init__(aiosqlite, sqlite)
        self.checkpoint_every = checkpoint_every
        self._upkeep = upkeep
        self._commits = 0

    def connect(self, *arg: Any, **kw: Any) -> Connection:
        adapted = super().connect(*arg, **kw)
        connection = Connection(self, adapted._connection)
        if self.checkpoint_every is not None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()
        return connection

    def commit_and_checkpoint(
        self, connection: sqlite3.Connection, statements: list[Statement]
    ) -> None:
        """A trip's function: the commit, this DBAPI's upkeep and the checkpoint."""
        _commit_and_checkpoint(connection, statements, self._upkeep)

    def checkpoint_due(self) -> bool:
        """Counts a commit; True for every `checkpoint_every`-th."""
        if self.checkpoint_every is None:
            return False
        self._commits += 1
        if self._commits < self.checkpoint_every:
            return False
        self._commits = 0
        return True


def dbapi(*, checkpoint_every: int | None = None, upkeep: Upkeep | None = None) -> DBAPI:
    """The module to give `create_async_engine(..., module=...)` for a `sqlite+aiosqlite` URL."""
    return DBAPI(aiosqlite, sqlite3, checkpoint_every, upkeep)


__all__ = ["DBAPI", "Connection", "Cursor", "dbapi", "deferred"]
