"""Keyset pagination behind an opaque cursor: stable under concurrent inserts, no OFFSET scans."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, TypeVarTuple

from sqlalchemy import Integer, bindparam, select, tuple_

from workorders.db import UTCDateTime
from workorders.errors import ValidationFailed, _
from workorders.refusals import has_control

_INT64 = (-(2**63), 2**63 - 1)
MAX_TEXT = 200

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy import ColumnElement, FromClause, Select
    from sqlalchemy import Row as SQLRow
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
    from sqlalchemy.orm import InstrumentedAttribute


@dataclass(frozen=True)
class Ordering:
    """A total order over rows: its columns end with a unique one, all in one direction."""

    name: str
    columns: Sequence[InstrumentedAttribute[Any]]
    descending: bool = False

    # Built once per ordering (orderings are module constants): building them for every page was
    # ~5% of a list page's CPU.
    @cached_property
    def keys(self) -> ColumnElement[Any]:
        """The columns as one row value, for the cursor's comparison."""
        return tuple_(*self.columns)

    @cached_property
    def order_by(self) -> tuple[ColumnElement[Any], ...]:
        return self.order_by_of(None)

    def order_by_of(self, rows: FromClause | None) -> tuple[ColumnElement[Any], ...]:
        """The ordering over `rows`' columns of the same names (a subquery or CTE of the table), or
        over the table's own (None)."""
        columns = self.columns if rows is None else [rows.c[c.key] for c in self.columns]
        return tuple(c.desc() if self.descending else c.asc() for c in columns)


def _encode(ordering: Ordering, values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"o": ordering.name, "v": plain}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(ordering: Ordering, cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values = payload["v"]
        if payload["o"] != ordering.name or len(values) != len(ordering.columns):
            raise ValueError("cursor of another ordering")
        decoded = [
            _checked(column, value) for column, value in zip(ordering.columns, values, strict=True)
        ]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed.on(
            "cursor", _("not a cursor this list handed out (or for another sort order)")
        ) from None
    return decoded


def _checked(column: InstrumentedAttribute[Any], value: Any) -> Any:
    """A cursor value of the column's kind and within its range, or ValueError: a forged cursor
    must be a 422 here, not a driver error (a NUL, an integer past 64 bits) in the database."""
    if isinstance(column.type, UTCDateTime):
        if not isinstance(value, str):
            raise ValueError("not a timestamp")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a timestamp without its offset")
        return parsed
    if isinstance(column.type, Integer):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not _INT64[0] <= value <= _INT64[1]
        ):
            raise ValueError("not a 64-bit integer")
        return value
    if not isinstance(value, str) or has_control(value) or len(value) > MAX_TEXT:
        raise ValueError("not an id")
    return value


def position(ordering: Ordering, cursor: str | None) -> list[Any] | None:
    """The values, in `ordering`'s columns, of the row the cursor stands after (None: no cursor)."""
    return None if cursor is None else _decode(ordering, cursor)


Row = TypeVar("Row")
Columns = TypeVarTuple("Columns")


def after(
    query: Select[*Columns],
    ordering: Ordering,
    cursor: str | None,
    *,
    keys: Sequence[ColumnElement[Any]] | None = None,
) -> Select[*Columns]:
    """`query` narrowed to the rows after the cursor (if any) in `ordering`. `keys`: the columns to
    compare, where `query` reads them from another table than the ordering's (of the same kinds)."""
    values = position(ordering, cursor)
    if values is None:
        return query
    bound = tuple_(
        *(bindparam(None, v, type_=c.type) for c, v in zip(ordering.columns, values, strict=True))
    )
    compared = ordering.keys if keys is None else tuple_(*keys)
    return query.where(compared < bound if ordering.descending else compared > bound)


# Where the rows that match are sought among only the first so many of the query's, after the cursor:
# how many, and the condition they must meet, made for the subquery that holds them.
Within = tuple[int, "Callable[[FromClause], ColumnElement[bool]]"]


def _page_query(
    query: Select[Any],
    ordering: Ordering,
    *,
    limit: int,
    cursor: str | None,
    key: ColumnElement[Any] | None = None,
    fenced: bool = False,
    within: Within | None = None,
) -> Select[Any]:
    """`query` after the cursor (if any), in `ordering`, with one row more than a page.

    With `key` (a unique column of the one table `query` reads), the page's keys are found and
    sorted alone, then its rows read by them: a sort carries every selected column of every row it
    is given, and where many rows are sorted to keep a page that is most of the work. `fenced`: the
    keys and ordering columns of every row are collected first, in a CTE that PostgreSQL
    materializes, so that it cannot walk the ordering's index instead of the indexes that find
    them (SQLite, told `NOT INDEXED`, paid 20-60% more for the CTE: bench/RESULTS.md, round 26).

    With `within`, the rows of `query` are the first `within[0]` only, and a page is those among
    them that meet `within[1]`: a walk that stops, however far the matches are."""
    query = after(query, ordering, cursor)
    if within is not None:
        count, matching = within
        first = query.order_by(*ordering.order_by).limit(count).subquery("first_rows")
        return (
            select(first)
            .where(matching(first))
            .order_by(*ordering.order_by_of(first))
            .limit(limit + 1)
        )
    page = query.order_by(*ordering.order_by).limit(limit + 1)
    if key is None:
        return page
    # The inner query reads the same table as the outer one: not correlated, it reads it anew.
    found = page.with_only_columns(key).correlate(None)
    if fenced:
        name = str(key.key)
        collected = [c for c in ordering.columns if c.key != name]
        matches = (
            query.with_only_columns(key, *collected).cte("matches").prefix_with("MATERIALIZED")
        )
        found = select(matches.c[name]).order_by(*ordering.order_by_of(matches)).limit(limit + 1)
    return select(*query.selected_columns).where(key.in_(found)).order_by(*ordering.order_by)


def _cut(rows: list[Row], ordering: Ordering, limit: int) -> tuple[list[Row], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode(ordering, [getattr(last, c.key) for c in ordering.columns])


async def fetch_page(
    session: AsyncSession,
    query: Select[Row],
    ordering: Ordering,
    *,
    limit: int,
    cursor: str | None,
    params: Mapping[str, Any] | None = None,
) -> tuple[list[Row], str | None]:
    """One page of `query`'s entities (run with its bound `params`) in `ordering`, and the cursor
    of the next page (None at the end)."""
    page = _page_query(query, ordering, limit=limit, cursor=cursor)
    rows = list((await session.execute(page, params)).scalars())
    return _cut(rows, ordering, limit)


async def fetch_rows(
    reader: AsyncSession | AsyncConnection,
    query: Select[Any],
    ordering: Ordering,
    *,
    limit: int,
    cursor: str | None,
    params: Mapping[str, Any] | None = None,
    key: ColumnElement[Any] | None = None,
    fenced: bool = False,
    within: Within | None = None,
) -> tuple[list[SQLRow[Any]], str | None]:
    """`fetch_page` of a query of columns: its rows as they are (their keys name the ordering's
    columns), not ORM instances. `key`, `fenced`, `within`: see `_page_query`."""
    page = _page_query(
        query, ordering, limit=limit, cursor=cursor, key=key, fenced=fenced, within=within
    )
    rows = list((await reader.execute(page, params)).all())
    return _cut(rows, ordering, limit)
