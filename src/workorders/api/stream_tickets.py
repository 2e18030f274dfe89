"""`POST /v1/stream-tickets`, and the "ticket or bearer" principal of the live stream."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from workorders.api.deps import WriteContext, _bearer
from workorders.api.responses import problems
from workorders.auth import decode_token
from workorders.domain.actors import Principal
from workorders.errors import Unauthorized
from workorders.services import stream_tickets

router = APIRouter(tags=["events"])


class StreamTicketRead(BaseModel):
    ticket: str
    expires_at: datetime


@router.post(
    "/stream-tickets",
    status_code=201,
    operation_id="createStreamTicket",
    summary="A single-use ticket, valid 60 s, to open `/v1/events/stream?ticket=` without a header",
    responses=problems(),
)
async def create_stream_ticket(ctx: WriteContext) -> StreamTicketRead:
    ticket, expires_at = await stream_tickets.issue(ctx)
    return StreamTicketRead(ticket=ticket, expires_at=expires_at)


async def ticket_or_bearer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None,
        Query(
            max_length=128,
            description="A ticket from `POST /v1/stream-tickets` (never a bearer token)",
        ),
    ] = None,
) -> Principal:
    """The stream's caller: from a ticket (used up here, in its own committed transaction, so a
    second use fails even while the first stream is still open) or else from the bearer header."""
    state = request.app.state
    if ticket is not None:
        async with state.db.writer() as session, session.begin():
            return await stream_tickets.redeem(session, ticket, state.clock.now())
    if credentials is None:
        raise Unauthorized(
            "send Authorization: Bearer <token>, or ?ticket= from /v1/stream-tickets"
        )
    return decode_token(credentials.credentials, state.settings)


StreamPrincipal = Annotated[Principal, Depends(ticket_or_bearer)]
