"""`POST /v1/stream-tickets`, and the "ticket or bearer" principal of the live stream."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from workorders.api import V1
from workorders.api.deps import WriteContext, _bearer, get_principal
from workorders.api.responses import problems
from workorders.db import transaction
from workorders.domain.actors import Principal
from workorders.services import principals, stream_tickets

router = APIRouter(prefix=V1, tags=["events"])


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
    second use fails even while the first stream is still open) or else from the bearer header.
    Either way the directory bears the person out: one deactivated since the ticket was issued is
    refused like a token would be."""
    state = request.app.state
    if ticket is None:
        return await get_principal(request, credentials)
    async with transaction(state.db.request_writer) as session:
        claimed = await stream_tickets.redeem(session, ticket, state.clock.now())
        return await principals.resolve(session, claimed)


StreamPrincipal = Annotated[Principal, Depends(ticket_or_bearer)]
