"""`/v1/events`: the event feed, as pages and as a live Server-Sent Events stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from workorders.api import V1, presenters
from workorders.api.deps import ReadContext
from workorders.api.params import Limit
from workorders.api.responses import problems
from workorders.api.stream_tickets import StreamPrincipal
from workorders.domain.actors import Role
from workorders.refusals import refuse_control_characters
from workorders.schemas.events import EventPage
from workorders.services import fanout, feed, owner_view

if TYPE_CHECKING:
    from workorders.services.feed import EventRow

router = APIRouter(prefix=f"{V1}/events", tags=["events"])


# The live stream also opens with a single-use ticket (pages' EventSource cannot send a header), so
# it is mounted beside the `/v1` router whose every route requires a bearer token; its own
# dependencies do the same checks: who is asking (ticket or bearer), then no control characters.
async def _checked_stream_request(request: Request, _principal: StreamPrincipal) -> None:
    # As `deps.checked_request`: 401 before 422. FastAPI runs StreamPrincipal once per request, so
    # the endpoint's own use of it does not redeem the ticket a second time.
    await refuse_control_characters(request)


stream_router = APIRouter(
    prefix=f"{V1}/events", tags=["events"], dependencies=[Depends(_checked_stream_request)]
)

After = Annotated[
    str | None, Query(max_length=128, description="`next_cursor` of the last page (or an SSE id)")
]
Types = Annotated[
    list[str] | None,
    Query(alias="type", max_length=64, description="Event types (repeatable); `work_order.*` too"),
]
WorkOrderId = Annotated[str | None, Query(max_length=64)]


@router.get(
    "",
    operation_id="listEvents",
    summary="The events of the orders this caller may see, oldest first, from a cursor",
    response_model=EventPage,
    responses=problems(),
)
async def list_events(
    ctx: ReadContext,
    after: After = None,
    types: Types = None,
    work_order_id: WorkOrderId = None,
    limit: Limit = 50,
) -> Response:
    rows, next_cursor = await feed.list_for(
        ctx, after=after, types=types or [], work_order_id=work_order_id, limit=limit
    )
    return presenters.reply(
        {"items": [presenters.event(row) for row in rows], "next_cursor": next_cursor}
    )


async def _stream_start(
    after: After = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=128, include_in_schema=True)
    ] = None,
) -> feed.Position | None:
    """Where the stream starts, settled before it opens (a bad cursor is a 422, not a broken
    stream): after `Last-Event-ID` or `after`, else (None) at the events committed from now on."""
    cursor = last_event_id or after
    if cursor:
        return feed.Position.decode(cursor, "Last-Event-ID" if last_event_id else "after")
    return None


class EventStream(StreamingResponse):
    """Server-Sent Events written straight to the connection: one write per batch the follower hands
    over. (FastAPI's generator streams validated a `ServerSentEvent` per event and passed it through two
    tasks and two memory streams; with 50 streams open that was most of what an event cost.)"""

    media_type = "text/event-stream"


KEEP_ALIVE = format_sse_event(comment="keep-alive")


@stream_router.get(
    "/stream",
    operation_id="streamEvents",
    summary="The same events as Server-Sent Events, as they commit (heartbeat `: keep-alive`)",
    response_class=EventStream,
    responses=problems(),
)
async def stream_events(
    request: Request,
    principal: StreamPrincipal,
    start: Annotated[feed.Position | None, Depends(_stream_start)],
    types: Types = None,
    work_order_id: WorkOrderId = None,
) -> EventStream:
    state = request.app.state
    follower = state.follower
    batches = fanout.stream(
        state.db,
        follower,
        fanout.Interest(principal, types=tuple(types or ()), work_order_id=work_order_id),
        start=start if start is not None else await follower.now(),
    )
    # No proxy may hold events back to fill a buffer.
    return EventStream(
        _wire(batches, for_owner=principal.role is Role.OWNER),
        headers={"X-Accel-Buffering": "no"},
    )


async def _wire(
    batches: AsyncIterator[fanout.Batch | None], *, for_owner: bool
) -> AsyncIterator[bytes]:
    async for batch in batches:
        if batch is None:
            yield KEEP_ALIVE
            continue
        # The follower hands the same batch to every stream of one interest: rendered by the first.
        written = batch.written.get(for_owner)
        if written is None:
            frames = (_frame(batch, event, for_owner) for event in batch.events)
            written = batch.written[for_owner] = b"".join(frames)
        yield written


def _frame(batch: fanout.Batch, event: EventRow, for_owner: bool) -> bytes:
    """An event on the wire (`event`, `data`, `id`), rendered once per audience for every batch of
    the follower's round that holds it (`batch.frames`): owners get the owner's copy (the follower
    already left out what owners never see). Written as `format_sse_event` writes it, without its
    splitting of lines (2.8 µs an event): JSON from `presenters.dumps` has none, nor has an event
    type."""
    key = (event.id, for_owner)
    frame = batch.frames.get(key)
    if frame is None:
        shown = owner_view.owner_copy(event) if for_owner else event
        data = presenters.dumps(presenters.event(shown)) if shown is not None else b"{}"
        position = feed.position_of(event).encode().encode()
        frame = b"event: %s\ndata: %s\nid: %s\n\n" % (event.type.encode(), data, position)
        batch.frames[key] = frame
    return frame
