"""The per-process configuration cache: one revision per property, verified or trusted by NOTIFY."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from workorders.db import Database
from workorders.services import configuration
from workorders.services.live import EventSignal

if TYPE_CHECKING:
    from workorders.config import Settings


async def _load_count(db: Database, calls: list[int], *, verify: bool) -> int:
    async with db.reader() as session, session.begin():
        snap = await configuration.snapshot(session, "default", verify=verify)

        async def loader(_session: object) -> int:
            calls.append(snap.revision)
            return snap.revision

        return await snap.load("probe", session, loader)


async def test_a_value_is_loaded_once_per_revision(db: Database) -> None:
    calls: list[int] = []
    first = await _load_count(db, calls, verify=True)
    assert await _load_count(db, calls, verify=True) == first
    assert calls == [first]

    async with db.writer() as session, session.begin():
        await configuration.touch(session, "default")
    assert await _load_count(db, calls, verify=True) == first + 1
    assert calls == [first, first + 1]


async def test_another_process_sees_a_change_at_its_next_verified_read(
    db: Database, settings: Settings
) -> None:
    other = Database(settings)  # a second process: its own engine, pool and cache
    try:
        calls: list[int] = []
        before = await _load_count(other, calls, verify=True)
        async with db.writer() as session, session.begin():
            await configuration.touch(session, "default")
        assert await _load_count(other, calls, verify=True) == before + 1
    finally:
        await other.dispose()


async def test_an_unknown_property_has_no_snapshot(db: Database) -> None:
    async with db.reader() as session, session.begin():
        assert await configuration.of(session).snapshot(session, "nowhere", verify=True) is None


async def test_a_trusted_cache_is_told_by_notify(db: Database, settings: Settings) -> None:
    if settings.is_sqlite:
        # Without NOTIFY the cache is never trusted: every read verifies.
        assert db.config.trusted() is False
        return
    other = Database(settings)
    signal = EventSignal(settings, other.config)
    await signal.start()
    try:
        for _ in range(100):
            if other.config.trusted():
                break
            await asyncio.sleep(0.05)
        assert other.config.trusted()
        calls: list[int] = []
        before = await _load_count(other, calls, verify=False)
        assert await _load_count(other, calls, verify=False) == before  # no read needed
        async with db.writer() as session, session.begin():
            await configuration.touch(session, "default")
        for _ in range(100):
            if await _load_count(other, calls, verify=False) == before + 1:
                break
            await asyncio.sleep(0.05)
        assert await _load_count(other, calls, verify=False) == before + 1
    finally:
        await signal.stop()
        await other.dispose()
