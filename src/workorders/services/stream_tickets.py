"""Stream tickets: a page trades its bearer token for a single-use, 60-second pass to the live stream.

`EventSource` cannot send an `Authorization` header, and a bearer token in a URL ends up in logs and
histories; a ticket that is gone after one use and a minute is harmless there. Tickets live in the
database so that any replica can honour one, and are consumed with one `DELETE … RETURNING`: of two
requests racing with the same ticket exactly one gets a row back.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import Department
from workorders.errors import Unauthorized, _
from workorders.models.desk import StreamTicket

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.services.context import Context

TICKET_TTL = timedelta(seconds=60)
# Longer than any JWT so that a bearer token pasted as a ticket is simply an unknown ticket.
_PREFIX = "stk_"


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue(ctx: Context) -> tuple[str, datetime]:
    """A new ticket for the caller's principal, and when it expires. Expired tickets are swept here."""
    await ctx.session.execute(delete(StreamTicket).where(StreamTicket.expires_at <= ctx.now))
    ticket = _PREFIX + secrets.token_urlsafe(32)
    principal = ctx.principal
    expires_at = ctx.now + TICKET_TTL
    ctx.session.add(
        StreamTicket(
            id=_digest(ticket),
            property_id=principal.property_id,
            role=str(principal.role),
            sub=principal.sub,
            dept=str(principal.dept) if principal.dept else None,
            created_at=ctx.now,
            expires_at=expires_at,
        )
    )
    await ctx.session.flush()
    return ticket, expires_at


async def redeem(session: AsyncSession, ticket: str, now: datetime) -> Principal:
    """The principal the ticket was issued to; the ticket is used up. Unknown, used or expired: 401."""
    result = await session.execute(
        delete(StreamTicket)
        .where(StreamTicket.id == _digest(ticket), StreamTicket.expires_at > now)
        .returning(StreamTicket.property_id, StreamTicket.role, StreamTicket.sub, StreamTicket.dept)
    )
    row = result.first()
    if row is None:
        raise Unauthorized(_("the stream ticket is unknown, used or expired: ask for a new one"))
    return Principal(
        role=Role(row.role),
        property_id=row.property_id,
        sub=row.sub,
        dept=Department(row.dept) if row.dept else None,
    )
