"""What customer service teaches the router: every order it routes out of triage or transfers is a
labelled example of where such a request belongs, kept per property for retraining its model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from workorders.db import new_id
from workorders.domain.actors import Role
from workorders.domain.lifecycle import Action
from workorders.errors import Forbidden, _
from workorders.models import RoutingExample
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.models import WorkOrder
    from workorders.services.context import Context

SOURCE_ROUTE = "route"
NEWEST_FIRST = Ordering(
    "examples-newest", (RoutingExample.created_at, RoutingExample.id), descending=True
)
OLDEST_FIRST = (RoutingExample.created_at, RoutingExample.id)


def text_of(order: WorkOrder) -> str:
    """The request as the owner wrote it: its title (unless it merely begins the description) and
    its description.

    A title filing cut from the description ends in an ellipsis ("Barrier arm at the garage…");
    it begins the description all the same, and kept, it would teach every word of it twice.
    """
    title, description = (order.title or "").strip(), order.description.strip()
    if not title or description.startswith(title.removesuffix("…").rstrip()):
        return description
    return f"{title}\n{description}"


async def learn_from(ctx: Context, order: WorkOrder, action: Action) -> None:
    """Record the example a `route` just taught (called right after the transition is written)."""
    if action is not Action.ROUTE:
        return
    principal = ctx.principal
    ctx.session.add(
        RoutingExample(
            id=new_id("rex"),
            property_id=order.property_id,
            work_order_id=order.id,
            description=text_of(order),
            queue=str(order.queue),
            priority=str(order.priority),
            source=SOURCE_ROUTE,
            actor_type=str(principal.actor_type),
            actor_id=principal.sub,
            created_at=ctx.now,
        )
    )
    await ctx.session.flush()


async def list_examples(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[RoutingExample], str | None]:
    if ctx.principal.role is not Role.MANAGER:
        raise Forbidden(_("the routing examples are the manager's"))
    query = select(RoutingExample).where(RoutingExample.property_id == ctx.principal.property_id)
    return await fetch_page(ctx.session, query, NEWEST_FIRST, limit=limit, cursor=cursor)


async def all_of(session: AsyncSession, property_id: str) -> list[RoutingExample]:
    """Every example of the property, oldest first (the order `examples_seen` counts in)."""
    query = (
        select(RoutingExample)
        .where(RoutingExample.property_id == property_id)
        .order_by(*OLDEST_FIRST)
    )
    return list((await session.execute(query)).scalars())


async def count(session: AsyncSession, property_id: str) -> int:
    query = select(func.count()).where(RoutingExample.property_id == property_id)
    return await session.scalar(query) or 0
