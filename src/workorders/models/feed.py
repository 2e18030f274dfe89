"""Following the events table: the writer's transaction id on each event, and the consumers' positions.

On PostgreSQL, `events.seq` values commit out of order. Each event also records the id of the transaction
that wrote it (`txid`), and readers only pass events whose transaction is older than every transaction
still in flight; so a reader ordered by `(txid, seq)` never skips a row that commits later. On SQLite,
writers are serialised: `seq` order is commit order and `txid` stays NULL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import FunctionElement

from workorders.db import Base, UTCDateTime, utcnow


class current_txid(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it stands for
    """The writing transaction's id as a bigint on PostgreSQL; NULL elsewhere."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_txid)
def _current_txid_default(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "NULL"


@compiles(current_txid, "postgresql")
def _current_txid_postgresql(_element: Any, _compiler: Any, **_kw: Any) -> str:
    return "(pg_current_xact_id()::text::bigint)"


class FeedConsumer(Base):
    """Where a background reader of the feed (webhook fan-out, notifier) has got to."""

    __tablename__ = "feed_consumers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
