"""PostgreSQL's table of grams: phrases of one or two characters by index, written behind the filing.

The pg_trgm indexes serve a phrase of three characters or more; for a shorter one PostgreSQL had to
scan every order (4.6 s at 1M orders for a phrase that no order holds; bench/RESULTS.md, round 23),
and in Chinese most words are two characters (漏水, 电梯, 噪音). `work_orders_grams` (migration 0020)
holds, for each order, every character and every pair of neighbouring characters of its title,
description and number, lower-cased as ILIKE compares them (the SQL function `work_order_grams`),
under a GIN index. Kept in the filing's transaction, that index cost each INSERT of an order about
180 µs of the server's time (round 24), so it is written behind the filing, in batches:

- A follower of the event feed, `CONSUMER`, indexes the orders of the `work_order.created` events
  after its position and moves the position past them, in one transaction (`catch_up`, a job of
  the workers every `feed_poll_interval`). The feed's position never skips a late commit
  (`services/feed.py`), so the orders filed after the position are exactly those not yet indexed.
- A search (`services/listing.py`) asks the index for the orders up to the position and scans, by
  their events, those filed after it (`candidates`): the same orders either way.
- Each row keeps its order's property and filing time (migration 0021), so that the newest (or
  oldest) candidates of a property are sorted in this table and only their orders read (`newest`).
- An order whose text changes is written again at once by a trigger (nothing in the service changes
  one). The follower's insert leaves a row it finds alone: whichever of the two writes last, the
  row holds the text the order has. A deleted order's row goes with it (a foreign key).

The grams are exact (lower-case characters, as ILIKE lower-cases both sides), but the search checks
its candidates with ILIKE all the same: its answers are the scan's by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    String,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, array

from workorders.db import UTCDateTime
from workorders.models import Event, FeedConsumer, WorkOrder
from workorders.services import feed
from workorders.services.events import ORDER_CREATED
from workorders.services.pagination import after

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from workorders.services.pagination import Ordering

CONSUMER = "search-grams"
GRAMS = "work_orders_grams"
# Orders indexed per transaction: about 50 ms of the server's time for owners' orders.
BATCH = 1000

_GRAMS = table(
    GRAMS,
    column("work_order_id", String),
    column("property_id", String),
    column("created_at", UTCDateTime()),
    column("grams", ARRAY(String)),
)
_INDEX = text(
    f"INSERT INTO {GRAMS} (work_order_id, property_id, created_at, grams) "
    "SELECT id, property_id, created_at, work_order_grams(title, description, number) "
    "FROM work_orders WHERE id = ANY(:ids) ON CONFLICT (work_order_id) DO NOTHING"
)


async def catch_up(session: AsyncSession, now: datetime) -> int:
    """Index the orders filed after the follower's position, up to `BATCH` of them, and move the
    position past them, in the caller's transaction; how many were indexed (none on SQLite, whose
    writers keep its own table of grams: `workorders.search_index`, or while another worker has the
    follower)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    indexed = 0

    async def index(events: list[Event]) -> None:
        nonlocal indexed
        ids = [event.work_order_id for event in events if event.work_order_id is not None]
        await session.execute(_INDEX, {"ids": ids})
        indexed += len(ids)

    await feed.follow(
        session, CONSUMER, index, now=now, batch=BATCH, where=Event.type == ORDER_CREATED
    )
    return indexed


async def filed_since(reader: AsyncSession | AsyncConnection) -> ColumnElement[bool] | None:
    """Which events are after the follower's position: those of the orders not yet indexed. None
    where there is no follower (a database before migration 0020): scan instead.

    The position is written into the statements, not bound: each search is planned for its own (a
    generic plan of a prepared statement would not know that the position is near the feed's end)."""
    position = await reader.scalar(
        select(FeedConsumer.position).where(FeedConsumer.name == CONSUMER)
    )
    if position is None:
        return None
    after_position = feed.Position.decode(position)
    keys = tuple_(Event.txid, Event.seq)
    return keys > tuple_(
        literal_column(str(after_position.txid)), literal_column(str(after_position.seq))
    )


def candidates(q: str, since: ColumnElement[bool]) -> CompoundSelect:
    """The ids of the orders that may hold `q` (one or two characters) in their title, description
    or number: those the table of grams says hold it, and every order filed `since` (`filed_since`).
    The phrase is written into the statement, as the position is, and for the same reason (how
    common the gram is)."""
    indexed = select(_GRAMS.c.work_order_id).where(_holds(q))
    return union_all(indexed, select(Event.work_order_id).where(since, Event.type == ORDER_CREATED))


async def newest(
    reader: AsyncSession | AsyncConnection,
    q: str,
    since: ColumnElement[bool],
    *,
    property_id: str,
    ordering: Ordering,
    cursor: str | None,
    count: int,
) -> list[str]:
    """The ids of the property's first `count` candidates for `q` (as `candidates`) after the cursor,
    in `ordering`: the list's order by filing time, newest or oldest first.

    The candidates are taken from the table of grams with their filing time and sorted there
    (migration 0021), so only the orders of a page are read: at 1M orders a page of 25,000 old
    matches took 91 ms with every candidate's order read by key, 25 ms so (bench/RESULTS.md, round
    26). They are collected whole first (a materialized CTE): without it PostgreSQL scanned the
    whole table for 111,111 candidates (420 ms, where the GIN index took 50)."""
    g = _GRAMS.c
    indexed = select(g.work_order_id.label("id"), g.created_at).where(
        _holds(q), g.property_id == property_id
    )
    filed_since = (
        select(WorkOrder.id, WorkOrder.created_at)
        .join(Event, Event.work_order_id == WorkOrder.id)
        .where(since, Event.type == ORDER_CREATED, WorkOrder.property_id == property_id)
    )
    found = (
        union_all(
            after(indexed, ordering, cursor, keys=(g.created_at, g.work_order_id)),
            after(filed_since, ordering, cursor),
        )
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    first = select(found.c.id).order_by(*ordering.order_by_of(found)).limit(count)
    return list((await reader.execute(first)).scalars())


def _holds(q: str) -> ColumnElement[bool]:
    """The table of grams holds `q` (one or two characters) lower-cased, as ILIKE compares."""
    gram = func.lower(bindparam(None, q, String, literal_execute=True))
    return _GRAMS.c.grams.contains(array([gram]))
