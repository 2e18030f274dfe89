"""The event feed: a position-ordered read of the events table that never skips a late commit.

PostgreSQL hands out `seq` values at insert, but transactions commit in any order: a reader that
remembered "up to seq 41" would never see a seq 40 committed a moment later. So the feed is ordered by
`(txid, seq)`, the writing transaction's id first, and a read only returns events whose transaction is
older than the oldest transaction still in flight (`pg_snapshot_xmin`). Every event that can still
appear belongs to a transaction at or above that horizon, hence after every position handed out.
On SQLite writers are serialised, so `seq` order is commit order.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar, overload

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select, text, true, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workorders.domain.actors import Principal, Role
from workorders.errors import ValidationFailed, _
from workorders.models import Event, FeedConsumer, WorkOrder
from workorders.services import owner_view
from workorders.services.access import OrderAccess, sees, visible_to

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import InstrumentedAttribute

    from workorders.services.context import Context

MAX_SEQ = 2**63 - 1
_POSITION = re.compile(r"(-?[0-9]{1,19})\.(-?[0-9]{1,19})")
STREAM_BATCH = 200
# Events a background follower handles per transaction (`follow`).
FOLLOW_BATCH = 500
HELD_BACK_PAUSE = 0.05


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: after the event `(txid, seq)`; txid is 0 on SQLite."""

    txid: int
    seq: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.txid}.{self.seq}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, field: str = "after") -> Position:
        """A position this feed handed out; anything else (including numbers beyond the 64-bit
        columns, which the database would refuse mid-stream) is a 422 on `field`."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raw = ""
        match = _POSITION.fullmatch(raw)
        if match is None or not all(-1 <= int(n) <= MAX_SEQ for n in match.groups()):
            raise ValidationFailed.on(field, _("not a cursor the event feed handed out"))
        return cls(int(match[1]), int(match[2]))


START = Position(-1, -1)


# What a follower reads of each event: the columns its handler uses, as rows (`read(columns=...)`),
# not whole Events. The background followers each read every event (the delivery worker's two, the
# table of grams, the reports' rollups), so what they read is paid per filed order several times
# over: the webhooks' fan-out cost 133K instructions an event reading Events, 76K reading rows
# (bench/RESULTS.md, round 29). A handler takes either: `Sequence[EventRow]`.
Columns: TypeAlias = "tuple[InstrumentedAttribute[Any] | ColumnElement[Any], ...]"
EventRow: TypeAlias = "Event | Row[Any]"
# Who did what to which order of which property: what the notifier and the live stream read of each
# event, each with a column of its own besides.
EVENT_COLUMNS: Columns = (
    Event.id,
    Event.property_id,
    Event.work_order_id,
    Event.type,
    Event.actor_type,
    Event.actor_id,
    Event.data,
)
E = TypeVar("E", bound="EventRow")


@dataclass(frozen=True)
class Page(Generic[E]):
    events: list[E]
    next: Position
    # Committed events exist beyond the horizon: a follower should look again shortly.
    held_back: bool


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Inbox lines for the push gateway (services/notifications.py): the admin's integrations read them;
# they name people's devices, which no person's feed shows.
INTEGRATIONS_ONLY = ("notification.created",)


def visible_events(principal: Principal) -> ColumnElement[bool]:
    """The events of the orders `principal` may see (API.md: each caller sees its orders' events)."""
    if principal.role is Role.ADMIN:
        return Event.property_id == principal.property_id
    if principal.sees_whole_property:
        return and_(
            Event.property_id == principal.property_id, Event.type.not_in(INTEGRATIONS_ONLY)
        )
    return Event.work_order_id.in_(select(WorkOrder.id).where(visible_to(principal)))


def shows(principal: Principal, event: EventRow, order: OrderAccess | None) -> bool:
    """`visible_events` in Python, for the live stream's fan-out: whether `principal` sees `event`,
    whose order (None: no order) has the access `order`."""
    if event.type in INTEGRATIONS_ONLY and principal.role is not Role.ADMIN:
        return False
    return sees(principal, event.property_id, order)


def type_filter(types: Sequence[str]) -> ColumnElement[bool]:
    """Exact types, or `prefix.*` wildcards."""
    conditions: list[ColumnElement[bool]] = []
    for name in types:
        if name.endswith(".*"):
            prefix = name[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(Event.type.like(f"{prefix}%", escape="\\"))
        else:
            conditions.append(Event.type == name)
    return or_(*conditions) if conditions else true()


def hidden_from(principal: Principal, event: EventRow) -> bool:
    """Owners see only what the owner's view shows them (services/owner_view.py)."""
    return owner_view.hidden_from(principal, event)


async def _horizon(session: AsyncSession) -> int:
    """Every transaction below this id has finished; those at or above may still add events."""
    value = await session.scalar(
        text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    )
    return int(value)


async def head(session: AsyncSession, where: ColumnElement[bool] | None = None) -> Position:
    """The position after every event committed so far (a live stream starts here)."""
    if _is_postgresql(session):
        # Events of transactions at or above the horizon may have committed already: they are
        # delivered again rather than risk missing one that commits a moment later.
        return Position(await _horizon(session) - 1, MAX_SEQ)
    query = select(func.max(Event.seq))
    if where is not None:
        query = query.where(where)
    return Position(0, int(await session.scalar(query) or 0))


def committed_after(condition: ColumnElement[bool], after: Position, horizon: int) -> Select[Event]:
    """PostgreSQL: the events matching `condition` after `after` and below the horizon, in commit
    order (an index on (txid, seq) serves the whole feed's, migration 0016)."""
    keys = tuple_(Event.txid, Event.seq)
    return (
        select(Event)
        .where(condition, keys > tuple_(after.txid, after.seq), Event.txid < horizon)
        .order_by(Event.txid, Event.seq)
    )


def beyond_horizon(condition: ColumnElement[bool], horizon: int) -> Select[int]:
    """PostgreSQL: whether an event matching `condition` lies at or beyond the horizon. Ordered, so
    that even under statistics taken when the table was nearly empty PostgreSQL walks the (txid,
    seq) index from the horizon rather than the table from its oldest row."""
    return select(Event.seq).where(condition, Event.txid >= horizon).order_by(Event.txid).limit(1)


@overload
async def read(
    session: AsyncSession,
    *,
    after: Position,
    limit: int,
    where: ColumnElement[bool] | None = None,
) -> Page[Event]: ...


@overload
async def read(
    session: AsyncSession,
    *,
    after: Position,
    limit: int,
    where: ColumnElement[bool] | None = None,
    columns: Columns,
) -> Page[Row[Any]]: ...


async def read(
    session: AsyncSession,
    *,
    after: Position,
    limit: int,
    where: ColumnElement[bool] | None = None,
    columns: Columns | None = None,
) -> Page[Any]:
    """Up to `limit` events after `after`, in feed order, among those matching `where`: Events, or
    with `columns` rows of those columns (and `txid`, `seq`: the position)."""
    condition = where if where is not None else true()
    if _is_postgresql(session):
        horizon = await _horizon(session)
        query = committed_after(condition, after, horizon)
        rows = await _fetch(session, query.limit(limit), columns)
        if len(rows) == limit:
            return Page(rows, Position(rows[-1].txid or 0, rows[-1].seq), held_back=True)
        beyond = await session.scalar(beyond_horizon(condition, horizon))
        return Page(rows, max(after, Position(horizon - 1, MAX_SEQ)), held_back=beyond is not None)
    # SQLite commits events in `seq` order (one writer at a time). The head is read first and the rows
    # only up to it: each statement is a snapshot of its own (readers run in autocommit), and an
    # event committed between the two lies beyond the head, read the next time.
    top = await head(session, condition)
    query = select(Event).where(condition, Event.seq > after.seq, Event.seq <= top.seq)
    rows = await _fetch(session, query.order_by(Event.seq).limit(limit), columns)
    if len(rows) == limit:
        return Page(rows, Position(0, rows[-1].seq), held_back=True)
    return Page(rows, max(after, top), held_back=False)


async def _fetch(session: AsyncSession, query: Select[Event], columns: Columns | None) -> list[Any]:
    if columns is None:
        return list((await session.execute(query)).scalars())
    picked = query.with_only_columns(*columns, Event.txid, Event.seq)
    return list((await session.execute(picked)).all())


def principal_filter(
    principal: Principal, *, types: Sequence[str] = (), work_order_id: str | None = None
) -> ColumnElement[bool]:
    conditions = [visible_events(principal), type_filter(types)]
    if work_order_id is not None:
        conditions.append(Event.work_order_id == work_order_id)
    return and_(*conditions)


# --- background followers ------------------------------------------------------------------------


async def follow(
    session: AsyncSession,
    consumer: str,
    handle: Callable[[list[Row[Any]]], Awaitable[None]],
    *,
    columns: Columns,
    now: datetime,
    batch: int = FOLLOW_BATCH,
    where: ColumnElement[bool] | None = None,
) -> Page[Row[Any]] | None:
    """Hand the next events to `handle`, as rows of `columns`, and move `consumer`'s position past
    them, in one transaction; with `where`, only the events matching it (the position moves past the
    others too).

    The consumer's row is locked for the transaction (`SKIP LOCKED`), so among any number of workers
    one handles a given stretch of the feed at a time; None when another worker holds it now.
    """
    locked = select(FeedConsumer).where(FeedConsumer.name == consumer)
    locked = locked.with_for_update(skip_locked=True)
    row = await session.scalar(locked)
    if row is None:
        if await session.scalar(select(FeedConsumer.name).where(FeedConsumer.name == consumer)):
            return None  # another worker has it now
        insert = pg_insert if _is_postgresql(session) else sqlite_insert
        await session.execute(
            insert(FeedConsumer)
            .values(name=consumer, position=START.encode(), updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        row = await session.scalar(locked)
        if row is None:
            return None
    after = Position.decode(row.position)
    page = await read(session, after=after, limit=batch, where=where, columns=columns)
    if page.events:
        await handle(page.events)
    encoded = page.next.encode()
    if encoded != row.position:
        row.position = encoded
        row.updated_at = now
    await session.flush()
    return page


# --- reading, for a caller -----------------------------------------------------------------------


async def list_for(
    ctx: Context,
    *,
    after: str | None,
    types: Sequence[str],
    work_order_id: str | None,
    limit: int,
) -> tuple[list[Event], str]:
    """One page of the caller's feed and the cursor to resume from (never None)."""
    start = Position.decode(after) if after else START
    where = principal_filter(ctx.principal, types=types, work_order_id=work_order_id)
    page = await read(ctx.session, after=start, limit=limit, where=where)
    shown = owner_view.shown(ctx.principal, page.events)
    return shown, page.next.encode()


def position_of(event: EventRow) -> Position:
    return Position(event.txid or 0, event.seq)
