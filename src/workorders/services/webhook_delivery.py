"""The delivery pipeline's database side: fan events out to endpoints, lease due deliveries to a
worker, and record what each attempt came to.

A worker leases a delivery (`lease_token`, `locked_until`) in a short transaction, sends it with no
transaction open, then records the outcome only if it still holds the lease. Claims on PostgreSQL use
`FOR UPDATE SKIP LOCKED`, so concurrent workers never lease one delivery twice; a lease outlives the
longest possible send (the send is cut at `webhook_timeout`), so no two workers ever send one delivery at
the same time. A worker that dies after sending but before recording leaves the lease to expire, and the
delivery goes out again with the same `webhook-id`: at least once, never lost.

No transaction stays open during a send: on PostgreSQL that would hold back the feed's horizon (see
services/feed.py) for as long as the slowest receiver takes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import aliased

from workorders.db import new_id
from workorders.domain import webhooks as rules
from workorders.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from workorders.services.webhooks import disable

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime, timedelta

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.config import Settings
    from workorders.services.feed import Columns, EventRow

# Defence in depth: event data is thin already (services/events.order_facts); these never leave.
PRIVATE_KEYS = frozenset({"owner_name", "phone", "contact_phone", "description", "body", "title"})


# Built once, and plain rows rather than ORM objects: the follow loop runs it on every cycle, for
# most properties only to learn that they have no endpoint, and building the statement and loading
# objects cost more CPU than the query.
_ENABLED_ENDPOINTS = (
    select(
        WebhookEndpoint.id,
        WebhookEndpoint.property_id,
        WebhookEndpoint.created_at,
        WebhookEndpoint.event_types,
    )
    .where(
        WebhookEndpoint.property_id.in_(bindparam("properties", expanding=True)),
        WebhookEndpoint.disabled_at.is_(None),
    )
    .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
)


# What fan-out reads of each event (the follower loads only these: services/feed.py).
FAN_OUT_COLUMNS: Columns = (
    Event.id,
    Event.property_id,
    Event.type,
    Event.work_order_id,
    Event.occurred_at,
)


async def fan_out(session: AsyncSession, events: Sequence[EventRow], now: datetime) -> int:
    """One pending delivery per (event, enabled endpoint of its property that takes its type).

    Called in feed order by one worker at a time (services.feed.follow), so the deliveries of an order
    to an endpoint get increasing `seq`: the order they must go out in.
    """
    properties = list({e.property_id for e in events})
    endpoints = (await session.execute(_ENABLED_ENDPOINTS, {"properties": properties})).all()
    rows = [
        {
            "id": new_id("whd"),
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "event_type": event.type,
            "work_order_id": event.work_order_id,
            "status": "pending",
            "attempt_count": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for endpoint in endpoints
        if endpoint.property_id == event.property_id
        and endpoint.created_at <= event.occurred_at
        and rules.matches(endpoint.event_types, event.type)
    ]
    if rows:
        # One multi-row INSERT, rows in feed order: `seq` follows the feed.
        await session.execute(insert(WebhookDelivery), rows)
    return len(rows)


@dataclass(frozen=True)
class Outgoing:
    """Everything a worker needs to send one delivery, read while it held the lease."""

    delivery_seq: int
    delivery_id: str
    lease_token: str
    endpoint_id: str
    url: str
    secrets: tuple[str, ...]
    message_id: str
    body: str


def payload(event: Event) -> str:
    """API.md: `{"type", "timestamp", "data": {"event_id", "work_order_id", …the event's data}}`."""
    # An inbox line's title and body are the service's own words (no one's free text), and the
    # push gateway shows them: they stay.
    private = (
        PRIVATE_KEYS - {"title", "body"} if event.type == "notification.created" else PRIVATE_KEYS
    )
    data = {k: v for k, v in event.data.items() if k not in private}
    occurred = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    body = {
        "type": event.type,
        "timestamp": occurred,
        "data": {"event_id": event.id, "work_order_id": event.work_order_id} | data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


async def claim(
    session: AsyncSession, now: datetime, *, limit: int, lease: timedelta
) -> list[Outgoing]:
    """Lease up to `limit` due deliveries, each the oldest still pending of its order and endpoint."""
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.work_order_id == WebhookDelivery.work_order_id,
        earlier.status == "pending",
        earlier.seq < WebhookDelivery.seq,
    )
    query = (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
            WebhookEndpoint.disabled_at.is_(None),
            ~blocked,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.seq)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    deliveries = list((await session.execute(query)).scalars())
    if not deliveries:
        return []
    endpoints = {
        e.id: e
        for e in (
            await session.execute(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries})
                )
            )
        ).scalars()
    }
    events = {
        e.id: e
        for e in (
            await session.execute(
                select(Event).where(Event.id.in_({d.event_id for d in deliveries}))
            )
        ).scalars()
    }
    out = []
    for delivery in deliveries:
        delivery.lease_token = secrets.token_hex(16)
        delivery.locked_until = now + lease
        endpoint = endpoints[delivery.endpoint_id]
        keys = [endpoint.secret]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires is not None and expires > now:
            keys.append(endpoint.previous_secret)
        out.append(
            Outgoing(
                delivery_seq=delivery.seq,
                delivery_id=delivery.id,
                lease_token=delivery.lease_token,
                endpoint_id=endpoint.id,
                url=endpoint.url,
                secrets=tuple(keys),
                message_id=delivery.event_id,
                body=payload(events[delivery.event_id]),
            )
        )
    await session.flush()
    return out


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None = None
    response_body: str | None = None
    retry_after: str | None = None


async def record(
    session: AsyncSession,
    sent: Outgoing,
    outcome: Outcome,
    *,
    now: datetime,
    settings: Settings,
    jitter: Callable[[], float],
) -> str:
    """Store the attempt and move the delivery on; returns what became of it.

    Locks the delivery, then (only when something about the endpoint changes) the endpoint: the one
    order in which anything locks both, so concurrent workers never deadlock, and successful
    deliveries to one endpoint do not queue behind each other.
    """
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.seq == sent.delivery_seq).with_for_update()
    )
    if delivery is None:
        return "deleted"  # the endpoint went, and its log with it
    session.add(
        WebhookAttempt(
            delivery_seq=sent.delivery_seq,
            attempted_at=now,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
            response_body=outcome.response_body,
        )
    )
    if delivery.lease_token != sent.lease_token:
        # The lease ran out and another worker took the delivery over: the attempt is on
        # record, what happens next is not ours to decide.
        await session.flush()
        return "lease-lost"
    delivery.attempt_count += 1
    delivery.last_status_code = outcome.status_code
    delivery.lease_token = None
    delivery.locked_until = None
    delivery.updated_at = now
    verdict = rules.verdict(outcome.status_code)
    if verdict is rules.Verdict.DELIVERED:
        delivery.status = "succeeded"
        await session.execute(
            update(WebhookEndpoint)
            .where(
                WebhookEndpoint.id == sent.endpoint_id, WebhookEndpoint.failing_since.is_not(None)
            )
            .values(failing_since=None)
        )
        await session.flush()
        return delivery.status
    endpoint = await session.get(
        WebhookEndpoint, sent.endpoint_id, with_for_update={"key_share": True}
    )
    assert endpoint is not None  # the delivery would have gone with it
    if verdict is rules.Verdict.GONE:
        delivery.status = "failed"
        await disable(session, endpoint, "the receiver answered 410 Gone", now)
    else:
        delay = rules.next_delay(
            delivery.attempt_count,
            retry_after=rules.parse_retry_after(outcome.retry_after, now),
            jitter=jitter(),
        )
        if delay is None:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + delay
        endpoint.failing_since = endpoint.failing_since or now
        if rules.failing_too_long(endpoint.failing_since, now, settings.webhook_disable_after):
            delivery.status = "failed"
            days = settings.webhook_disable_after.total_seconds() / 86400
            await disable(session, endpoint, f"every delivery failed for {days:g} days", now)
    await session.flush()
    return delivery.status
