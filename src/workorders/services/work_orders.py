"""Work-order use cases: file, find, list, act. They flush, never commit: the request owns the transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select

from workorders.domain import routing
from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import Channel, Kind
from workorders.errors import FieldError, Forbidden, NotFound, ValidationFailed, _
from workorders.models import Event, Owner, WorkOrder
from workorders.services import configuration, filing, owner_view, placement
from workorders.services.access import (
    OrderFields,
    allowed_actions,
    facts,
    order_row,
    visible_order,
    visible_row,
    visible_to,
)

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from workorders.schemas import WorkOrderCreate
    from workorders.services.configuration import Snapshot
    from workorders.services.context import Context

# Fields an owner may not choose: where an order goes and how it stands is the service's decision.
OWNER_FORBIDDEN_FIELDS = ("priority", "owner_id", "channel")


def _not_found(order_id: str) -> NotFound:
    return NotFound(
        _("work order {order_id} does not exist or is not visible to you", order_id=order_id)
    )


async def get_visible(ctx: Context, order_id: str) -> WorkOrder:
    """The order as an ORM instance, for the use cases that change it (or read its relations)."""
    query, params = visible_order(ctx.principal, order_id)
    order = (await ctx.session.execute(query, params)).scalar_one_or_none()
    if order is None:
        raise _not_found(order_id)
    return order


async def read_visible(
    reader: AsyncSession | AsyncConnection, principal: Principal, order_id: str
) -> OrderFields:
    """The order's row, for reading it only (presenting it): the table's columns, no ORM instance."""
    query, params = visible_row(principal, order_id)
    row = (await reader.execute(query, params)).one_or_none()
    if row is None:
        raise _not_found(order_id)
    return order_row(row)


# --- filing ---------------------------------------------------------------------------------------


async def _require_owner(ctx: Context, owner_id: str) -> str:
    """The owner that staff file on behalf of, or a 422 naming `owner_id`."""
    found = await ctx.session.scalar(
        select(Owner.id).where(Owner.id == owner_id, Owner.property_id == ctx.principal.property_id)
    )
    if found is None:
        raise ValidationFailed.on(
            "owner_id", _("no owner {owner_id} in this property", owner_id=owner_id)
        )
    return found


def _check_who_may_file(principal: Principal, body: WorkOrderCreate) -> None:
    if principal.role is Role.ADMIN:
        raise Forbidden(_("the admin configures the service and does not file work orders"))
    if principal.role is Role.OWNER:
        sent = [name for name in OWNER_FORBIDDEN_FIELDS if getattr(body, name) is not None]
        if body.kind == Kind.TASK:
            sent.append("kind")
        if sent:
            raise ValidationFailed(
                _("owners may not set {names}", names=", ".join(sent)),
                [
                    FieldError(name, _("owners may not file tasks"))
                    if name == "kind"
                    else FieldError(name, _("owners may not set this field"))
                    for name in sent
                ],
            )


def _draft(body: WorkOrderCreate, local_hour: int) -> routing.Draft:
    location = body.location
    return routing.Draft(
        description=body.description,
        title=body.title,
        category=str(body.category) if body.category else None,
        kind=body.kind,
        channel=str(body.channel or Channel.APP),
        building=location.building if location else None,
        area=location.area if location else None,
        local_hour=local_hour,
    )


def _check_preferred_time(body: WorkOrderCreate, now: datetime) -> None:
    """A preferred window must not be over when the order is filed (one under way, "today before
    six", is fine); the schema checks that it ends after it starts."""
    if body.preferred_time is not None and body.preferred_time.end <= now:
        raise ValidationFailed.on("preferred_time.end", _("must lie in the future"))


async def create(ctx: Context, body: WorkOrderCreate) -> WorkOrder:
    """An order filed by an owner in the app, or by staff (on an owner's behalf, or for themselves)."""
    principal = ctx.principal
    _check_preferred_time(body, ctx.now)  # a 422, which comes before the 403s (API.md)
    _check_who_may_file(principal, body)
    held = _held_snapshot(ctx)
    if held is not None:
        try:
            return await _file(ctx, body, held, check_revision=True)
        except filing.StaleConfiguration:
            pass  # an edit this process has not heard of yet: placed again under the current one
    try:
        # Filing depends on the configuration, so it verifies the revision (the read it needs anyway).
        snap = await configuration.snapshot(ctx.session, principal.property_id, verify=True)
    except LookupError:
        raise Forbidden(
            _("property {property_id} does not exist", property_id=principal.property_id)
        ) from None
    return await _file(ctx, body, snap)


def _held_snapshot(ctx: Context) -> Snapshot | None:
    """The configuration this process holds, placed under without reading its revision first: the
    statements that write the order check it (`filing.file`'s `check_revision`), which saves filing
    a read of its own."""
    return configuration.of(ctx.session).held(ctx.principal.property_id)


async def _file(
    ctx: Context, body: WorkOrderCreate, snap: Snapshot, *, check_revision: bool = False
) -> WorkOrder:
    principal = ctx.principal
    if principal.role is Role.OWNER:
        # The token's check against the directory (services/principals.check) has just found this
        # owner active in this property: no second look.
        assert principal.sub is not None  # guaranteed by the token rules
        owner_id: str | None = principal.sub
        channel = Channel.APP
    else:
        owner_id = await _require_owner(ctx, body.owner_id) if body.owner_id else None
        channel = body.channel or Channel.PHONE

    local_hour = ctx.now.astimezone(ZoneInfo(snap.timezone)).hour
    decision = await placement.route(ctx, _draft(body, local_hour), snap)
    where = filing.Placement(
        queue=decision.queue,
        triage=decision.triage,
        priority=body.priority or decision.priority,
        category=decision.category,
        kind=decision.kind,
        routing=decision.routing_data(),
        dispatch=decision.dispatch,
        skills=tuple(decision.skills),
    )
    what = filing.Filing(
        description=body.description,
        title=body.title,
        channel=channel,
        location=body.location.model_dump(exclude_none=True) if body.location else {},
        owner_id=owner_id,
        contact_phone=body.contact_phone,
        preferred_time=body.preferred_time.model_dump(mode="json") if body.preferred_time else None,
    )
    return await filing.file(
        ctx.session, snap, principal, ctx.now, what, where, check_revision=check_revision
    )


# --- reading ---------------------------------------------------------------------------------------


async def timeline(ctx: Context, order: WorkOrder) -> list[Event]:
    query = select(Event).where(Event.work_order_id == order.id).order_by(Event.seq)
    rows = (await ctx.session.execute(query)).scalars().all()
    return owner_view.shown(ctx.principal, rows)


__all__ = [
    "allowed_actions",
    "create",
    "facts",
    "get_visible",
    "read_visible",
    "timeline",
    "visible_to",
]
