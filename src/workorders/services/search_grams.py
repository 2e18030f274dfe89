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
  oldest) candidates of a property are found in this table and only their orders read (`newest`):
  sorted out of all of them, or for a phrase in many orders, day by day in a second GIN index of
  each gram with its order's day (migration 0022).
- An order whose text changes is written again at once by a trigger (nothing in the service changes
  one). The follower's insert leaves a row it finds alone: whichever of the two writes last, the
  row holds the text the order has. A deleted order's row goes with it (a foreign key).

The grams are exact (lower-case characters, as ILIKE lower-cases both sides), but the search checks
its candidates with ILIKE all the same: its answers are the scan's by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, array

from workorders.db import UTCDateTime
from workorders.models import Event, FeedConsumer, WorkOrder
from workorders.services import feed
from workorders.services.events import ORDER_CREATED
from workorders.services.pagination import after, position

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy import FromClause, Row, ScalarSelect, Select, Subquery
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from workorders.services.pagination import Ordering

CONSUMER = "search-grams"
GRAMS = "work_orders_grams"
# Orders indexed per transaction: about 50 ms of the server's time for owners' orders.
BATCH = 1000
# The most days one walk of the index by day passes (`_by_day`), ten years of them: each costs
# ~5 µs even without a candidate. Past it a search finds its page the ways it did before.
DAYS_WALKED = 3_660

_GRAMS = table(
    GRAMS,
    column("work_order_id", String),
    column("property_id", String),
    column("created_at", UTCDateTime()),
    column("grams", ARRAY(String)),
)


def _day(moment: ColumnElement[Any]) -> ColumnElement[int]:
    """The day of a moment, as the index by day numbers it (days since 1970-01-01, UTC)."""
    return func.work_order_day(moment, type_=Integer)


# The index by day's expression (migration 0022): each gram of the row as `gram@day`.
_BY_DAY = func.work_order_day_grams(_GRAMS.c.grams, _day(_GRAMS.c.created_at), type_=ARRAY(String))
_NO_IDS = literal_column("CAST(ARRAY[] AS VARCHAR[])", ARRAY(String))


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

    async def index(events: list[Row[Any]]) -> None:
        nonlocal indexed
        ids = [event.work_order_id for event in events if event.work_order_id is not None]
        await session.execute(_INDEX, {"ids": ids})
        indexed += len(ids)

    created = Event.type == ORDER_CREATED
    columns = (Event.work_order_id,)
    await feed.follow(
        session, CONSUMER, index, columns=columns, now=now, batch=BATCH, where=created
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
    by_day: bool,
) -> tuple[list[str], bool]:
    """The ids of the property's candidates for `q` (as `candidates`) after the cursor, among which
    are its first `count` in `ordering` (the list's order by filing time, newest or oldest first),
    and whether they are all its candidates after the cursor.

    The candidates are found with their filing time in the table of grams (migration 0021), so that
    only the orders of a page are read: at 1M orders a page of 25,000 old matches took 91 ms with
    every candidate's order read by key, 25 ms so (bench/RESULTS.md, round 26). `by_day`, for a
    phrase in many orders, walks the days (`_by_day`); otherwise all the candidates are sorted
    (`_sorted`). The orders filed since the follower's position (`since`) are added whole: they
    are few."""
    g = _GRAMS.c
    rows = after(
        select(g.work_order_id.label("id"), g.created_at).where(g.property_id == property_id),
        ordering,
        cursor,
        keys=(g.created_at, g.work_order_id),
    )
    if by_day:
        at = position(ordering, cursor)
        start = None if at is None else at[0]
        indexed = _by_day(rows, q, ordering, count, property_id=property_id, start=start)
    else:
        indexed = _sorted(rows.where(_holds(q)), ordering, count)
    filed_since = (
        select(WorkOrder.id)
        .join(Event, Event.work_order_id == WorkOrder.id)
        .where(since, Event.type == ORDER_CREATED, WorkOrder.property_id == property_id)
    )
    unindexed = func.array(after(filed_since, ordering, cursor).scalar_subquery())
    ids, cut, recent = (await reader.execute(select(indexed, unindexed))).one()
    return [*ids, *recent], len(ids) < count and not cut


def _sorted(rows: Select[Any], ordering: Ordering, count: int) -> Subquery:
    """The first `count` of `rows`, sorted out of all of them (`ids`, an array; `cut`: never).

    They are collected whole first (a materialized CTE): without it PostgreSQL scanned the whole
    table for 111,111 candidates (420 ms, where the GIN index took 50)."""
    found = rows.cte("candidates").prefix_with("MATERIALIZED")
    first = select(found.c.id).order_by(*ordering.order_by_of(found)).limit(count)
    return select(func.array(first.scalar_subquery()).label("ids"), false().label("cut")).subquery()


def _by_day(
    rows: Select[Any],
    q: str,
    ordering: Ordering,
    count: int,
    *,
    property_id: str,
    start: datetime | None,
) -> Subquery:
    """`rows` whose grams hold `q` (one or two characters), among which are their first `count`
    (`ids`, an array), found day by day in the index by day (migration 0022); `cut`: the walk
    stopped at `DAYS_WALKED` days, short of the last order's day.

    The days are walked from the property's newest order's back (or its oldest order's forward),
    or from the day of `start` (the cursor's), each day's candidates one entry of the index, until
    `count` are found: a day's orders are all filed before the next day's, so the candidates of the
    days walked, with the first `count` of the last day, hold the first `count` of all. At 1M
    orders the newest 204 of 111,111 candidates took 58 ms sorted out of all of them, and 3.5 ms so,
    653 days walked (bench/RESULTS.md, round 27). The index's list of pending entries, which every
    look reads whole, is kept short for it (migration 0022)."""
    step = -1 if ordering.descending else 1
    first, last = (func.max, func.min) if ordering.descending else (func.min, func.max)

    def day_of(moments: Callable[..., ColumnElement[Any]]) -> ScalarSelect[int]:
        orders = select(_day(moments(WorkOrder.created_at)))
        return orders.where(WorkOrder.property_id == property_id).scalar_subquery()

    first_day = day_of(first) if start is None else _day(bindparam(None, start, UTCDateTime()))
    walk = select(
        (first_day - step).label("day"),
        _NO_IDS.label("ids"),
        literal(0).label("found"),
        literal(0).label("days"),
    ).cte("walk", recursive=True)
    day = walk.c.day + step
    # Nested two deep in the lateral subquery: correlated by name, or it would read `walk` anew.
    of_day = rows.where(_BY_DAY.contains(array([_gram(q) + "@" + cast(day, String)])))
    of_day = of_day.correlate(walk)
    of_day_rows = of_day.subquery("of_day")
    first_of_day = (
        select(of_day_rows.c.id)
        .order_by(*ordering.order_by_of(of_day_rows))
        .limit(count)
        .subquery("first_of_day")
    )
    picked = select(func.coalesce(func.array_agg(first_of_day.c.id), _NO_IDS).label("ids")).lateral(
        "picked"
    )

    def more_days(walked: FromClause) -> ColumnElement[bool]:
        end = day_of(last)
        return walked.c.day > end if ordering.descending else walked.c.day < end

    walk = walk.union_all(
        select(
            day,
            walk.c.ids.concat(picked.c.ids),
            walk.c.found + func.cardinality(picked.c.ids),
            walk.c.days + 1,
        )
        .select_from(walk.join(picked, true()))
        .where(walk.c.found < count, walk.c.days < DAYS_WALKED, more_days(walk))
    )
    # The walk's last row holds every day's ids.
    reached = walk.c.day.asc() if ordering.descending else walk.c.day.desc()
    cut = and_(walk.c.days >= DAYS_WALKED, more_days(walk))
    return select(walk.c.ids, cut.label("cut")).order_by(reached).limit(1).subquery()


def _holds(q: str) -> ColumnElement[bool]:
    """The table of grams holds `q` (one or two characters) lower-cased, as ILIKE compares."""
    return _GRAMS.c.grams.contains(array([_gram(q)]))


def _gram(q: str) -> ColumnElement[str]:
    """`q` (one or two characters) as the table of grams holds it: lower-cased in the statement."""
    return func.lower(bindparam(None, q, String, literal_execute=True), type_=String)
