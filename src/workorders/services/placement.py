"""Where a new order goes and by when: the seams between filing an order and the routing and deadline
policies of its property."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workorders.domain import routing, sla

if TYPE_CHECKING:
    from datetime import datetime

    from workorders.domain.taxonomy import Priority
    from workorders.services.context import Context


async def route(ctx: Context, draft: routing.Draft) -> routing.Decision:
    """The routing decision for a draft under the property's rules (the defaults, for now)."""
    return routing.route(draft)


async def deadlines(
    ctx: Context, priority: Priority, category: str | None, created_at: datetime
) -> sla.Deadlines:
    """The deadlines of a new order under the property's policy (the defaults, for now)."""
    return sla.deadlines(priority, created_at)
