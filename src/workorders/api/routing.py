"""`/v1/routing-rules`, `/v1/routing/preview`, and each queue's dispatch and working list.

The rule reads take a writing transaction: a property's default rules are written the first time
anyone needs them, and listing them may be that first time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from workorders.api import presenters
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, IfMatch, Limit
from workorders.api.responses import problems
from workorders.domain.lifecycle import OPEN_STATUSES
from workorders.domain.taxonomy import Queue
from workorders.models import QueueDispatch, RoutingRule
from workorders.schemas import WorkOrderPage
from workorders.schemas.routing import (
    QueueDispatchList,
    QueueDispatchRead,
    QueueDispatchUpdate,
    RoutingPreview,
    RoutingPreviewBody,
    RoutingRuleCreate,
    RoutingRulePage,
    RoutingRuleRead,
    RoutingRuleUpdate,
)
from workorders.services import dispatch, routing_preview, routing_rules
from workorders.services.listing import OrderFilter, Sort, list_orders

router = APIRouter()

RuleId = Annotated[str, Path(max_length=64)]


def _rule(row: RoutingRule) -> RoutingRuleRead:
    return RoutingRuleRead.model_validate(row, from_attributes=True)


def _etag(rule: RoutingRuleRead) -> dict[str, str]:
    return {"ETag": f'"{rule.version}"'}


@router.get(
    "/routing-rules",
    tags=["routing"],
    operation_id="listRoutingRules",
    summary="The property's routing rules in the order they are tried (first match wins)",
    responses=problems(403),
)
async def list_routing_rules(
    ctx: WriteContext, limit: Limit = 50, cursor: Cursor = None
) -> RoutingRulePage:
    rows, next_cursor = await routing_rules.list_rules(ctx, limit=limit, cursor=cursor)
    return RoutingRulePage(items=[_rule(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/routing-rules",
    tags=["routing"],
    status_code=201,
    operation_id="createRoutingRule",
    summary="Add a rule (at `position`, or last); it applies to the next order",
    response_model=RoutingRuleRead,
    responses=problems(403, 409),
)
async def create_routing_rule(
    body: RoutingRuleCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[RoutingRuleRead, str]:
        rule = _rule(await routing_rules.create_rule(ctx, body))
        return rule, f"/v1/routing-rules/{rule.id}"

    return await create_once(
        ctx,
        idempotency_key,
        operation="createRoutingRule",
        body=body,
        create=create,
        extra_headers=_etag,  # type: ignore[arg-type]
    )


@router.get(
    "/routing-rules/{rule_id}",
    tags=["routing"],
    operation_id="getRoutingRule",
    responses=problems(403, 404),
)
async def get_routing_rule(
    rule_id: RuleId, ctx: WriteContext, response: Response
) -> RoutingRuleRead:
    rule = _rule(await routing_rules.get_rule(ctx, rule_id))
    response.headers.update(_etag(rule))
    return rule


@router.patch(
    "/routing-rules/{rule_id}",
    tags=["routing"],
    operation_id="updateRoutingRule",
    summary="Change, enable, disable or move a rule; every change is an event",
    responses=problems(403, 404, 412),
)
async def update_routing_rule(
    rule_id: RuleId,
    body: RoutingRuleUpdate,
    ctx: WriteContext,
    response: Response,
    if_match: IfMatch = None,
) -> RoutingRuleRead:
    rule = await routing_rules.get_rule(ctx, rule_id)
    updated = _rule(await routing_rules.update_rule(ctx, rule, body, if_match=if_match))
    response.headers.update(_etag(updated))
    return updated


@router.delete(
    "/routing-rules/{rule_id}",
    tags=["routing"],
    status_code=204,
    operation_id="deleteRoutingRule",
    responses=problems(403, 404, 412),
)
async def delete_routing_rule(
    rule_id: RuleId, ctx: WriteContext, if_match: IfMatch = None
) -> Response:
    rule = await routing_rules.get_rule(ctx, rule_id)
    await routing_rules.delete_rule(ctx, rule, if_match=if_match)
    return Response(status_code=204)


@router.post(
    "/routing/preview",
    tags=["routing"],
    operation_id="previewRouting",
    summary="Where the property's rules would send a draft order, and why; nothing is stored",
    responses=problems(403),
)
async def preview_routing(body: RoutingPreviewBody, ctx: WriteContext) -> RoutingPreview:
    return await routing_preview.preview(ctx, body)


# --- queues --------------------------------------------------------------------------------------


def _dispatch(row: QueueDispatch) -> QueueDispatchRead:
    return QueueDispatchRead(
        queue=row.queue, strategy=row.strategy, last_assignee_id=row.last_assignee_id
    )


@router.get(
    "/queues/dispatch",
    tags=["queues"],
    operation_id="listQueueDispatch",
    summary="How each queue hands out its orders (manual, claim, round_robin, least_loaded)",
    responses=problems(403),
)
async def list_queue_dispatch(ctx: ReadContext) -> QueueDispatchList:
    return QueueDispatchList(items=[_dispatch(r) for r in await dispatch.queue_settings(ctx)])


@router.put(
    "/queues/{queue}/dispatch",
    tags=["queues"],
    operation_id="setQueueDispatch",
    summary="Set how a queue hands out orders that enter it from now on",
    responses=problems(403),
)
async def set_queue_dispatch(
    queue: Queue, body: QueueDispatchUpdate, ctx: WriteContext
) -> QueueDispatchRead:
    return _dispatch(await dispatch.set_queue_strategy(ctx, queue, body.strategy))


@router.get(
    "/queues/{queue}/work-orders",
    tags=["queues"],
    operation_id="listQueueWorkOrders",
    summary="A queue's open orders in working order: most pressing first, then the longest waiting",
    responses=problems(),
)
async def list_queue_work_orders(
    queue: Queue, ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> WorkOrderPage:
    where = OrderFilter(statuses=sorted(OPEN_STATUSES), queue=queue)
    rows, next_cursor = await list_orders(
        ctx, where, sort=Sort.PRIORITY, limit=limit, cursor=cursor
    )
    return WorkOrderPage(
        items=[presenters.work_order(ctx, row) for row in rows], next_cursor=next_cursor
    )
