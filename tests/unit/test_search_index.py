"""SQLite's search index written behind the filing (`workorders.search_index`, migration 0017): the
rows up to the mark are in the index, `catch_up` indexes the rest, and the triggers keep the index
in step for the rows it holds. FTS5's own `integrity-check` compares the index with the table."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from workorders import search_index
from workorders.config import Settings
from workorders.db import Database
from workorders.migrate import downgrade, upgrade


@pytest.fixture(scope="module")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to 0016 and one migrated to the head, made once for the module."""
    folder = tmp_path_factory.mktemp("search")
    for revision in ("0016", "heads"):
        path = folder / f"{revision}.db"
        database = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        await upgrade(database.write_engine, revision)
        await database.dispose()
    return folder


@pytest.fixture
def connection(migrated: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "search.db"
    shutil.copy(migrated / "heads.db", path)
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection
    connection.close()


def _file(connection: sqlite3.Connection, number: int, title: str) -> int:
    """A bare order row, each required column filled with a value of its type (foreign keys are off
    on this connection); its rowid."""
    row: dict[str, object] = {
        name: 0 if kind in ("INTEGER", "BIGINT", "BOOLEAN") else "{}"
        for _, name, kind, required, default, _ in connection.execute(
            "PRAGMA table_info(work_orders)"
        )
        if required and default is None
    }
    row |= {
        "id": f"wo_{number}",
        "number": f"WO-20261203-{number:04d}",
        "title": title,
        "description": f"{title}，请尽快处理",
    }
    names = ", ".join(row)
    marks = ", ".join("?" * len(row))
    cursor = connection.execute(
        f"INSERT INTO work_orders ({names}) VALUES ({marks})", tuple(row.values())
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _found(connection: sqlite3.Connection, phrase: str) -> list[str]:
    rows = connection.execute(
        "SELECT work_orders.id FROM work_orders_search JOIN work_orders "
        "ON work_orders.rowid = work_orders_search.rowid "
        "WHERE work_orders_search MATCH ? ORDER BY work_orders.rowid",
        (f'"{phrase}"',),
    )
    return [id_ for (id_,) in rows]


def _mark(connection: sqlite3.Connection) -> int:
    (mark,) = connection.execute(f"SELECT indexed_to FROM {search_index.MARK}").fetchone()
    return int(mark)


def _in_step(connection: sqlite3.Connection) -> None:
    """FTS5 raises SQLITE_CORRUPT_VTAB when its index and its content table disagree."""
    connection.execute(
        "INSERT INTO work_orders_search(work_orders_search) VALUES ('integrity-check')"
    )


def test_new_orders_wait_above_the_mark_until_caught_up(connection: sqlite3.Connection) -> None:
    first = _file(connection, 1, "厨房水龙头漏水")
    _file(connection, 2, "楼道灯不亮")
    assert _found(connection, "水龙头") == []
    assert _mark(connection) == first - 1

    assert search_index.catch_up(connection) == 2
    assert _found(connection, "水龙头") == ["wo_1"]
    assert _found(connection, "0002") == ["wo_2"]  # the number is searched too
    assert _mark(connection) == first + 1
    assert search_index.catch_up(connection) == 0
    assert not connection.in_transaction
    _in_step(connection)


def test_the_index_follows_changes_to_indexed_rows_only(connection: sqlite3.Connection) -> None:
    _file(connection, 1, "电梯困人")
    search_index.catch_up(connection)
    _file(connection, 2, "垃圾没人清理")  # above the mark

    connection.execute("UPDATE work_orders SET title = '电梯停运' WHERE id = 'wo_1'")
    connection.execute("UPDATE work_orders SET title = '垃圾桶满了' WHERE id = 'wo_2'")
    assert _found(connection, "电梯停运") == ["wo_1"]
    assert _found(connection, "电梯困人") == ["wo_1"]  # still in its description
    assert _found(connection, "垃圾桶") == []  # not indexed yet: nothing to update

    connection.execute("DELETE FROM work_orders WHERE id = 'wo_2'")  # nothing to delete either
    search_index.catch_up(connection)
    _in_step(connection)
    connection.execute("DELETE FROM work_orders WHERE id = 'wo_1'")
    assert _found(connection, "电梯") == []
    _in_step(connection)


def test_a_rowid_given_again_at_or_below_the_mark_is_indexed_at_once(
    connection: sqlite3.Connection,
) -> None:
    _file(connection, 1, "门禁卡坏了")
    last = _file(connection, 2, "停车位被占")
    search_index.catch_up(connection)
    connection.execute("DELETE FROM work_orders WHERE id = 'wo_2'")
    # SQLite hands the deleted last row's rowid to the next insert: it is at the mark.
    assert _file(connection, 3, "楼上装修噪音") == last == _mark(connection)
    assert _found(connection, "装修噪音") == ["wo_3"]
    _in_step(connection)


def test_catch_up_rolls_back_and_leaves_the_rows_for_the_next_one(
    connection: sqlite3.Connection,
) -> None:
    _file(connection, 1, "厨房水龙头漏水")
    # A mark that cannot be written: the index's insert is rolled back with it.
    connection.execute(
        f"CREATE TRIGGER refuse BEFORE UPDATE ON {search_index.MARK} "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        search_index.catch_up(connection)
    assert not connection.in_transaction
    assert _found(connection, "水龙头") == []
    connection.execute("DROP TRIGGER refuse")
    assert search_index.catch_up(connection) == 1
    _in_step(connection)


def test_a_database_without_the_mark_has_nothing_to_catch_up(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "other.db", isolation_level=None)
    connection.execute("CREATE TABLE work_orders (title TEXT)")
    assert search_index.catch_up(connection) == 0
    assert not connection.in_transaction


def test_rebuild_after_a_vacuum_indexes_every_row(connection: sqlite3.Connection) -> None:
    _file(connection, 1, "楼道灯不亮")
    search_index.catch_up(connection)
    _file(connection, 2, "电梯困人")
    for statement in search_index.REBUILD:
        connection.execute(statement)
    assert _found(connection, "电梯困人") == ["wo_2"]
    assert (
        _mark(connection) == connection.execute("SELECT max(rowid) FROM work_orders").fetchone()[0]
    )
    _in_step(connection)


async def test_the_migration_marks_what_0007_indexed_and_back(
    migrated: Path, tmp_path: Path
) -> None:
    path = tmp_path / "upgraded.db"
    shutil.copy(migrated / "0016.db", path)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        indexed_by_0007 = _file(connection, 1, "厨房水龙头漏水")
        database = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        try:
            await upgrade(database.write_engine)
            assert _mark(connection) == indexed_by_0007
            assert _found(connection, "水龙头") == ["wo_1"]
            _file(connection, 2, "楼道灯不亮")  # above the mark when going back down
            await downgrade(database.write_engine, "0016")
        finally:
            await database.dispose()
        assert _found(connection, "楼道灯") == ["wo_2"]
        _in_step(connection)
        _file(connection, 3, "垃圾没人清理")  # 0007's trigger again: indexed at once
        assert _found(connection, "垃圾") == []  # two characters: no trigram
        assert _found(connection, "没人清理") == ["wo_3"]
    finally:
        connection.close()
