"""Turning rows into response bodies, for the caller who asked (labels, masking, allowed actions)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Response
from fastapi.responses import JSONResponse

from workorders.domain.lifecycle import STATUS_LABELS, Status
from workorders.schemas import (
    ChecklistItemRead,
    CommentRead,
    EventRead,
    LocationRead,
    OwnerRead,
    Rating,
    Reporter,
    RoutingInfo,
    SlaInfo,
    StaffRead,
    UnitRead,
    WorkOrderRead,
)
from workorders.services import owner_view
from workorders.services.access import allowed_actions
from workorders.services.directory import mask_phone, shows_phone_of

if TYPE_CHECKING:
    from pydantic import BaseModel

    from workorders.models import Comment, Event, Owner, Staff, WorkOrder
    from workorders.services.context import Context


class FastJSON(JSONResponse):
    """JSON rendered by orjson (UTF-8 as is, no spaces): for bodies that are plain data."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def reply(
    model: BaseModel, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response model serialized once, by pydantic's own serializer, and not validated again: the
    presenters build it from rows the service just wrote or read."""
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def language(accept_language: str | None) -> str:
    """The first language of `Accept-Language` that we have labels for; Chinese by default."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in STATUS_LABELS:
            return primary
    return "zh"


def work_order(ctx: Context, order: WorkOrder, lang: str = "zh") -> WorkOrderRead:
    rating = (
        Rating(score=order.rating_score, comment=order.rating_comment)
        if order.rating_score is not None
        else None
    )
    return WorkOrderRead(
        id=order.id,
        number=order.number,
        property_id=order.property_id,
        kind=order.kind,
        category=order.category,
        title=order.title,
        description=order.description,
        location=LocationRead(**order.location),
        preferred_time=order.preferred_time,
        contact_phone=_contact_phone(ctx, order),
        status=order.status,
        status_label=STATUS_LABELS[lang][Status(order.status)],
        queue=order.queue,
        priority=order.priority,
        assignee_id=order.assignee_id,
        owner_id=order.owner_id,
        reporter=Reporter(type=order.reporter_type, id=order.reporter_id),
        channel=order.channel,
        escalation_level=order.escalation_level,
        parent_id=order.parent_id,
        routing=RoutingInfo(**order.routing),
        sla=SlaInfo(
            respond_by=order.respond_by,
            start_by=order.start_by,
            resolve_by=order.resolve_by,
            responded_at=order.responded_at,
            started_at=order.started_at,
            resolved_at=order.resolved_at,
            breached=order.breached,
            paused_at=order.paused_at,
            paused_for=timedelta(seconds=order.paused_seconds or 0),
        ),
        rating=rating,
        resolution=order.resolution,
        hold_reason=owner_view.order_field(ctx.principal, "hold_reason", order.hold_reason),
        schedule_id=order.schedule_id,
        checklist=(
            [ChecklistItemRead(**item) for item in order.checklist]
            if order.checklist is not None
            else None
        ),
        version=order.version,
        created_at=order.created_at,
        updated_at=order.updated_at,
        closed_at=order.closed_at,
        cancelled_at=order.cancelled_at,
        allowed_actions=allowed_actions(ctx, order),
    )


def _contact_phone(ctx: Context, order: WorkOrder) -> str | None:
    """Whole for the owner who gave it and the person sent to their door; masked for everyone else."""
    if order.contact_phone is None:
        return None
    principal = ctx.principal
    if principal.sub is not None and principal.sub in (order.owner_id, order.assignee_id):
        return order.contact_phone
    return mask_phone(order.contact_phone)


def event(row: Event) -> EventRead:
    return EventRead(
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        work_order_id=row.work_order_id,
        actor={"type": row.actor_type, "id": row.actor_id},
        data=row.data,
    )


def comment(row: Comment) -> CommentRead:
    return CommentRead(
        id=row.id,
        work_order_id=row.work_order_id,
        author=Reporter(type=row.author_type, id=row.author_id),
        body=row.body,
        visibility=row.visibility,
        created_at=row.created_at,
    )


def staff(row: Staff) -> StaffRead:
    return StaffRead.model_validate(row)


def owner(ctx: Context, row: Owner, *, revealed: bool = False) -> OwnerRead:
    whole = revealed or shows_phone_of(ctx.principal, row)
    return OwnerRead(
        id=row.id,
        name=row.name,
        phone=row.phone if whole else mask_phone(row.phone),
        units=[UnitRead(**unit) for unit in row.units],
        active=row.active,
    )
