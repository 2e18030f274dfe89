"""Idempotency-Key: the same create sent again returns the stored answer and creates nothing.

Everything happens inside the request's own transaction, so a request that fails leaves no reservation
behind. On PostgreSQL a transaction-scoped advisory lock on the key tells a concurrent duplicate that
the first is still running (409); on SQLite, writers are serialised, so a duplicate simply finds the
stored answer once the first has committed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, delete, select, text

from workorders.errors import IdempotencyInProgress, IdempotencyKeyReused, ValidationFailed, _
from workorders.models import IdempotencyKey

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.actors import Principal
    from workorders.services.context import Context

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


def _principal_key(principal: Principal, scope: str) -> str:
    return f"{principal.property_id}|{principal.role}|{principal.sub or '-'}|{scope}"


def request_hash(body: Any) -> str:
    """The same JSON value hashes the same, whatever its key order or spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_id(principal_key: str, key: str) -> int:
    digest = hashlib.sha256(f"{principal_key}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass
class Reservation:
    row: IdempotencyKey

    def remember(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        """Store the answer; it commits with the resource it describes."""
        self.row.response_status = status
        self.row.response_body = body
        self.row.response_headers = headers


async def reserve(ctx: Context, key: str, scope: str, body: Any) -> StoredResponse | Reservation:
    """The stored answer for a repeated request, or a reservation to fill in for a new one."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.on(
            "Idempotency-Key",
            _("must be 1 to {most} printable characters", most=MAX_KEY_LENGTH),
        )
    session = ctx.session
    principal_key = _principal_key(ctx.principal, scope)
    if session.get_bind().dialect.name == "postgresql":
        locked = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _lock_id(principal_key, key)}
        )
        if not locked:
            raise IdempotencyInProgress(
                _("a request with Idempotency-Key {key} is still running", key=key)
            )
    digest = request_hash(body)
    row = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.principal == principal_key, IdempotencyKey.key == key
        )
    )
    if row is not None and row.expires_at <= ctx.now:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id))
        row = None
    if row is not None:
        if row.request_hash != digest:
            raise IdempotencyKeyReused(
                _("Idempotency-Key {key} was used with a different request body", key=key)
            )
        if row.response_status is None:  # only possible if a reservation was committed unfilled
            raise IdempotencyInProgress(
                _("a request with Idempotency-Key {key} is still running", key=key)
            )
        return StoredResponse(
            row.response_status, row.response_body or {}, row.response_headers or {}
        )
    row = IdempotencyKey(
        principal=principal_key,
        key=key,
        request_hash=digest,
        created_at=ctx.now,
        expires_at=ctx.now + ctx.settings.idempotency_ttl,
    )
    session.add(row)
    await session.flush()
    return Reservation(row)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Forget keys past their time to live (API.md keeps them at least 24 h)."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return cast("CursorResult[Any]", result).rowcount or 0
