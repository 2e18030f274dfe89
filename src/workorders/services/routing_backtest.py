"""Backtest: replay a property's past orders through a proposed rule list or model, before changing
anything, and say how many would move and where. Stores nothing.

Both sides are replayed — the configuration as it stands and the proposal — from what the order kept
of its request (title, description, channel, location, the local hour it was filed at), so the
difference is the proposal's alone and not history's (transfers, edits of rules since). The category
and kind an owner may have chosen are not kept apart from the router's, so neither side sees them.

Bounded: the most recent `LIMIT` orders since `since`, read `PAGE` at a time and judged in a thread.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, tuple_

from workorders.domain import routing
from workorders.domain.actors import Role
from workorders.errors import Forbidden, ValidationFailed, _
from workorders.models import WorkOrder
from workorders.schemas.routing import domain_rule, stored
from workorders.services import configuration, placement, routing_models, routing_rules

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from workorders.schemas.routing import BacktestBody, ProposedRule
    from workorders.services.context import Context

LIMIT = 5000
PAGE = 500
EXAMPLES = 20
DEFAULT_WINDOW = timedelta(days=90)


@dataclass
class Backtest:
    since: datetime
    orders: int = 0
    moved: int = 0
    matrix: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    examples: list[dict[str, str]] = field(default_factory=list)
    truncated: bool = False
    limit: int = LIMIT


def _proposed_rules(rules: Sequence[ProposedRule]) -> tuple[routing.Rule, ...]:
    parsed = []
    for index, rule in enumerate(rules):
        routing_rules.check(rule.when, rule.then, prefix=f"rules[{index}].")
        if rule.enabled:
            parsed.append(
                domain_rule(
                    rule.id or f"proposed-{index}", rule.name, stored(rule.when), stored(rule.then)
                )
            )
    return tuple(parsed)


def _before(key: tuple[datetime, str]) -> Any:
    created_at, order_id = key
    return tuple_(WorkOrder.created_at, WorkOrder.id) < tuple_(
        bindparam(None, created_at, type_=WorkOrder.created_at.type),
        bindparam(None, order_id, type_=WorkOrder.id.type),
    )


def _draft(order: WorkOrder, timezone: ZoneInfo) -> routing.Draft:
    location = order.location or {}
    return routing.Draft(
        description=order.description,
        title=order.title,
        channel=str(order.channel),
        building=location.get("building"),
        area=location.get("area"),
        local_hour=order.created_at.astimezone(timezone).hour,
    )


def _replay(
    orders: Sequence[WorkOrder],
    timezone: ZoneInfo,
    now: tuple[Sequence[routing.Rule], Any],
    proposed: tuple[Sequence[routing.Rule], Any],
) -> list[tuple[str, str, str]]:
    """(order, queue now, queue proposed) for each order."""
    answers = []
    for order in orders:
        draft = _draft(order, timezone)
        before = routing.route(draft, now[0], now[1]).queue
        after = routing.route(draft, proposed[0], proposed[1]).queue
        answers.append((order.id, str(before), str(after)))
    return answers


async def backtest(ctx: Context, body: BacktestBody) -> Backtest:
    if ctx.principal.role is not Role.MANAGER:
        raise Forbidden(_("the backtest is the manager's"))
    property_id = ctx.principal.property_id
    snapshot = await configuration.snapshot(ctx.session, property_id)
    rules, classifier = await placement.routing_configuration(ctx, snapshot)
    proposed_rules = _proposed_rules(body.rules) if body.rules is not None else rules
    proposed_model: routing.Classifier | None = classifier
    if body.model_version is not None:
        try:
            proposed_model = await routing_models.classifier_of(
                ctx.session, property_id, body.model_version
            )
        except LookupError:
            raise ValidationFailed.on(
                "model_version",
                _("no model {model_version} in this property", model_version=body.model_version),
            ) from None
    snapshot = await configuration.snapshot(ctx.session, property_id)
    timezone = ZoneInfo(snapshot.timezone)
    result = Backtest(since=body.since or ctx.now - DEFAULT_WINDOW)

    after: tuple[datetime, str] | None = None
    while result.orders < LIMIT:
        query = select(WorkOrder).where(
            WorkOrder.property_id == property_id, WorkOrder.created_at >= result.since
        )
        if after is not None:
            query = query.where(_before(after))
        take = min(PAGE, LIMIT - result.orders)
        page = list(
            (
                await ctx.session.execute(
                    query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(take)
                )
            ).scalars()
        )
        if not page:
            break
        after = (page[-1].created_at, page[-1].id)
        answers = await asyncio.to_thread(
            _replay, page, timezone, (rules, classifier), (proposed_rules, proposed_model)
        )
        for order_id, before, now_queue in answers:
            result.orders += 1
            if before == now_queue:
                continue
            result.moved += 1
            result.matrix[before][now_queue] = result.matrix[before].get(now_queue, 0) + 1
            if len(result.examples) < EXAMPLES:
                result.examples.append({"work_order_id": order_id, "from": before, "to": now_queue})
        if len(page) < take:
            break
    if result.orders >= LIMIT and after is not None:
        more = await ctx.session.scalar(
            select(WorkOrder.id)
            .where(
                WorkOrder.property_id == property_id,
                WorkOrder.created_at >= result.since,
                _before(after),
            )
            .limit(1)
        )
        result.truncated = more is not None
    result.matrix = dict(result.matrix)
    return result
