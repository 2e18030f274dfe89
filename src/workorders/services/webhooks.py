"""Webhook endpoints, administered per property: create, change, rotate, delete, inspect, recover."""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, select, update

from workorders.db import new_id
from workorders.domain.actors import ActorType, Role
from workorders.errors import Forbidden, NotFound, ValidationFailed, _
from workorders.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from workorders.services import egress, events
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.schemas.webhooks import WebhookEndpointCreate, WebhookEndpointUpdate
    from workorders.services.context import Context

SECRET_BYTES = 32
ENDPOINT_DISABLED = "webhook_endpoint.disabled"
ENDPOINTS_OLDEST_FIRST = Ordering("created_at", (WebhookEndpoint.created_at, WebhookEndpoint.id))
DELIVERIES_NEWEST_FIRST = Ordering("-seq", (WebhookDelivery.seq,), descending=True)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _require_admin(ctx: Context) -> None:
    if ctx.principal.role is not Role.ADMIN:
        raise Forbidden(_("webhook endpoints are configured by the admin"))


async def get(ctx: Context, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await ctx.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.property_id != ctx.principal.property_id:
        raise NotFound(_("webhook endpoint {endpoint_id} does not exist", endpoint_id=endpoint_id))
    _require_admin(ctx)
    return endpoint


async def _check_url(ctx: Context, url: str) -> None:
    await egress.require_allowed(url, allow_private=ctx.settings.webhook_allow_private_urls)


async def create(ctx: Context, body: WebhookEndpointCreate) -> WebhookEndpoint:
    await _check_url(ctx, body.url)
    _require_admin(ctx)
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        property_id=ctx.principal.property_id,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        secret=new_secret(),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(endpoint)
    await ctx.session.flush()
    return endpoint


async def list_endpoints(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[WebhookEndpoint], str | None]:
    _require_admin(ctx)
    query = select(WebhookEndpoint).where(WebhookEndpoint.property_id == ctx.principal.property_id)
    return await fetch_page(ctx.session, query, ENDPOINTS_OLDEST_FIRST, limit=limit, cursor=cursor)


async def change(
    ctx: Context, endpoint: WebhookEndpoint, body: WebhookEndpointUpdate
) -> WebhookEndpoint:
    sent = body.model_fields_set
    if "url" in sent:
        if body.url is None:
            raise ValidationFailed.on("url", _("an endpoint needs a URL"))
        await _check_url(ctx, body.url)
        endpoint.url = body.url
    if "event_types" in sent:
        endpoint.event_types = body.event_types
    if "description" in sent:
        endpoint.description = body.description
    if body.disabled is True and endpoint.disabled_at is None:
        await disable(ctx.session, endpoint, "disabled by the admin", ctx.now)
    elif body.disabled is False:
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    endpoint.updated_at = ctx.now
    await ctx.session.flush()
    return endpoint


async def disable(
    session: AsyncSession, endpoint: WebhookEndpoint, reason: str, now: datetime
) -> None:
    """Stop sending to `endpoint` and say so with an event. Deliveries still waiting stay so, and go
    out if the endpoint is enabled again; no new ones are made meanwhile (`recover` re-sends failed
    ones). Only the endpoint's row is locked here (see services.webhook_delivery.record)."""
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    await events.write(
        session,
        [
            events.property_row(
                property_id=endpoint.property_id,
                type=ENDPOINT_DISABLED,
                actor_type=ActorType.SYSTEM,
                actor_id=None,
                at=now,
                data={"endpoint_id": endpoint.id, "reason": reason},
            )
        ],
    )


async def delete(ctx: Context, endpoint: WebhookEndpoint) -> None:
    await ctx.session.delete(endpoint)
    await ctx.session.flush()


async def rotate_secret(ctx: Context, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the old one keeps signing too for `webhook_secret_grace`, for the switch-over."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = ctx.now + ctx.settings.webhook_secret_grace
    endpoint.secret = new_secret()
    endpoint.updated_at = ctx.now
    await ctx.session.flush()
    return endpoint


async def deliveries(
    ctx: Context,
    endpoint: WebhookEndpoint,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[WebhookDelivery, list[WebhookAttempt]]], str | None]:
    """The endpoint's delivery log, newest first, each delivery with its attempts oldest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    rows, next_cursor = await fetch_page(
        ctx.session, query, DELIVERIES_NEWEST_FIRST, limit=limit, cursor=cursor
    )
    attempts: dict[int, list[WebhookAttempt]] = {row.seq: [] for row in rows}
    if rows:
        found = await ctx.session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_seq.in_(attempts))
            .order_by(WebhookAttempt.id)
        )
        for attempt in found.scalars():
            attempts[attempt.delivery_seq].append(attempt)
    return [(row, attempts[row.seq]) for row in rows], next_cursor


def _requeue_values(ctx: Context) -> dict[str, object]:
    return {
        "status": "pending",
        "attempt_count": 0,
        "next_attempt_at": ctx.now,
        "lease_token": None,
        "locked_until": None,
        "updated_at": ctx.now,
    }


async def recover(ctx: Context, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Send again every failed delivery created since `since` (a fresh retry schedule each)."""
    if since > ctx.now:
        raise ValidationFailed.on("since", _("is in the future"))
    result = await ctx.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == "failed",
            WebhookDelivery.created_at >= since,
        )
        .values(**_requeue_values(ctx))
    )
    return cast("CursorResult[Any]", result).rowcount or 0


async def retry(ctx: Context, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    """Send one delivery again now, whatever became of it (a receiver may ask for a replay)."""
    delivery = await ctx.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    )
    if delivery is None:
        raise NotFound(
            _(
                "delivery {delivery_id} of endpoint {id} does not exist",
                delivery_id=delivery_id,
                id=endpoint.id,
            )
        )
    if delivery.status == "pending":
        delivery.next_attempt_at = min(delivery.next_attempt_at, ctx.now)
    else:
        for name, value in _requeue_values(ctx).items():
            setattr(delivery, name, value)
    await ctx.session.flush()
    return delivery
