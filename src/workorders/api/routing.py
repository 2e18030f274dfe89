"""`/v1/routing-rules`, `/v1/routing/…` (preview, examples, models, backtest), and each queue's
dispatch and working list.

Reads (the rules, the preview, the examples, the models, the backtest) run in read transactions:
nothing of routing is written on their behalf.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from workorders.api import V1, presenters
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, IfMatch, Limit
from workorders.api.responses import problems
from workorders.domain.lifecycle import OPEN_STATUSES
from workorders.domain.taxonomy import Queue
from workorders.models import QueueDispatch, RoutingRule
from workorders.schemas import WorkOrderPage
from workorders.schemas.routing import (
    BacktestBody,
    BacktestResult,
    QueueDispatchList,
    QueueDispatchRead,
    QueueDispatchUpdate,
    RoutingExamplePage,
    RoutingExampleRead,
    RoutingModelPage,
    RoutingModelRead,
    RoutingPreview,
    RoutingPreviewBody,
    RoutingRuleCreate,
    RoutingRulePage,
    RoutingRuleRead,
    RoutingRuleUpdate,
)
from workorders.services import (
    dispatch,
    routing_backtest,
    routing_examples,
    routing_models,
    routing_preview,
    routing_rules,
)
from workorders.services.listing import OrderFilter, Sort, list_orders
from workorders.services.pagination import Ordering
from workorders.services.pagination import _decode as decode_cursor
from workorders.services.pagination import _encode as encode_cursor

router = APIRouter(prefix=V1)

RuleId = Annotated[str, Path(max_length=64)]


RULE_POSITION = Ordering("rule-position", (RoutingRule.position,))
ModelVersion = Annotated[str, Path(max_length=100)]


def _rule(rule: routing_rules.EffectiveRule) -> RoutingRuleRead:
    return RoutingRuleRead.model_validate(rule, from_attributes=True)


@router.get(
    "/routing-rules",
    tags=["routing"],
    operation_id="listRoutingRules",
    summary="The property's rules in the order they are tried (first match wins): the defaults "
    "(with the property's edits) and the property's own",
    responses=problems(403),
)
async def list_routing_rules(
    ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> RoutingRulePage:
    rules = await routing_rules.list_rules(ctx)
    start = decode_cursor(RULE_POSITION, cursor)[0] + 1 if cursor is not None else 0
    page = rules[start : start + limit]
    more = start + limit < len(rules)
    next_cursor = encode_cursor(RULE_POSITION, [page[-1].position]) if more and page else None
    return RoutingRulePage(items=[_rule(r) for r in page], next_cursor=next_cursor)


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
        extra_headers=presenters.etag,
    )


@router.get(
    "/routing-rules/{rule_id}",
    tags=["routing"],
    operation_id="getRoutingRule",
    responses=problems(403, 404),
)
async def get_routing_rule(
    rule_id: RuleId, ctx: ReadContext, response: Response
) -> RoutingRuleRead:
    rule = _rule(await routing_rules.get_rule(ctx, rule_id))
    response.headers.update(presenters.etag(rule))
    return rule


@router.patch(
    "/routing-rules/{rule_id}",
    tags=["routing"],
    operation_id="updateRoutingRule",
    summary="Change, enable, disable or move a rule (a default is overridden, never moved); every "
    "change is an event",
    responses=problems(403, 404, 412),
)
async def update_routing_rule(
    rule_id: RuleId,
    body: RoutingRuleUpdate,
    ctx: WriteContext,
    response: Response,
    if_match: IfMatch = None,
) -> RoutingRuleRead:
    updated = _rule(await routing_rules.update_rule(ctx, rule_id, body, if_match=if_match))
    response.headers.update(presenters.etag(updated))
    return updated


@router.delete(
    "/routing-rules/{rule_id}",
    tags=["routing"],
    status_code=204,
    operation_id="deleteRoutingRule",
    summary="Delete an own rule; for a default, remove the property's edit (restoring the default) "
    "or, when it has none, disable it",
    responses=problems(403, 404, 412),
)
async def delete_routing_rule(
    rule_id: RuleId, ctx: WriteContext, if_match: IfMatch = None
) -> Response:
    await routing_rules.delete_rule(ctx, rule_id, if_match=if_match)
    return Response(status_code=204)


@router.post(
    "/routing/preview",
    tags=["routing"],
    operation_id="previewRouting",
    summary="Where the property's rules and model would send a draft order, and why; nothing is "
    "stored",
    responses=problems(403),
)
async def preview_routing(body: RoutingPreviewBody, ctx: ReadContext) -> RoutingPreview:
    return await routing_preview.preview(ctx, body)


@router.get(
    "/routing/examples",
    tags=["routing"],
    operation_id="listRoutingExamples",
    summary="What customer service taught the router (routing from triage, transfers), newest first",
    responses=problems(403),
)
async def list_routing_examples(
    ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> RoutingExamplePage:
    rows, next_cursor = await routing_examples.list_examples(ctx, limit=limit, cursor=cursor)
    return RoutingExamplePage(
        items=[RoutingExampleRead.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


@router.get(
    "/routing/models",
    tags=["routing"],
    operation_id="listRoutingModels",
    summary="The property's model versions with their evaluation figures (the package's default "
    "first)",
    responses=problems(403),
)
async def list_routing_models(
    ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> RoutingModelPage:
    entries, next_cursor = await routing_models.list_models(ctx, limit=limit, cursor=cursor)
    return RoutingModelPage(
        items=[RoutingModelRead.model_validate(e, from_attributes=True) for e in entries],
        next_cursor=next_cursor,
    )


@router.post(
    "/routing/models/{version}/activate",
    tags=["routing"],
    operation_id="activateRoutingModel",
    summary="Route with this model version from the next order on (also rolls back; the "
    "package's version returns to the default)",
    responses=problems(403, 404),
)
async def activate_routing_model(version: ModelVersion, ctx: WriteContext) -> RoutingModelRead:
    entry = await routing_models.activate(ctx, version)
    return RoutingModelRead.model_validate(entry, from_attributes=True)


@router.post(
    "/routing/backtest",
    tags=["routing"],
    operation_id="backtestRouting",
    summary="Replay the property's recent orders (at most 5,000) through proposed rules or a model "
    "version: how many would move and where; nothing is stored",
    responses=problems(403),
)
async def backtest_routing(body: BacktestBody, ctx: ReadContext) -> BacktestResult:
    result = await routing_backtest.backtest(ctx, body)
    return BacktestResult.model_validate(result, from_attributes=True)


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
    response_model=WorkOrderPage,
    responses=problems(),
)
async def list_queue_work_orders(
    queue: Queue, ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> Response:
    where = OrderFilter(statuses=sorted(OPEN_STATUSES), queue=queue)
    rows, next_cursor = await list_orders(
        ctx, ctx.session, where, sort=Sort.PRIORITY, limit=limit, cursor=cursor
    )
    return presenters.reply(await presenters.page(ctx, rows, next_cursor))
