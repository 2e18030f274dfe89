"""The live stream's one reader per process: a follower reads the feed once for every open stream and
fans each batch out to them, filtered by what each subscriber may see.

Before, every open stream ran its own read on its own timer: with 50 streams open, 50 queries a second
on PostgreSQL (even with NOTIFY waking them) and a create throughput 2.6 times lower. Now the follower
reads when woken (through `EventSignal`: at once by a commit of this process, by NOTIFY from another
on PostgreSQL; its poll interval on SQLite and as the floor) and a stream only reads the database to
catch up from a cursor it was given, up to where the follower took over. Order of delivery and the
never-skip guarantee are the feed's (services/feed.py): the follower reads with the same horizon
logic, and a stream only passes on events after its own position. A stream too slow to keep up
loses its queue and catches up from the database again.

The heartbeat is the follower's too: it tells a subscriber that has had nothing for a heartbeat's
time to write a keep-alive, on the round it makes anyway. A stream that timed its own wait for the
next batch armed and cancelled a timer per batch (about 5 µs each, times every open stream).

What the follower pays is paid per filed order while any stream is open, however many: it reads rows
of the columns a stream shows (`COLUMNS`), asks who may see each order only when some stream's
principal does not see the whole property, and hands every stream of one interest the same `Batch`,
so that the stream's writer renders it once for all of them (bench/RESULTS.md, round 31).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, select

from workorders.db import transaction
from workorders.models import Event, WorkOrder
from workorders.services import feed
from workorders.services.access import OrderAccess

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Hashable

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.db import Database
    from workorders.domain.actors import Principal
    from workorders.services.feed import EventRow, Position
    from workorders.services.live import EventSignal

BATCH = feed.STREAM_BATCH
# Batches a subscriber may have waiting before it is dropped to catch up from the database.
BACKLOG = 100
# The follower reads once per PACE at most, however often commits wake it: under load one read (four
# statements) and one write per stream serve every event of the interval, and a stream hears of an
# event up to this much later. Woken when idle, it reads after the signal's settling, as before.
PACE = 0.25
# What a stream shows of an event and filters it by (its position, `txid` and `seq`, comes too).
COLUMNS: feed.Columns = (*feed.EVENT_COLUMNS, Event.occurred_at)


@dataclass(frozen=True)
class Interest:
    """What one stream wants: the events its principal may see, of these types, of this order."""

    principal: Principal
    types: tuple[str, ...] = ()
    work_order_id: str | None = None

    @property
    def needs_orders(self) -> bool:
        """Whether what it may see depends on the orders (who owns them, their queue...)."""
        return not self.principal.sees_whole_property

    def wants(self, event: EventRow, orders: dict[str, OrderAccess]) -> bool:
        """`feed.principal_filter` and the owner's view, in Python."""
        if self.work_order_id is not None and event.work_order_id != self.work_order_id:
            return False
        if self.types and not any(
            event.type.startswith(name[:-1]) if name.endswith(".*") else event.type == name
            for name in self.types
        ):
            return False
        order = orders.get(event.work_order_id) if event.work_order_id else None
        return feed.shows(self.principal, event, order) and not feed.hidden_from(
            self.principal, event
        )


@dataclass(eq=False)
class Batch:
    """Events handed to a stream, in feed order. The follower hands one object to every stream of an
    interest: what the stream's writer makes of it for the wire (`written`, by audience) is made once
    for them all. The round's batches share `frames`, the writer's rendering of each event (an event
    goes to several interests: a desk's screens, an app open twice)."""

    events: list[Row[Any]]
    frames: dict[Hashable, bytes] = field(default_factory=dict)
    written: dict[Hashable, bytes] = field(default_factory=dict)

    def after(self, position: Position) -> Batch:
        """The events after `position` (a stream that caught up past the batch's start)."""
        if not self.events or feed.position_of(self.events[0]) > position:
            return self  # in feed order: when the first is past it, so are the rest
        fresh = [event for event in self.events if feed.position_of(event) > position]
        return Batch(fresh, self.frames)


class Note(Enum):
    """What a subscriber's queue holds besides batches."""

    BEHIND = "behind"  # it was too slow and lost its queue: catch up from the database
    QUIET = "quiet"  # nothing for it for a heartbeat's time: write a keep-alive


@dataclass(eq=False)
class Subscriber:
    interest: Interest
    start: Position
    queue: asyncio.Queue[tuple[Batch, Position] | Note] = field(
        default_factory=lambda: asyncio.Queue(BACKLOG)
    )
    quiet_since: float = field(default_factory=time.monotonic)

    def offer(self, batch: Batch, after: Position, *, now: float, heartbeat: float) -> bool:
        """Hand a batch over, after a keep-alive when the last one it wanted is a heartbeat old;
        False when the subscriber is too far behind (it is told so)."""
        try:
            if batch.events:
                self.quiet_since = now
            elif now - self.quiet_since >= heartbeat:
                self.queue.put_nowait(Note.QUIET)
                self.quiet_since = now
            self.queue.put_nowait((batch, after))
        except asyncio.QueueFull:
            return False
        return True

    def drop(self) -> None:
        """Too far behind: what waits is thrown away (the stream reads it again from the database,
        from its own position) so that the news always fits."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(Note.BEHIND)


class Follower:
    """Reads the feed for every open stream of this process; runs only while a stream is open."""

    def __init__(self, db: Database, signal: EventSignal, *, poll: float, heartbeat: float) -> None:
        self._db = db
        self._signal = signal
        # It looks again at least once a heartbeat, so that a keep-alive is never more than a
        # heartbeat late.
        self._poll = min(poll, heartbeat)
        self._heartbeat = heartbeat
        self._subscribers: set[Subscriber] = set()
        self._position: Position | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting: asyncio.Lock = asyncio.Lock()

    async def subscribe(self, interest: Interest) -> Subscriber:
        async with self._starting:
            if self._position is None:
                async with transaction(self._db.reader) as session:
                    self._position = await feed.head(session)
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._follow(), name="feed-follower")
        # No await between reading the position and joining: every batch read after this
        # subscriber's start reaches it.
        subscriber = Subscriber(interest, self._position)
        self._subscribers.add(subscriber)
        return subscriber

    async def now(self) -> Position:
        """Where a stream that opens now starts: every event after it reaches the stream. The
        follower's own position when it runs (no statement), else the feed's head. A stream settles
        it before its response begins: an event committed after the client has its `200` is after
        it, whenever the stream's first read happens."""
        if self._position is not None:
            return self._position
        async with transaction(self._db.reader) as session:
            return await feed.head(session)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        while self._subscribers:
            assert self._position is not None
            token = self._signal.token()
            started = loop.time()
            async with transaction(self._db.reader) as session:
                page = await feed.read(session, after=self._position, limit=BATCH, columns=COLUMNS)
                with_orders = any(s.interest.needs_orders for s in self._subscribers)
                orders = await _orders(session, page.events) if with_orders else {}
            self._position = page.next
            now = time.monotonic()
            # Streams of one principal and filter (a desk's screens, an app open twice) want the same
            # events: each distinct interest is worked out once a round, not once per stream, and
            # its streams are handed the same batch.
            frames: dict[Hashable, bytes] = {}
            chosen: dict[Interest, Batch] = {}
            for subscriber in list(self._subscribers):
                interest = subscriber.interest
                if interest.needs_orders and not with_orders:
                    # It joined after the round's orders were (not) read: it reads this round's
                    # events from the database itself, from its own position, as a stream that
                    # fell behind does.
                    self._subscribers.discard(subscriber)
                    subscriber.drop()
                    continue
                wanted = chosen.get(interest)
                if wanted is None:
                    events = [e for e in page.events if interest.wants(e, orders)]
                    wanted = chosen[interest] = Batch(events, frames)
                if not subscriber.offer(wanted, page.next, now=now, heartbeat=self._heartbeat):
                    self._subscribers.discard(subscriber)
                    subscriber.drop()
            if len(page.events) == BATCH:
                continue
            # Woken, the signal lets commits settle first: one read serves a burst of them.
            pause = feed.HELD_BACK_PAUSE if page.held_back else self._poll
            await self._signal.wait(token, pause, until=started + PACE)
        # Nobody listens: the next stream starts from the head again, not from a stale position.
        self._position = None


async def _orders(session: AsyncSession, events: list[Row[Any]]) -> dict[str, OrderAccess]:
    """Who may see each order of the batch, as the orders stand now (as the feed's SQL filter has it)."""
    ids = {e.work_order_id for e in events if e.work_order_id is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(
            WorkOrder.id,
            WorkOrder.owner_id,
            WorkOrder.queue,
            WorkOrder.assignee_id,
            WorkOrder.reporter_id,
        ).where(WorkOrder.id.in_(ids))
    )
    return {
        order_id: (owner, queue, assignee, reporter)
        for order_id, owner, queue, assignee, reporter in rows.all()
    }


async def stream(
    db: Database,
    follower: Follower,
    interest: Interest,
    *,
    start: Position,
) -> AsyncIterator[Batch | None]:
    """The subscriber's events after `start` as they commit, in the batches they arrive in (never
    empty), so that a stream writes once per batch; None when the follower says a heartbeat is due."""
    where = feed.principal_filter(
        interest.principal, types=interest.types, work_order_id=interest.work_order_id
    )
    position = start
    while True:
        subscriber = await follower.subscribe(interest)
        try:
            # Catch up from the database, up to where the follower took over.
            while position < subscriber.start:
                async with transaction(db.reader) as session:
                    page = await feed.read(
                        session, after=position, limit=BATCH, where=where, columns=COLUMNS
                    )
                caught_up = [
                    event
                    for event in page.events
                    if feed.position_of(event) <= subscriber.start
                    and not feed.hidden_from(interest.principal, event)
                ]
                if caught_up:
                    yield Batch(caught_up)
                    subscriber.quiet_since = time.monotonic()
                position = min(page.next, subscriber.start) if page.events else page.next
                if position < subscriber.start and not page.events:
                    await asyncio.sleep(feed.HELD_BACK_PAUSE)
            position = max(position, subscriber.start)
            while True:
                item = await subscriber.queue.get()
                if item is Note.QUIET:
                    yield None
                    continue
                if item is Note.BEHIND:
                    break  # catch up from the database
                batch, after = item
                fresh = batch.after(position)
                if fresh.events:
                    yield fresh
                position = max(position, after)
        finally:
            follower.unsubscribe(subscriber)
