"""Where a new order goes and by when: the seams between filing an order and the routing and deadline
policies of its property."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from workorders.domain import routing, sla
from workorders.services import routing_rules
from workorders.services import sla as sla_policies

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.services.configuration import Snapshot
    from workorders.services.context import Context

log = logging.getLogger(__name__)


async def route(ctx: Context, draft: routing.Draft) -> routing.Decision:
    """The routing decision for a draft under the property's rules as they stand in the database now
    (a property whose rules were never needed before gets the defaults written first), then the
    default model."""
    return routing.route(draft, await routing_rules.active_rules(ctx), await _classifier())


async def _classifier() -> routing.Classifier | None:
    # An order must be filed even when the model cannot be built (or scikit-learn is missing, hence
    # the late import): rules and triage still work.
    try:
        from workorders import routing_model

        if routing_model.default_loaded():
            return routing_model.default_classifier()
        # The first build trains for seconds: off the event loop, so other requests go on.
        return await asyncio.to_thread(routing_model.default_classifier)
    except Exception:
        log.exception("routing model unavailable; routing by rules and triage only")
        return None


async def deadlines(
    session: AsyncSession, snap: Snapshot, priority: str, category: str | None, created_at: datetime
) -> sla.Deadlines:
    """The deadlines of a new order under the property's policies as this configuration revision
    has them (its category's policy wins over its priority's)."""
    return await sla_policies.deadlines_for(session, snap, priority, category, created_at)
