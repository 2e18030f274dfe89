"""Filing a work order: the one path every new order takes — an owner's, staff's on someone's behalf, a
follow-up, a scheduled task. Callers decide what differs (who files, where it goes, whose it is) and
pass it in; everything else is done here once.

The order is written in as few round trips as the database allows: its deadlines and its queue's
dispatch come from the property's cached configuration, its assignee is decided before the insert
(never insert then update), and the number counter — whose row lock every filer of the property
queues on — is taken last, in the one statement that writes the order and its events on PostgreSQL
(`WITH counter AS (INSERT … ON CONFLICT DO UPDATE … RETURNING), o AS (INSERT INTO work_orders …
SELECT … FROM counter RETURNING …), e AS (INSERT INTO events … SELECT … FROM o) SELECT … FROM o`), so
the lock is held from that statement to the commit and never across a round trip of its own: under
load each round trip inside the lock is also a wait for the event loop, and every other filer of the
property queues behind it (bench/RESULTS.md, round 5). SQLite, which has no statement of that kind,
runs three in two trips (`_insert_on_sqlite`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from typing import cast as typed

from sqlalchemy import (
    JSON,
    BindParameter,
    Column,
    ColumnElement,
    Table,
    bindparam,
    func,
    insert,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm.attributes import manager_of_class

from workorders.db import new_id, write_unawaited_sync, wrote_events
from workorders.domain import sla
from workorders.domain.dispatch import Strategy
from workorders.domain.lifecycle import Action, Status
from workorders.domain.taxonomy import Priority
from workorders.models import Event, WorkOrder
from workorders.models.feed import current_txid
from workorders.services import configuration, dispatch, events, numbers, placement, transitions

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.base import Executable

    from workorders.domain.actors import Principal
    from workorders.services.configuration import Snapshot

TITLE_LENGTH = 30
ELLIPSIS = "…"


class StaleConfiguration(Exception):
    """The order was not filed: the property's configuration has moved on from the snapshot it was
    placed under (an edit this process has not heard of yet). Nothing was written; place and file it
    again under the current configuration."""


@dataclass(frozen=True)
class Placement:
    """Where the new order goes, decided by the caller (routing rules, a follow-up's queue, a
    schedule)."""

    queue: str
    triage: bool
    priority: str
    category: str | None
    kind: str
    routing: dict[str, Any]
    dispatch: Strategy | None = None  # None: the queue's strategy
    skills: tuple[str, ...] = ()
    # An assignee fixed by the caller (a schedule's), already checked to work in the queue.
    assignee_id: str | None = None


@dataclass(frozen=True)
class Filing:
    """What the order says and whose it is."""

    description: str
    title: str | None
    channel: str
    location: dict[str, Any] = field(default_factory=dict)
    owner_id: str | None = None
    contact_phone: str | None = None
    preferred_time: dict[str, Any] | None = None
    parent_id: str | None = None
    schedule_id: str | None = None
    checklist: list[dict[str, Any]] | None = None
    # Facts for the `work_order.created` event beyond the order's own.
    event_data: dict[str, Any] = field(default_factory=dict)


def title_from(description: str, limit: int = TITLE_LENGTH) -> str:
    """The first line of the description, shortened to `limit` characters without cutting a word:
    text written with spaces is cut at the last space that fits, text without (Chinese) at a
    character; either way an ellipsis says something was left out."""
    stripped = description.strip()
    line = stripped.splitlines()[0].strip() if stripped else description
    if len(line) <= limit:
        return line
    cut = line[: limit - len(ELLIPSIS)]
    if " " in line:
        boundary = cut.rfind(" ") if line[len(cut)] != " " else len(cut)
        if boundary > 0:
            cut = cut[:boundary]
    return cut.rstrip() + ELLIPSIS


async def file(
    session: AsyncSession,
    snap: Snapshot,
    actor: Principal | None,
    now: datetime,
    filing: Filing,
    where: Placement,
    *,
    check_revision: bool = False,
) -> WorkOrder:
    """Write the new order with its `work_order.created` event (and its automatic assignment, when its
    queue hands work out by itself) in the caller's transaction.

    The order returned is what was written, not an object of the session: attached, it cost ~170,000
    instructions of a create (4%: marking every column loaded, the session's bookkeeping at the
    commit) for a flush that never found anything to write (bench/RESULTS.md, round 28). Changing it
    writes nothing (`transitions` refuses it): a caller that goes on to act on the new order reads
    it into the session first (`session.get`).

    `check_revision` (`snap` held by this process, its revision not read): the statements that write
    the order write it only while the property's revision is still `snap`'s, so the revision check
    costs no round trip of its own, and `StaleConfiguration` is raised, with nothing written, when it
    has moved. Automatic dispatch reads the revision before it takes the queue's
    turn instead: that turn is moved on under a lock held until the commit and must not be taken
    twice."""
    deadlines = await placement.deadlines(session, snap, where.priority, where.category, now)
    order = _loaded(
        id=new_id("wo"),
        property_id=snap.property_id,
        number=None,
        kind=str(where.kind),
        category=where.category,
        title=filing.title or title_from(filing.description),
        description=filing.description,
        location=filing.location,
        preferred_time=filing.preferred_time,
        contact_phone=filing.contact_phone,
        status=Status.TRIAGE if where.triage else Status.QUEUED,
        queue=str(where.queue),
        priority=str(where.priority),
        priority_rank=Priority(where.priority).rank,
        assignee_id=None,
        owner_id=filing.owner_id,
        reporter_type=actor.actor_type if actor else "system",
        reporter_id=actor.sub if actor else None,
        channel=str(filing.channel),
        escalation_level=0,
        parent_id=filing.parent_id,
        schedule_id=filing.schedule_id,
        routing=where.routing,
        dispatch=None,
        required_skills=[],
        respond_by=deadlines.respond_by,
        start_by=deadlines.start_by,
        resolve_by=deadlines.resolve_by,
        breached=[],
        paused_seconds=0,
        sla_check_at=None,  # set once the order's assignment is decided (`sla.first_check`)
        checklist=filing.checklist,
        version=1,
        created_at=now,
        updated_at=now,
    )
    pick = None
    if not where.triage:
        strategy = where.dispatch or await dispatch.strategy_of(session, snap, order.queue)
        order.dispatch = str(strategy)
        order.required_skills = list(where.skills)
        if where.assignee_id is None:
            if check_revision and strategy.automatic:
                await _verify(session, snap)
                check_revision = False
            pick = await dispatch.decide(
                session,
                snap,
                queue=order.queue,
                strategy=strategy,
                skills=where.skills,
                declined=set(),
                now=now,
            )
    # The events are rows for one Core insert with the order's number (`_insert_events`), never
    # objects of the session: built, added and expunged again, those cost more CPU than the insert.
    written = [
        events.row(
            order=order,
            type=events.ORDER_CREATED,
            actor=actor,
            at=now,
            extra={"channel": order.channel, "routing": order.routing} | filing.event_data,
        )
    ]
    assignee = where.assignee_id or (pick.chosen if pick is not None else None)
    if assignee is not None:
        previous, data = transitions.decide_as_system(
            order, Action.ASSIGN, now=now, params={"assignee_id": assignee}
        )
        order.version += 1
        if pick is not None:
            data["dispatch"] = pick.as_data()
        written.append(
            events.row(
                order=order,
                type=Action.ASSIGN.event_type,
                actor=None,
                at=now,
                previous_status=previous,
                extra=data,
            )
        )
    elif pick is not None:
        written.append(events.row(**transitions.needs_assignment(order, pick, now)))
    order.sla_check_at = sla.first_check(
        deadlines, now, order.responded_at, kind=order.kind, priority=order.priority
    )
    revision = snap.revision if check_revision else None
    order.number = await _insert(session, order, written, snap.timezone, now, revision)
    return order


_ORDERS = manager_of_class(WorkOrder)
_ORDER_COLUMNS = tuple(column.key for column in typed(Table, WorkOrder.__table__).columns)


def _loaded(**values: Any) -> WorkOrder:
    """A new `WorkOrder` built the way SQLAlchemy builds one it loads: its values (None for every
    column not given) written straight into the instance, not set one by one through ~35
    instrumented attributes, which was ~4% of a create's instructions. It stays transient: the
    insert is a Core statement (`_insert`), and the instance only reports what it wrote."""
    order: WorkOrder = _ORDERS.new_instance()
    order.__dict__.update(dict.fromkeys(_ORDER_COLUMNS), **values)
    return order


async def _verify(session: AsyncSession, snap: Snapshot) -> None:
    current = await configuration.of(session).snapshot(session, snap.property_id, verify=True)
    if current is None or current.revision != snap.revision:
        raise StaleConfiguration(snap.property_id)


async def _insert(
    session: AsyncSession,
    order: WorkOrder,
    written: list[dict[str, Any]],
    timezone: str,
    now: datetime,
    revision: int | None = None,
) -> str:
    """Insert the order row and its events (rows for Core inserts, never objects of the session: built,
    added and flushed, those cost more CPU than the insert), numbered; returns the number. The
    statements are built once (bound parameters only): building them per request cost more CPU than
    running them. With a `revision`, only while the property's revision is that one; else
    `StaleConfiguration`, with nothing written. `order` is `_loaded`'s: every column is in its dict,
    read there, not through 49 instrumented attributes."""
    loaded = order.__dict__
    values = {key: loaded[key] for key in _ORDER_COLUMNS}
    values["day"] = numbers.day_of(now, timezone)
    checked = revision is not None
    if checked:
        values["revision"] = revision
    if session.get_bind().dialect.name != "postgresql":
        return await session.run_sync(_insert_on_sqlite, written, values, checked)
    return await session.run_sync(_insert_on_postgres, written, values, checked)


def _insert_on_postgres(
    session: Session, written: list[dict[str, Any]], values: dict[str, Any], checked: bool
) -> str:
    """PostgreSQL: everything in one statement (`_numbered_insert`), on the session's connection: a
    Core statement, which the session's own `execute` would take through its ORM steps (~1% of a
    create's instructions) for a result of one number."""
    columns = tuple(written[0])
    for index, event in enumerate(written):
        values.update({f"event{index}_{key}": event[key] for key in columns})
    statement = _numbered_insert(columns, len(written), checked=checked)
    numbered = session.connection().execute(statement, values).scalar_one_or_none()
    if numbered is None:  # only a checked statement writes nothing: the revision moved
        raise StaleConfiguration(values["property_id"])
    wrote_events(session)
    return str(numbered)


def _insert_on_sqlite(
    session: Session, written: list[dict[str, Any]], values: dict[str, Any], checked: bool
) -> str:
    """SQLite: the counter's upsert, the order's insert (numbered from the counter, returning the
    number) and the events' insert, in two trips (`db.write_unawaited_sync`): the upsert goes with
    the insert (and with the transaction's BEGIN IMMEDIATE when filing is its first statement), the
    events with the commit. The transaction holds the database's one write lock from its BEGIN
    IMMEDIATE, so nothing comes between the statements; checked, each of the first two writes only
    while the property's revision is the bound one. The three run in one greenlet of SQLAlchemy's
    (`AsyncSession.run_sync`): each `await` of the session's is a trip into one and back."""
    keys = ("property_id", "day", "revision") if checked else ("property_id", "day")
    write_unawaited_sync(session, _sqlite_taking(checked), {key: values[key] for key in keys})
    numbered = session.connection().execute(_sqlite_insert(checked), values).scalar_one_or_none()
    if numbered is None:
        raise StaleConfiguration(values["property_id"])
    events.write_sync(
        session, [event | {"data": event["data"] | {"number": numbered}} for event in written]
    )
    return str(numbered)


def _events_table() -> Table:
    return typed(Table, Event.__table__)


def _bind_type(column: Column[Any]) -> Any:
    # None is SQL NULL in every column; a JSON column would otherwise store the JSON `null`.
    if isinstance(column.type, JSON):
        return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    return column.type


def _order_binds() -> dict[str, BindParameter[Any]]:
    table = typed(Table, WorkOrder.__table__)
    return {c.key: bindparam(c.key, type_=_bind_type(c)) for c in table.columns}


@cache
def _sqlite_taking(checked: bool) -> Executable:
    return numbers.taking("sqlite", _order_binds()["property_id"], checked=checked)


@cache
def _sqlite_insert(checked: bool) -> Executable:
    """SQLite: the order, numbered from the counter its filing has just moved on."""
    table = typed(Table, WorkOrder.__table__)
    counters = numbers.COUNTERS
    binds = _order_binds()
    names = [name for name in binds if name != "number"]
    numbered = select(
        *(binds[name] for name in names), numbers.number("sqlite", counters.c.last_value)
    ).where(counters.c.property_id == binds["property_id"], counters.c.day == numbers.day_param())
    if checked:
        numbered = numbered.where(numbers.revision_matches(binds["property_id"]))
    return insert(table).from_select([*names, "number"], numbered).returning(table.c.number)


@cache
def _numbered_insert(columns: tuple[str, ...], events: int, *, checked: bool = False) -> Executable:
    """PostgreSQL: the counter, the order and its `events` events (each row of the event's `columns`
    bound as `event{i}_{column}`, its data given the order's number) in one statement. `checked`:
    nothing at all (no number taken, no row, no event) unless the property's `config_revision` is
    the bound `revision`."""
    table = typed(Table, WorkOrder.__table__)
    binds = _order_binds()
    taking = numbers.taking("postgresql", binds["property_id"], checked=checked)
    counter = taking.returning(numbers.COUNTERS.c.last_value).cte("counter")
    number = numbers.number("postgresql", counter.c.last_value)
    names = [name for name in binds if name != "number"]
    order = (
        insert(table)
        .from_select(
            [*names, "number"],
            select(*(binds[name] for name in names), number).select_from(counter),
        )
        .returning(table.c.number)
        .cte("o")
    )
    log = _events_table()
    numbered = func.jsonb_build_object("number", order.c.number)

    def column(index: int, key: str) -> ColumnElement[Any]:
        bound = bindparam(f"event{index}_{key}", type_=log.c[key].type)
        if key != "data":
            return bound
        return type_coerce(bound, JSONB).op("||", return_type=JSONB)(numbered)

    rows = union_all(
        *(
            select(*(column(index, key) for key in columns), current_txid()).select_from(order)
            for index in range(events)
        )
    )
    logged = insert(log).from_select([*columns, "txid"], rows).cte("e")
    return select(order.c.number).add_cte(logged)
