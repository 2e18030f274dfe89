"""The per-process configuration cache: one revision per property, verified or trusted by NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from workorders.db import Database
from workorders.services import configuration
from workorders.services.configuration import RevisionProbe
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


async def test_sqlite_confirms_a_held_snapshot_by_its_probe(
    db: Database, settings: Settings
) -> None:
    """SQLite has no NOTIFY: a token check confirms the snapshot it holds by the probe's read of the
    revision, and a change committed by another process is seen at the very next check."""
    if not settings.is_sqlite:
        assert db.config.probe is None  # NOTIFY, or a revision read through the pool
        return
    assert db.config.probe is not None
    assert db.config.confirmed("default") is None  # nothing held yet
    calls: list[int] = []
    before = await _load_count(db, calls, verify=True)
    held = db.config.confirmed("default")
    assert held is not None and held.revision == before

    other = Database(settings)  # another process edits the configuration
    try:
        async with other.writer() as session, session.begin():
            await configuration.touch(session, "default")
    finally:
        await other.dispose()
    assert db.config.confirmed("default") is None  # stale: the caller reads the ordinary way
    assert await _load_count(db, calls, verify=True) == before + 1
    assert db.config.confirmed("default") is not None


def test_the_probe_never_waits_for_a_lock(tmp_path: Path) -> None:
    """While another connection holds the file's write lock where readers must wait for it (a
    database in rollback-journal mode: under WAL they never do), the probe answers "don't know" at
    once instead of holding up the event loop for a busy timeout; an error of SQLite's is "don't
    know" too."""
    path = str(tmp_path / "probed.db")
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as setup:
        setup.execute("CREATE TABLE properties (id TEXT PRIMARY KEY, config_revision INTEGER)")
        setup.execute("INSERT INTO properties VALUES ('default', 7)")
    probe = RevisionProbe(path)
    try:
        assert probe.revision("default") == 7
        assert probe.revision("nowhere") is None
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as locker:
            locker.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            assert probe.revision("default") is None
            assert time.monotonic() - started < 0.05
            locker.execute("UPDATE properties SET config_revision = 8")
            locker.execute("COMMIT")
        assert probe.revision("default") == 8  # committed elsewhere: seen at once
    finally:
        probe.close()
    for broken in (tmp_path / "missing.db", tmp_path / "not-the-service's.db"):
        if "not" in broken.name:
            sqlite3.connect(broken).close()  # a database, but without the properties table
        probe = RevisionProbe(str(broken))
        try:
            assert probe.revision("default") is None
        finally:
            probe.close()
    assert not (tmp_path / "missing.db").exists()  # the probe creates no file
