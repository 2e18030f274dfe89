"""Where a new order goes and by when: the seams between filing an order and the routing and deadline
policies of its property."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from workorders.domain import routing, sla
from workorders.services import effective_rules, routing_models
from workorders.services import sla as sla_policies

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.services.configuration import Snapshot
    from workorders.services.context import Context

log = logging.getLogger(__name__)


async def route(ctx: Context, draft: routing.Draft, snapshot: Snapshot) -> routing.Decision:
    """The routing decision for a draft under the property's rules and its active model, as of the
    caller's snapshot of its configuration: filing verified it (an edit committed on any replica
    applies to the next order), a preview may trust it."""
    rules, classifier = await routing_configuration(ctx, snapshot)
    return routing.route(draft, rules, classifier)


async def routing_configuration(
    ctx: Context, snapshot: Snapshot
) -> tuple[tuple[routing.Rule, ...], routing.Classifier | None]:
    """The property's enabled rules and its active model, as of its configuration revision.

    An order must be filed even when no model can be loaded (a broken blob, scikit-learn missing):
    the rules and triage still place it, and urgency still comes from the danger concepts. A failed
    load is not cached, so the next order tries again.
    """
    session, property_id = ctx.session, snapshot.property_id
    rules = await snapshot.load(
        effective_rules.RULES_KEY, session, lambda s: effective_rules.load_rules(s, property_id)
    )
    try:
        classifier = await snapshot.load(
            routing_models.MODEL_KEY, session, lambda s: routing_models.load_active(s, property_id)
        )
    except Exception:
        log.exception("routing model unavailable; routing by rules and triage only")
        return rules, None
    return rules, classifier


async def deadlines(
    session: AsyncSession, snap: Snapshot, priority: str, category: str | None, created_at: datetime
) -> sla.Deadlines:
    """The deadlines of a new order under the property's policies as this configuration revision
    has them (its category's policy wins over its priority's)."""
    return await sla_policies.deadlines_for(session, snap, priority, category, created_at)
