"""Events are announced by the process that commits them: every transaction that wrote events tells the
process's `EventSignal`, which wakes its own followers at once and, on PostgreSQL, tells the other
processes with at most one NOTIFY per `live.ANNOUNCE_EVERY`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from workorders.db import Database, transaction
from workorders.services import live
from workorders.services.live import EventSignal

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder
    from workorders.config import Settings


@pytest.fixture
def announced(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each call of the app's `events_committed`, counted, the signal still told."""
    calls: list[int] = []
    told = db.events_committed

    def counted() -> None:
        calls.append(1)
        told()

    monkeypatch.setattr(db, "events_committed", counted)
    return calls


async def test_each_write_that_commits_events_is_announced_once_and_a_read_never(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    announced: list[int],
) -> None:
    order = await file_order(community.owner, "厨房水龙头漏水")
    assert len(announced) == 1  # the filing's one statement (PostgreSQL) or transaction (SQLite)

    response = await client.get(f"/v1/work-orders/{order['id']}", headers=community.owner.headers)
    assert response.status_code == 200
    assert len(announced) == 1

    response = await client.post(
        f"/v1/work-orders/{order['id']}/escalate",
        json={"reason": "两天了还没人来"},
        headers=community.manager.headers,
    )
    assert response.status_code == 200, response.text
    assert len(announced) == 2

    response = await client.post(
        f"/v1/work-orders/{order['id']}/comments",
        json={"body": "师傅下午来"},
        headers=community.cs.headers,
    )
    assert response.status_code == 201, response.text
    assert len(announced) == 3


async def test_a_database_nobody_holds_is_collected(settings: Settings) -> None:
    """The registry that finds a session's Database holds it weakly: one nobody holds any more (a
    script's, a test's) goes, engines and pools with it."""
    db = Database(settings)
    gone = weakref.ref(db)
    await db.dispose()
    del db
    gc.collect()
    assert gone() is None


async def test_a_transaction_that_wrote_no_event_is_not_announced(
    db: Database, announced: list[int]
) -> None:
    async with transaction(db.writer) as session:
        await session.execute(text("SELECT 1"))
    assert announced == []


@contextlib.asynccontextmanager
async def _listening(settings: Settings) -> AsyncIterator[list[float]]:
    """When each NOTIFY on the events' channel was heard, by a connection of a process of its own."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    heard: list[float] = []
    loop = asyncio.get_running_loop()
    await connection.add_listener(live.CHANNEL, lambda *_: heard.append(loop.time()))
    try:
        yield heard
    finally:
        await connection.close()


async def _started(signal: EventSignal, db: Database) -> None:
    await signal.start()
    for _ in range(200):
        if db.config.trusted():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the signal never connected")


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[tuple[Database, EventSignal]]:
    """A second process's Database and signal: its own engines, pool and LISTEN connection."""
    if settings.is_sqlite:
        pytest.skip("SQLite has no NOTIFY: every process's followers poll")
    db = Database(settings)
    signal = EventSignal.of_process(db)
    try:
        await _started(signal, db)
        yield db, signal
    finally:
        await signal.stop()
        await db.dispose()


async def test_a_burst_of_commits_is_one_notify_per_interval(
    settings: Settings, other_process: tuple[Database, EventSignal]
) -> None:
    _db, signal = other_process
    async with _listening(settings) as heard:
        loop = asyncio.get_running_loop()
        token = signal.token()
        started = loop.time()
        signal.announce()
        assert token.is_set()  # this process's own followers: at once, not by NOTIFY
        await asyncio.sleep(live.ANNOUNCE_EVERY / 2)
        assert len(heard) == 1  # the first commit after a quiet spell is told at once

        # 100 commits over four intervals: one NOTIFY per interval, not one per commit.
        for _ in range(100):
            signal.announce()
            await asyncio.sleep(live.ANNOUNCE_EVERY / 25)
        await asyncio.sleep(live.ANNOUNCE_EVERY * 3)
        spent = heard[-1] - started
        assert 3 <= len(heard) <= 2 + spent / live.ANNOUNCE_EVERY, (len(heard), spent)
        quiet = len(heard)
        await asyncio.sleep(live.ANNOUNCE_EVERY * 3)
        assert len(heard) == quiet  # nothing announced, nothing sent


async def test_a_commit_in_one_process_wakes_the_followers_of_another(
    app: Any,
    other_process: tuple[Database, EventSignal],
    community: Community,
    file_order: FileOrder,
) -> None:
    _other_db, other_signal = other_process
    mine: EventSignal = app.state.event_signal
    await asyncio.sleep(live.ANNOUNCE_EVERY * 2)  # the community's own announcements are sent
    theirs, own = other_signal.token(), mine.token()
    await file_order(community.owner, "电梯困人了")
    assert own.is_set()
    async with asyncio.timeout(5):
        await theirs.wait()


async def test_a_process_is_not_woken_by_its_own_notify(
    other_process: tuple[Database, EventSignal],
) -> None:
    db, signal = other_process
    async with db.read_engine.connect() as connection:
        # Another backend's NOTIFY wakes it...
        token = signal.token()
        await connection.execute(text(f"NOTIFY {live.CHANNEL}"))
        async with asyncio.timeout(5):
            await token.wait()
    # ...its own (sent for an announcement, which woke it already) does not.
    signal.announce()
    token = signal.token()
    await asyncio.sleep(live.ANNOUNCE_EVERY * 4)
    assert not token.is_set()
