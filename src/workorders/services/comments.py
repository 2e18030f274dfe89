"""Comments on a work order: public ones the owner sees, internal ones only staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from workorders.db import new_id
from workorders.domain import owner_view
from workorders.domain.actors import Role
from workorders.errors import Forbidden, NotFound, ValidationFailed, _
from workorders.models import Comment
from workorders.services import events
from workorders.services.pagination import Ordering, fetch_page

OLDEST_FIRST = Ordering("seq", (Comment.seq,))

# The owner's view (domain/owner_view.py) decides which comments owners read.
OWNER_VISIBILITIES = [v for v in ("public", "internal") if owner_view.shows_comment(v)]

if TYPE_CHECKING:
    from workorders.models import WorkOrder
    from workorders.schemas import CommentCreate
    from workorders.services.context import Context


async def add(ctx: Context, order: WorkOrder, body: CommentCreate) -> Comment:
    principal = ctx.principal
    if principal.role is Role.OWNER and body.visibility != "public":
        raise ValidationFailed.on("visibility", _("owners can only post public comments"))
    if principal.role is Role.ADMIN:
        raise Forbidden(_("the admin reads work orders but does not take part in them"))
    comment = Comment(
        id=new_id("cmt"),
        work_order_id=order.id,
        author_type=principal.actor_type,
        author_id=principal.sub,
        body=body.body,
        visibility=body.visibility,
        created_at=ctx.now,
    )
    ctx.session.add(comment)
    # The event says that a comment was made, not what it says: free text stays out of events.
    await events.record(
        ctx.session,
        order=order,
        type="work_order.commented",
        actor=principal,
        at=ctx.now,
        previous_status=order.status,
        extra={"comment_id": comment.id, "visibility": body.visibility},
    )
    await ctx.session.flush()
    return comment


async def get(ctx: Context, order: WorkOrder, comment_id: str) -> Comment:
    query = select(Comment).where(Comment.work_order_id == order.id, Comment.id == comment_id)
    if ctx.principal.role is Role.OWNER:
        query = query.where(Comment.visibility.in_(OWNER_VISIBILITIES))
    comment = (await ctx.session.execute(query)).scalar_one_or_none()
    if comment is None:
        raise NotFound(
            _(
                "comment {comment_id} does not exist on work order {id}",
                comment_id=comment_id,
                id=order.id,
            )
        )
    return comment


async def list_for(
    ctx: Context, order: WorkOrder, *, limit: int, cursor: str | None
) -> tuple[list[Comment], str | None]:
    """One page of the order's comments, oldest first (a busy order has hundreds)."""
    query = select(Comment).where(Comment.work_order_id == order.id)
    if ctx.principal.role is Role.OWNER:
        query = query.where(Comment.visibility.in_(OWNER_VISIBILITIES))
    return await fetch_page(ctx.session, query, OLDEST_FIRST, limit=limit, cursor=cursor)
