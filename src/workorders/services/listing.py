"""Finding work orders: the filtered, paginated list and the per-queue counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from typing import cast as typed

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
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

from workorders.domain.actors import Role
from workorders.domain.lifecycle import OPEN_STATUSES, Status
from workorders.domain.taxonomy import QUEUE_LABELS, Priority, Queue
from workorders.models import WorkOrder
from workorders.search_index import MARK
from workorders.services.access import OrderFields, order_row, visible_rows, visible_to
from workorders.services.pagination import Ordering, fetch_rows

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.sql.selectable import FromClause

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


# Trigram indexes serve substrings of at least three characters; shorter ones are scanned.
MIN_INDEXED = 3


SEARCHED = ("title", "description", "number")
_ORDERS = typed(Table, WorkOrder.__table__)
_RECENT = _ORDERS.alias("recent")
# The orders filed since SQLite's search index last caught up (`workorders.search_index`).
_UNINDEXED = literal_column("recent.rowid") > (
    select(literal_column("indexed_to")).select_from(table(MARK)).scalar_subquery()
)


def _contains(orders: FromClause, q: str, *, inline: bool = False) -> ColumnElement[bool]:
    """`q` in the title, description or number of `orders` (the table or an alias of it), ignoring
    the case of ASCII letters: a scan. `inline`: the pattern written into the statement."""
    pattern = bindparam(None, _like_pattern(q), String, literal_execute=inline)
    return or_(*(orders.c[key].ilike(pattern, escape="\\") for key in SEARCHED))


# SQLite plans a search by the index of the list's order: it walks the property's orders in that
# order and checks each against the phrase's matches. That is quick when the matches are many (the
# page fills early) and a read of every order when they are few. Up to this many matches in the index
# it is told to walk no index (`NOT INDEXED`): it reads the matches by rowid and sorts their keys. At
# 1M orders that took 5-8 ms for 11,111 matches and 17-19 ms for 30,000, and counting them up to
# here 1-5 ms; the walk for a phrase that is not there took 90 ms (bench/RESULTS.md, round 22).
# One owner's orders are few: SQLite walks those (the index of their owner) whatever the matches.
FEW_MATCHES = 20_000


async def _search(
    query: Select[Any], reader: AsyncSession | AsyncConnection, q: str, *, ones_own: bool
) -> tuple[Select[Any], bool]:
    """`query` narrowed to a case-insensitive substring of the title, description or number, and
    whether its page is best sorted by key (`pagination.fetch_rows`). PostgreSQL serves the ILIKE
    from its pg_trgm GIN indexes. SQLite asks its FTS5 trigram table (migration 0007) for the
    orders it holds and scans the few filed since it last caught up (`workorders.search_index`).
    `ones_own`: `query` reads one owner's orders."""
    if _dialect(reader) != "sqlite":
        # The phrase is written into the statement, not bound: a prepared statement run five times
        # gets a generic plan, made for any phrase, and for a search that plan scanned every
        # trigram index whole (2.6 s at 1M orders where a plan made for the phrase took 22 ms;
        # bench/RESULTS.md, round 23). A phrase's statement is one more in the connection's cache
        # of prepared statements, which drops the least recently used.
        return query.where(_contains(_ORDERS, q, inline=True)), False
    if len(q) < MIN_INDEXED:
        return query.where(_contains(_ORDERS, q)), False
    phrase = '"' + q.replace('"', '""') + '"'
    indexed: Select[Any] = (
        select(literal_column("rowid"))
        .select_from(table("work_orders_search"))
        .where(text("work_orders_search MATCH :phrase").bindparams(phrase=phrase))
    )
    recent: Select[Any] = select(literal_column("recent.rowid")).where(
        _UNINDEXED, _contains(_RECENT, q)
    )
    query = query.where(literal_column("work_orders.rowid").in_(union_all(indexed, recent)))
    if ones_own:
        return query, False
    held = await reader.scalar(
        select(func.count()).select_from(indexed.limit(FEW_MATCHES + 1).subquery())
    )
    if held is None or held > FEW_MATCHES:
        return query, False
    return query.with_hint(_ORDERS, "NOT INDEXED", "sqlite"), True


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
    by_key = False
    if where.q:
        ones_own = ctx.principal.role is Role.OWNER or where.owner_id is not None
        query, by_key = await _search(query, reader, where.q, ones_own=ones_own)
    rows, next_cursor = await fetch_rows(
        reader,
        query,
        ORDERINGS[sort],
        limit=limit,
        cursor=cursor,
        params=params,
        key=_ORDERS.c.id if by_key else None,
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
