"""`/v1/work-orders`: file, list, read, act on, comment on, and follow a work order.

No `from __future__ import annotations` here: the action endpoints are made by a factory whose body type
is a runtime value, and FastAPI reads endpoint annotations as objects.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel

from workorders.api import V1, presenters
from workorders.api.deps import (
    NewOrderFiler,
    OrderAt,
    ReadContext,
    ReadOrder,
    ReadRows,
    VisibleOrder,
    VisibleOrderForUpdate,
    WriteContext,
    WriteOrder,
)
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import AcceptLanguage, Cursor, IfMatch, Limit
from workorders.api.responses import problems
from workorders.domain.lifecycle import Action, Status
from workorders.domain.taxonomy import Priority, Queue
from workorders.schemas import (
    AssignBody,
    CommentCreate,
    CommentList,
    CommentRead,
    ConfirmBody,
    EventList,
    NoBody,
    ReasonBody,
    ResolveBody,
    RouteBody,
    WorkOrderCreate,
    WorkOrderPage,
    WorkOrderRead,
)
from workorders.schemas.routing import FollowUpCreate
from workorders.schemas.strict import StrictDatetime
from workorders.services import comments, follow_ups, transitions, work_orders
from workorders.services.listing import OrderFilter, Sort, list_orders

router = APIRouter(prefix=f"{V1}/work-orders", tags=["work orders"])


@router.post(
    "",
    status_code=201,
    operation_id="createWorkOrder",
    summary="File a work order; it is routed at once",
    response_model=WorkOrderRead,
    responses=problems(403, 409),
)
async def create_work_order(
    body: WorkOrderCreate,
    filer: NewOrderFiler,
    idempotency_key: IdempotencyKey = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    # The order's session is opened here, not by a dependency FastAPI enters and leaves (`Filer`).
    async with filer.session() as ctx:

        async def create() -> tuple[presenters.OrderBody, str]:
            order = await work_orders.create(ctx, body)
            read = await presenters.work_order(ctx, order, presenters.language(accept_language))
            return read, f"/v1/work-orders/{order.id}"

        return await create_once(
            ctx,
            idempotency_key,
            operation="createWorkOrder",
            body=body,
            create=create,
            extra_headers=presenters.etag,
        )


@router.get(
    "",
    operation_id="listWorkOrders",
    summary="The work orders this caller may see, filtered, newest first by default",
    response_model=WorkOrderPage,
    responses=problems(),
)
async def list_work_orders(
    reading: ReadRows,
    status: Annotated[list[Status] | None, Query()] = None,
    queue: Queue | None = None,
    priority: Priority | None = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    assignee_id: Annotated[str | None, Query(max_length=64)] = None,
    owner_id: Annotated[str | None, Query(max_length=64)] = None,
    created_after: StrictDatetime | None = None,
    created_before: StrictDatetime | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Text search")] = None,
    sort: Sort = Sort.NEWEST,
    limit: Limit = 50,
    cursor: Cursor = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    where = OrderFilter(
        statuses=status or [],
        queue=queue,
        priority=priority,
        category=category,
        assignee_id=assignee_id,
        owner_id=owner_id,
        created_after=created_after,
        created_before=created_before,
        q=q,
    )
    rows, next_cursor = await list_orders(
        reading.ctx, reading.connection, where, sort=sort, limit=limit, cursor=cursor
    )
    lang = presenters.language(accept_language)
    body = presenters.page_of(reading.ctx, rows, next_cursor, reading.people, lang)
    return presenters.reply(body)


@router.get(
    "/{order_id}",
    operation_id="getWorkOrder",
    summary="One work order, with the actions this caller may take on it",
    response_model=WorkOrderRead,
    responses=problems(404),
)
async def get_work_order(found: ReadOrder, accept_language: AcceptLanguage = None) -> Response:
    lang = presenters.language(accept_language)
    read = presenters.work_order_of(found.ctx, found.order, lang, found.people)
    return presenters.reply(read, headers=presenters.etag(found.order))


@router.get(
    "/{order_id}/events",
    operation_id="listWorkOrderEvents",
    summary="The order's timeline, oldest first",
    response_model=EventList,
    responses=problems(404),
)
async def list_work_order_events(order: VisibleOrder, ctx: ReadContext) -> Response:
    timeline = await work_orders.timeline(ctx, order)
    return presenters.reply({"items": [presenters.event(e) for e in timeline]})


@router.post(
    "/{order_id}/comments",
    status_code=201,
    operation_id="createWorkOrderComment",
    summary="Comment on an order (owners see public comments only)",
    response_model=CommentRead,
    responses=problems(403, 404),
)
async def create_work_order_comment(
    order: VisibleOrderForUpdate,
    body: CommentCreate,
    ctx: WriteContext,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> tuple[BaseModel, str]:
        comment = await comments.add(ctx, order, body)
        return presenters.comment(comment), f"/v1/work-orders/{order.id}/comments/{comment.id}"

    return await create_once(
        ctx, idempotency_key, operation=f"comment:{order.id}", body=body, create=create
    )


@router.get(
    "/{order_id}/comments",
    operation_id="listWorkOrderComments",
    summary="The order's comments, oldest first",
    responses=problems(404),
)
async def list_work_order_comments(
    order: VisibleOrder, ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> CommentList:
    rows, next_cursor = await comments.list_for(ctx, order, limit=limit, cursor=cursor)
    return CommentList(items=[presenters.comment(c) for c in rows], next_cursor=next_cursor)


@router.get(
    "/{order_id}/comments/{comment_id}",
    operation_id="getWorkOrderComment",
    summary="One comment of an order",
    responses=problems(404),
)
async def get_work_order_comment(
    order: VisibleOrder,
    ctx: ReadContext,
    comment_id: Annotated[str, Path(max_length=64)],
) -> CommentRead:
    return presenters.comment(await comments.get(ctx, order, comment_id))


@router.post(
    "/{order_id}/follow-ups",
    status_code=201,
    operation_id="createWorkOrderFollowUp",
    summary="Call in another department: a linked order in its queue (`parent_id` = this order)",
    response_model=WorkOrderRead,
    responses=problems(403, 404, 409),
)
async def create_work_order_follow_up(
    order: VisibleOrderForUpdate,
    body: FollowUpCreate,
    ctx: WriteContext,
    idempotency_key: IdempotencyKey = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    async def create() -> tuple[presenters.OrderBody, str]:
        child = await follow_ups.create(ctx, order, body)
        read = await presenters.work_order(ctx, child, presenters.language(accept_language))
        return read, f"/v1/work-orders/{child.id}"

    return await create_once(
        ctx,
        idempotency_key,
        operation=f"follow-up:{order.id}",
        body=body,
        create=create,
        extra_headers=presenters.etag,
    )


@router.get(
    "/{order_id}/follow-ups",
    operation_id="listWorkOrderFollowUps",
    summary="The order's follow-ups in other departments that this caller may see, oldest first",
    response_model=WorkOrderPage,
    responses=problems(404),
)
async def list_work_order_follow_ups(
    order: VisibleOrder,
    ctx: ReadContext,
    limit: Limit = 50,
    cursor: Cursor = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    rows, next_cursor = await follow_ups.list_for(ctx, order, limit=limit, cursor=cursor)
    lang = presenters.language(accept_language)
    return presenters.reply(await presenters.page(ctx, rows, next_cursor, lang))


# --- actions: one operation each, so that generated SDKs get `claimWorkOrder(...)` and friends ---

ACTIONS: dict[Action, tuple[type[BaseModel], str]] = {
    Action.ROUTE: (RouteBody, "Route the order to a queue (clears the assignee)"),
    Action.ASSIGN: (AssignBody, "Assign the order to a staff member of its queue"),
    Action.CLAIM: (NoBody, "Claim a queued order (抢单)"),
    Action.DECLINE: (ReasonBody, "Give an assigned order back to its queue"),
    Action.START: (NoBody, "Start work"),
    Action.HOLD: (ReasonBody, "Put work on hold, with a reason"),
    Action.RESUME: (NoBody, "Resume work on hold"),
    Action.RESOLVE: (ResolveBody, "Mark the work done; the owner confirms"),
    Action.CONFIRM: (ConfirmBody, "Confirm the fix, optionally with a rating"),
    Action.REOPEN: (ReasonBody, "Reopen a resolved or recently closed order"),
    Action.CANCEL: (ReasonBody, "Cancel the order"),
    Action.ESCALATE: (ReasonBody, "Raise the order's escalation level"),
}


def _action_endpoint(
    action: Action, body_model: type[BaseModel]
) -> Callable[..., Awaitable[Response]]:
    async def take(
        found: OrderAt, body: BaseModel | None, if_match: str | None, lang: str | None
    ) -> Response:
        ctx, order = found.ctx, found.order
        params = body.model_dump() if body is not None else {}
        updated = await transitions.act(ctx, order, action, params, if_match=if_match)
        read = await presenters.work_order(ctx, updated, presenters.language(lang))
        # Serialized before the commit: the order's attributes are read while the session is open.
        return presenters.reply(read, headers=presenters.etag(updated))

    if body_model is NoBody:
        # An optional body whose schema is the plain object `NoBody` (not `NoBody | null`): both
        # generators then let the call leave it out, and `{}` still works; unknown fields are 422.
        async def endpoint(
            found: WriteOrder,
            body: Annotated[NoBody, Body()] = None,  # type: ignore[assignment]
            if_match: IfMatch = None,
            accept_language: AcceptLanguage = None,
        ) -> Response:
            return await take(found, body, if_match, accept_language)

    else:

        async def endpoint(  # type: ignore[misc]  # the body's type differs, on purpose
            found: WriteOrder,
            body: Annotated[body_model, Body()],  # type: ignore[valid-type]
            if_match: IfMatch = None,
            accept_language: AcceptLanguage = None,
        ) -> Response:
            return await take(found, body, if_match, accept_language)

    endpoint.__name__ = f"{action}_work_order"
    return endpoint


for _action, (_body, _summary) in ACTIONS.items():
    router.add_api_route(
        f"/{{order_id}}/{_action}",
        _action_endpoint(_action, _body),
        methods=["POST"],
        operation_id=f"{_action}WorkOrder",
        summary=_summary,
        response_model=WorkOrderRead,
        responses=problems(403, 404, 409, 412),
    )
