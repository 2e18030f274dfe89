"""SQLite's search indexes written behind the filing (`workorders.search_index`, migrations 0017 and
0019): the rows up to the mark are in the indexes, `catch_up` indexes the rest, the triggers keep
the trigram index in step for the rows it holds and note the rows whose grams are pending. FTS5's
own `integrity-check` compares the trigram index with the table."""

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
from workorders.schemas.core import WorkOrderCreate


@pytest.fixture(scope="module")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SQLite files migrated to 0016, to 0018 and to the head, made once for the module."""
    folder = tmp_path_factory.mktemp("search")
    for revision in ("0016", "0018", "heads"):
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


def _grams(connection: sqlite3.Connection, q: str) -> list[str]:
    """The orders the grams table holds for `q` (one or two characters), by old documents too."""
    rows = connection.execute(
        f"SELECT work_orders.id FROM {search_index.GRAMS} JOIN work_orders "
        f"ON work_orders.rowid = {search_index.GRAMS}.rowid "
        f"WHERE {search_index.GRAMS} MATCH ? ORDER BY work_orders.rowid",
        (f'"{search_index.gram(q)}"',),
    )
    return [id_ for (id_,) in rows]


def _pending(connection: sqlite3.Connection) -> list[int]:
    return [rowid for (rowid,) in connection.execute(f"SELECT * FROM {search_index.PENDING}")]


def _mark(connection: sqlite3.Connection) -> int:
    (mark,) = connection.execute(f"SELECT indexed_to FROM {search_index.MARK}").fetchone()
    return int(mark)


def _in_step(connection: sqlite3.Connection, *, grams: bool = True) -> None:
    """FTS5 raises SQLITE_CORRUPT_VTAB when its index and its content table disagree, and the grams
    table (contentless: its own structure only) when it is not whole. Every order up to the mark
    that is still there has a document in the grams table, and none above it has one."""
    connection.execute(
        "INSERT INTO work_orders_search(work_orders_search) VALUES ('integrity-check')"
    )
    if not grams:  # before migration 0019
        return
    connection.execute(
        f"INSERT INTO {search_index.GRAMS}({search_index.GRAMS}) VALUES ('integrity-check')"
    )
    documents = {
        rowid for (rowid,) in connection.execute(f"SELECT rowid FROM {search_index.GRAMS}")
    }
    orders = {rowid for (rowid,) in connection.execute("SELECT rowid FROM work_orders")}
    assert documents & orders == {rowid for rowid in orders if rowid <= _mark(connection)}


def test_new_orders_wait_above_the_mark_until_caught_up(connection: sqlite3.Connection) -> None:
    first = _file(connection, 1, "厨房水龙头漏水")
    _file(connection, 2, "楼道灯不亮")
    assert _found(connection, "水龙头") == []
    assert _grams(connection, "漏水") == []
    assert _mark(connection) == first - 1

    assert search_index.catch_up(connection) == 2
    assert _found(connection, "水龙头") == ["wo_1"]
    assert _found(connection, "0002") == ["wo_2"]  # the number is searched too
    assert _grams(connection, "漏水") == ["wo_1"]
    assert _grams(connection, "亮") == ["wo_2"]  # a text's last character
    assert _grams(connection, "wO") == _grams(connection, "o-") == ["wo_1", "wo_2"]
    assert _grams(connection, "，请") == ["wo_1", "wo_2"]  # punctuation is a character too
    assert _grams(connection, "水灯") == []  # not neighbours: two texts
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
    # The new text of an indexed row waits for the next catch-up, and its old document stays.
    assert _grams(connection, "停运") == []
    assert _pending(connection) == [1]

    connection.execute("DELETE FROM work_orders WHERE id = 'wo_2'")  # nothing to delete either
    search_index.catch_up(connection)
    assert _grams(connection, "停运") == _grams(connection, "困人") == ["wo_1"]
    assert _pending(connection) == []
    _in_step(connection)
    connection.execute("UPDATE work_orders SET title = '电梯又坏了' WHERE id = 'wo_1'")
    connection.execute("DELETE FROM work_orders WHERE id = 'wo_1'")
    assert _found(connection, "电梯") == []
    assert _grams(connection, "电梯") == []  # its documents stay, naming no order
    search_index.catch_up(connection)
    assert _pending(connection) == []  # nothing to add for a deleted order
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
    assert _grams(connection, "噪音") == []
    assert _grams(connection, "停车") == ["wo_3"]  # the old document, under the rowid given again
    assert _pending(connection) == [last]
    search_index.catch_up(connection)
    assert _grams(connection, "噪音") == ["wo_3"]
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
    assert _grams(connection, "漏水") == []
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
    connection.execute("UPDATE work_orders SET description = '坏了' WHERE id = 'wo_1'")
    assert _pending(connection) == [1]
    assert search_index.rebuild(connection) == 2
    assert not connection.in_transaction
    assert _found(connection, "电梯困人") == ["wo_2"]
    assert _grams(connection, "困") == ["wo_2"]
    assert _grams(connection, "坏") == ["wo_1"]
    assert _grams(connection, "尽快") == ["wo_2"]  # wo_1's old document is gone
    assert _pending(connection) == []
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
        _in_step(connection, grams=False)
        _file(connection, 3, "垃圾没人清理")  # 0007's trigger again: indexed at once
        assert _found(connection, "垃圾") == []  # two characters: no trigram
        assert _found(connection, "没人清理") == ["wo_3"]
    finally:
        connection.close()


async def test_the_grams_migration_indexes_the_rows_up_to_the_mark_and_back(
    migrated: Path, tmp_path: Path
) -> None:
    path = tmp_path / "upgraded.db"
    shutil.copy(migrated / "0018.db", path)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        _file(connection, 1, "厨房水龙头漏水")
        search_index.catch_up(connection)  # 0018's: the trigram table alone
        _file(connection, 2, "楼道灯不亮")  # above the mark
        database = Database(Settings(database_url=f"sqlite+aiosqlite:///{path}"))
        try:
            await upgrade(database.write_engine)
            assert _grams(connection, "漏水") == ["wo_1"]
            assert _grams(connection, "灯") == []
            _in_step(connection)
            search_index.catch_up(connection)
            assert _grams(connection, "灯") == ["wo_2"]
            _in_step(connection)
            await downgrade(database.write_engine, "0018")
        finally:
            await database.dispose()
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        assert not {name for name in tables if "gram" in name}
        _file(connection, 3, "垃圾没人清理")  # 0018's triggers and catch-up work as they did
        search_index.catch_up(connection)
        assert _found(connection, "没人清理") == ["wo_3"]
        _in_step(connection, grams=False)
    finally:
        connection.close()


def test_grams_are_taken_whole_from_the_longest_description(
    connection: sqlite3.Connection,
) -> None:
    """The API takes descriptions of up to 2,000 characters: the last two are indexed too, and the
    document of one costs about a millisecond (not the square of its length)."""
    longest = WorkOrderCreate.model_fields["description"].metadata
    limit = next(rule.max_length for rule in longest if hasattr(rule, "max_length"))
    _file(connection, 1, "电梯困人")
    connection.execute(
        "UPDATE work_orders SET description = ? WHERE id = 'wo_1'", ("啊" * (limit - 2) + "鑫淼",)
    )
    search_index.catch_up(connection)
    assert _grams(connection, "鑫淼") == _grams(connection, "淼") == ["wo_1"]
    _in_step(connection)


def test_a_gram_is_one_or_two_characters() -> None:
    assert search_index.gram("A") == "u61"
    assert search_index.gram("漏水") == "b" + "漏水".encode().hex()
    for q in ("", "abc"):
        with pytest.raises(ValueError, match="one or two"):
            search_index.gram(q)
