"""Finding work orders: the filtered, paginated list and the per-queue counts."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from typing import cast as typed

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from workorders import search_index
from workorders.domain.actors import Role
from workorders.domain.lifecycle import OPEN_STATUSES, Status
from workorders.domain.taxonomy import QUEUE_LABELS, Priority, Queue
from workorders.models import WorkOrder
from workorders.services import search_grams
from workorders.services.access import OrderFields, order_row, visible_rows, visible_to
from workorders.services.pagination import Ordering, Within, fetch_rows

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from datetime import datetime

    from sqlalchemy import Row
    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.sql.selectable import FromClause

    # A page of the search's query, found one way or another (`fetch_rows`: `key`, `within`).
    Page = Callable[..., Awaitable[tuple[list[Row[Any]], str | None]]]

    from workorders.services.context import Asking, Context


class Sort(StrEnum):
    NEWEST = "-created_at"
    OLDEST = "created_at"
    PRIORITY = "priority"


ORDERINGS = {
    Sort.NEWEST: Ordering("-created_at", (WorkOrder.created_at, WorkOrder.id), descending=True),
    Sort.OLDEST: Ordering("created_at", (WorkOrder.created_at, WorkOrder.id)),
    # The queue's working order: most pressing first, then the one waiting longest.
    Sort.PRIORITY: Ordering(
        "priority", (WorkOrder.priority_rank, WorkOrder.created_at, WorkOrder.id)
    ),
}


@dataclass(frozen=True)
class OrderFilter:
    statuses: list[Status] = field(default_factory=list)
    queue: Queue | None = None
    priority: Priority | None = None
    category: str | None = None
    assignee_id: str | None = None
    owner_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Trigram indexes serve substrings of at least three characters; shorter ones, each backend's table of
# grams (SQLite's `search_index`, PostgreSQL's `services/search_grams`).
MIN_INDEXED = 3


SEARCHED = ("title", "description", "number")
_ORDERS = typed(Table, WorkOrder.__table__)
_RECENT = _ORDERS.alias("recent")
# The orders filed since SQLite's search index last caught up (`workorders.search_index`).
_UNINDEXED = literal_column("recent.rowid") > (
    select(literal_column("indexed_to")).select_from(table(search_index.MARK)).scalar_subquery()
)
# The orders up to the mark whose grams SQLite's next catch-up writes (`workorders.search_index`).
_PENDING: Select[Any] = select(literal_column("order_rowid")).select_from(
    table(search_index.PENDING)
)


def _contains(orders: FromClause, q: str, *, inline: bool = False) -> ColumnElement[bool]:
    """`q` in the title, description or number of `orders` (the table or an alias of it), ignoring
    the case of letters: a scan. `inline`: the pattern written into the statement.

    A phrase with no letter that has a case (Chinese, digits, punctuation: most of what owners
    search for) is compared by LIKE, which finds what ILIKE does without lower-casing both sides
    for every row: PostgreSQL's LIKE took a third of ILIKE's time (bench/RESULTS.md, round 26)."""
    pattern = bindparam(None, _like_pattern(q), String, literal_execute=inline)
    if uncased(q):
        return or_(*(orders.c[key].like(pattern, escape="\\") for key in SEARCHED))
    return or_(*(orders.c[key].ilike(pattern, escape="\\") for key in SEARCHED))


# The Unicode categories no case mapping changes or produces (tests/unit/test_listing.py checks
# every code point): letters without case (Han, kana, Hangul), decimal digits, punctuation, spaces.
_UNCASED = frozenset({"Lo", "Nd", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs"})


def uncased(q: str) -> bool:
    """Whether no character of `q` has a case or is another's lower or upper case: then `q` is a
    substring of a text exactly where it is of the text lower-cased."""
    return all(unicodedata.category(c) in _UNCASED for c in q)


# SQLite plans a search by the index of the list's order: it walks the property's orders in that
# order and checks each against the phrase's matches. That is quick when the matches are many (the
# page fills early) and a read of every order when they are few. Up to this many matches in the index
# it is told to walk no index (`NOT INDEXED`): it reads the matches by rowid and sorts their keys. At
# 1M orders that took 5-8 ms for 11,111 matches and 17-19 ms for 30,000, and counting them up to
# here 1-5 ms; the walk for a phrase that is not there took 90 ms (bench/RESULTS.md, round 22).
# One owner's orders are few: SQLite walks those (the index of their owner) whatever the matches.
# PostgreSQL skips its bounded walk for a short phrase it estimates at up to as many (`_postgres_short`).
FEW_MATCHES = 20_000

# More matches than that, all of them old, make the walk long too: it passes every newer order
# before its first match (at 1M orders, 174 ms for 30,000 matches in the oldest orders; round 23).
# For a page in time order SQLite guesses the walk's length from the rowids, which follow the
# filing: from the table's newest (or oldest) row to the page's last match in the index. Where the
# matches are fewer than half the rows so passed, reading them by rowid costs less than the walk (a
# match read by rowid costs about what a few orders walked do): 46 ms for those 30,000.
WALK_PER_MATCH = 2


# PostgreSQL's walk of the list's index for a phrase of three characters or more (or a shorter one
# it estimates common) stops after this many orders; where they hold less than a page, the matches
# are collected from the trigram indexes (or the table of grams) and sorted. The planner cannot
# tell spread matches (the walk fills a page in a few hundred orders) from old or clumped ones (at
# 1M orders it walked 1M orders for 30,000 old matches, 1.1 s): the walk's bound caps the guess's
# cost (5,000 orders, ~4 ms by LIKE), and the collection's cost goes with the matches (~1.2 µs
# each by LIKE); bench/RESULTS.md, round 26.
WALKED = 5_000

# A short phrase's candidates, read by id from the table of grams, cost ~6 µs each (their rows of
# grams, then the orders by the primary key), where the walk's orders cost ~0.7 µs: past this many,
# collecting them could cost more than walking most of 1M orders, and the walk is left to finish.
MANY_MATCHES = 80_000

# How many of a short phrase's newest candidates are read for a page, in pages: a few more than a
# page, so that a filter (a status, a queue) that turns some of them down still leaves a page.
NEWEST_PER_PAGE = 4


async def _search(
    query: Select[Any],
    reader: AsyncSession | AsyncConnection,
    q: str,
    *,
    ones_own: bool,
    property_id: str,
    ordering: Ordering,
    limit: int,
    cursor: str | None,
    params: dict[str, Any],
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of `query` narrowed to a case-insensitive substring of the title, description or
    number, and the next page's cursor. `ones_own`: `query` reads one owner's orders (few: walked).

    PostgreSQL serves the phrase from its pg_trgm GIN indexes: a bounded walk of the list's index
    first, then the matches collected (`WALKED`); a phrase under three characters from its table of
    grams (`_postgres_short`). SQLite asks one of its FTS5 tables (trigrams, or grams for a phrase
    under three characters) for the orders it holds and scans the few it does not hold
    (`workorders.search_index`); a short phrase's many matches are walked with LIKE: the walk finds
    a page's worth sooner than SQLite would collect every match from the index."""

    postgres = _dialect(reader) != "sqlite"

    def page(
        query: Select[Any], *, key: ColumnElement[Any] | None = None, within: Within | None = None
    ) -> Awaitable[tuple[list[Row[Any]], str | None]]:
        return fetch_rows(
            reader,
            query,
            ordering,
            limit=limit,
            cursor=cursor,
            params=params,
            key=key,
            fenced=postgres,
            within=within,
        )

    short = len(q) < MIN_INDEXED
    if postgres:
        # The phrase is written into the statement, not bound: a prepared statement run five times
        # gets a generic plan, made for any phrase, and for a search that plan scanned every
        # trigram index whole (2.6 s at 1M orders where a plan made for the phrase took 22 ms;
        # bench/RESULTS.md, round 23). A phrase's statement is one more in the connection's cache
        # of prepared statements, which drops the least recently used.
        scanned = query.where(_contains(_ORDERS, q, inline=True))
        if ones_own:
            return await page(scanned)
        if short:
            return await _postgres_short(
                query,
                scanned,
                reader,
                q,
                page,
                property_id=property_id,
                ordering=ordering,
                limit=limit,
                cursor=cursor,
            )
        rows, next_cursor = await page(
            query, within=(WALKED, lambda rows: _contains(rows, q, inline=True))
        )
        if next_cursor is not None:
            return rows, next_cursor
        return await page(scanned, key=_ORDERS.c.id)
    scanned = query.where(_contains(_ORDERS, q))
    if short and ones_own:
        return await page(scanned)
    indexed, unindexed = _sqlite_lookup(q)
    matched = query.where(literal_column("work_orders.rowid").in_(union_all(indexed, *unindexed)))
    if short:
        matched = matched.where(_contains(_ORDERS, q))
    walk = scanned if short else matched
    if ones_own:
        return await page(walk)
    most = FEW_MATCHES
    if ordering.columns[0] is WorkOrder.created_at:
        walked = await _walked(reader, indexed, descending=ordering.descending, limit=limit)
        most = max(most, walked // WALK_PER_MATCH)
    if await _held(reader, indexed, most) <= most:
        return await page(matched.with_hint(_ORDERS, "NOT INDEXED", "sqlite"), key=_ORDERS.c.id)
    return await page(walk)


async def _postgres_short(
    query: Select[Any],
    scanned: Select[Any],
    reader: AsyncSession | AsyncConnection,
    q: str,
    page: Page,
    *,
    property_id: str,
    ordering: Ordering,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """PostgreSQL's page of a phrase of one or two characters, by its table of grams
    (`search_grams`), for the list of a property's orders:

    1. Where PostgreSQL estimates the candidates many (`FEW_MATCHES`), a bounded walk of the list's
       index first (`WALKED`): spread matches fill a page there.
    2. In the list's time order, the newest (or oldest) candidates, `NEWEST_PER_PAGE` times a page
       of them, found in the table of grams (`search_grams.newest`): day by day where the candidates
       are many, else sorted out of all of them. Their orders are read by key and checked. Where a
       page's worth of them match, or they were all the candidates, that is the page.
    3. Otherwise (other filters turned most of them down, or the priority's order): every
       candidate's order read by key where they are not very many (`MANY_MATCHES`), else the walk.

    How many is PostgreSQL's estimate, not a count: counting the candidates visits each one's row of
    grams (a GIN index has no index-only scan), 75-130 ms for 20,000 at 1M orders, where the walk for
    a phrase in one order of twenty takes 10 ms (bench/RESULTS.md, round 25). The statistics of the
    table's most common grams (in `bench/search_1m.py`'s 1M orders, those in more than 2.6% of them)
    estimate those within a few per cent; a rarer gram is estimated at 0.5%. The candidates of step 3
    are handed over as an array made by the statement, which PostgreSQL takes for a few rows: it
    reads them by the primary key rather than walk the list's index in the hope of meeting them.
    `scanned`: `query` narrowed to the phrase by a scan."""
    since = await search_grams.filed_since(reader)
    if since is None:
        return await page(scanned)
    candidates = search_grams.candidates(q, since)
    estimate = await _estimated(reader, candidates)
    many = estimate > FEW_MATCHES
    if many:
        rows, next_cursor = await page(
            query, within=(WALKED, lambda rows: _contains(rows, q, inline=True))
        )
        if next_cursor is not None:
            return rows, next_cursor
    if ordering.columns[0] is WorkOrder.created_at:
        count = NEWEST_PER_PAGE * (limit + 1)
        newest, complete = await search_grams.newest(
            reader,
            q,
            since,
            property_id=property_id,
            ordering=ordering,
            cursor=cursor,
            count=count,
            by_day=many,
        )
        among = _ORDERS.c.id == any_(bindparam(None, newest, ARRAY(String)))
        rows, next_cursor = await page(scanned.where(among), key=_ORDERS.c.id)
        if next_cursor is not None or complete:
            return rows, next_cursor
    if estimate > MANY_MATCHES:
        return await page(scanned)
    among = _ORDERS.c.id == any_(func.array(candidates.scalar_subquery()))
    return await page(scanned.where(among), key=_ORDERS.c.id)


async def _estimated(reader: AsyncSession | AsyncConnection, query: CompoundSelect) -> float:
    """PostgreSQL's estimate of the rows `query` returns, its values written into it (so the plan is
    made for them, not a generic one)."""
    connection = await reader.connection() if isinstance(reader, AsyncSession) else reader
    sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    # As the driver's SQL: the phrase in it may hold what `text()` would take for a parameter.
    result = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}")
    plan = result.scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _sqlite_lookup(q: str) -> tuple[Select[Any], list[Select[Any]]]:
    """The rowids of SQLite's orders with `q` that its index holds, and the statements that scan
    with LIKE those it does not: the rows above the mark and, for the grams table, those pending.
    The grams table's are candidates (it keeps old documents), which `_search` checks with LIKE."""
    rowid: ColumnElement[int] = literal_column("rowid")
    recent: Select[Any] = select(literal_column("recent.rowid")).where(_contains(_RECENT, q))
    unindexed = [recent.where(_UNINDEXED)]
    if len(q) >= MIN_INDEXED:
        index, phrase = "work_orders_search", q.replace('"', '""')
    else:
        index, phrase = search_index.GRAMS, search_index.gram(q)
        unindexed.append(recent.where(literal_column("recent.rowid").in_(_PENDING)))
    match = text(f"{index} MATCH :phrase").bindparams(phrase=f'"{phrase}"')
    return select(rowid).select_from(table(index)).where(match), unindexed


async def _held(reader: AsyncSession | AsyncConnection, indexed: Select[Any], most: int) -> int:
    """How many rows `indexed` holds, counted up to one more than `most`."""
    held = await reader.scalar(select(func.count()).select_from(indexed.limit(most + 1).subquery()))
    return int(held or 0)


async def _walked(
    reader: AsyncSession | AsyncConnection, indexed: Select[Any], *, descending: bool, limit: int
) -> int:
    """About how many orders a walk in time order passes to fill a page of `limit` from `indexed`:
    the rowids from the table's newest (`descending`) or oldest to the page's last match."""
    rowid: ColumnElement[int] = literal_column("rowid")
    last_match = (
        indexed.order_by(rowid.desc() if descending else rowid.asc())
        .limit(1)
        .offset(limit)
        .scalar_subquery()
    )
    end = select(func.max(rowid) if descending else func.min(rowid)).select_from(_ORDERS)
    walked = (
        end.scalar_subquery() - last_match if descending else last_match - end.scalar_subquery()
    )
    return max(int(await reader.scalar(select(func.coalesce(walked, 0))) or 0), 0)


async def list_orders(
    ctx: Asking,
    reader: AsyncSession | AsyncConnection,
    where: OrderFilter,
    *,
    sort: Sort,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[OrderFields], str | None]:
    """A page of the orders the caller may see, as rows of the table (to present, not to change),
    read on `reader`: a session's, or a connection of the reader engine."""
    query, params = visible_rows(ctx.principal)
    if where.statuses:
        query = query.where(WorkOrder.status.in_([str(s) for s in where.statuses]))
    for column, value in (
        (WorkOrder.queue, where.queue),
        (WorkOrder.priority, where.priority),
        (WorkOrder.category, where.category),
        (WorkOrder.assignee_id, where.assignee_id),
        (WorkOrder.owner_id, where.owner_id),
    ):
        if value is not None:
            query = query.where(column == str(value))
    if where.created_after is not None:
        query = query.where(WorkOrder.created_at >= where.created_after)
    if where.created_before is not None:
        query = query.where(WorkOrder.created_at < where.created_before)
    ordering = ORDERINGS[sort]
    if where.q:
        ones_own = ctx.principal.role is Role.OWNER or where.owner_id is not None
        rows, next_cursor = await _search(
            query,
            reader,
            where.q,
            ones_own=ones_own,
            property_id=ctx.principal.property_id,
            ordering=ordering,
            limit=limit,
            cursor=cursor,
            params=params,
        )
    else:
        rows, next_cursor = await fetch_rows(
            reader, query, ordering, limit=limit, cursor=cursor, params=params
        )
    return [order_row(row) for row in rows], next_cursor


def _dialect(reader: AsyncSession | AsyncConnection) -> str:
    bind = reader.get_bind() if isinstance(reader, AsyncSession) else reader
    return bind.dialect.name


@dataclass(frozen=True)
class QueueCounts:
    queue: Queue
    label: str
    open: int
    unassigned: int
    overdue: int


async def queue_counts(ctx: Context) -> list[QueueCounts]:
    """Open, unassigned and overdue orders per queue, among those the caller may see."""
    is_open = WorkOrder.status.in_([str(s) for s in OPEN_STATUSES])
    unassigned = and_(is_open, WorkOrder.assignee_id.is_(None))
    overdue = and_(
        is_open,
        or_(
            WorkOrder.resolve_by < ctx.now,
            and_(WorkOrder.responded_at.is_(None), WorkOrder.respond_by < ctx.now),
        ),
    )
    query = (
        select(
            WorkOrder.queue,
            func.count().filter(is_open),
            func.count().filter(unassigned),
            func.count().filter(overdue),
        )
        .where(visible_to(ctx.principal), is_open)
        .group_by(WorkOrder.queue)
    )
    counts = {row[0]: row[1:] for row in (await ctx.session.execute(query)).all()}
    return [
        QueueCounts(queue, QUEUE_LABELS[queue], *counts.get(str(queue), (0, 0, 0)))
        for queue in Queue
    ]
