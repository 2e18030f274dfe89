"""`/v1/webhook-endpoints`: where events are sent, signed (admin), and what became of each delivery."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response

from workorders.api import V1
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from workorders.schemas.webhooks import (
    RecoverBody,
    Recovered,
    WebhookAttemptRead,
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPage,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookSecret,
)
from workorders.services import webhooks

router = APIRouter(prefix=f"{V1}/webhook-endpoints", tags=["webhooks"])

EndpointId = Annotated[str, Path(max_length=64, description="The endpoint's id (`whe_…`)")]
DeliveryId = Annotated[str, Path(max_length=64, description="The delivery's id (`whd_…`)")]


async def _for_reading(ctx: ReadContext, endpoint_id: EndpointId) -> WebhookEndpoint:
    return await webhooks.get(ctx, endpoint_id)


async def _for_writing(ctx: WriteContext, endpoint_id: EndpointId) -> WebhookEndpoint:
    return await webhooks.get(ctx, endpoint_id)


Endpoint = Annotated[WebhookEndpoint, Depends(_for_reading)]
EndpointForUpdate = Annotated[WebhookEndpoint, Depends(_for_writing)]


def _read(endpoint: WebhookEndpoint) -> WebhookEndpointRead:
    return WebhookEndpointRead(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types,
        disabled=endpoint.disabled_at is not None,
        disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _delivery(row: WebhookDelivery, attempts: list[WebhookAttempt]) -> WebhookDeliveryRead:
    return WebhookDeliveryRead(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        work_order_id=row.work_order_id,
        status=row.status,
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code,
        created_at=row.created_at,
        attempts=[
            WebhookAttemptRead(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                duration_ms=a.duration_ms,
                error=a.error,
                response_body=a.response_body,
            )
            for a in attempts
        ],
    )


@router.post(
    "",
    status_code=201,
    operation_id="createWebhookEndpoint",
    summary="Add an endpoint; its signing secret is in this answer only",
    response_model=WebhookEndpointCreated,
    responses=problems(403, 409),
)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[WebhookEndpointCreated, str]:
        endpoint = await webhooks.create(ctx, body)
        read = WebhookEndpointCreated(**_read(endpoint).model_dump(), secret=endpoint.secret)
        return read, f"/v1/webhook-endpoints/{endpoint.id}"

    return await create_once(
        ctx, idempotency_key, operation="createWebhookEndpoint", body=body, create=create
    )


@router.get("", operation_id="listWebhookEndpoints", responses=problems(403))
async def list_webhook_endpoints(
    ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> WebhookEndpointPage:
    rows, next_cursor = await webhooks.list_endpoints(ctx, limit=limit, cursor=cursor)
    return WebhookEndpointPage(items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.get("/{endpoint_id}", operation_id="getWebhookEndpoint", responses=problems(403, 404))
async def get_webhook_endpoint(endpoint: Endpoint) -> WebhookEndpointRead:
    return _read(endpoint)


@router.patch(
    "/{endpoint_id}",
    operation_id="updateWebhookEndpoint",
    summary="Change the URL, event types or description; `disabled: false` re-enables",
    responses=problems(403, 404),
)
async def update_webhook_endpoint(
    endpoint: EndpointForUpdate, body: WebhookEndpointUpdate, ctx: WriteContext
) -> WebhookEndpointRead:
    return _read(await webhooks.change(ctx, endpoint, body))


@router.delete(
    "/{endpoint_id}",
    status_code=204,
    operation_id="deleteWebhookEndpoint",
    responses=problems(403, 404),
)
async def delete_webhook_endpoint(endpoint: EndpointForUpdate, ctx: WriteContext) -> Response:
    await webhooks.delete(ctx, endpoint)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    operation_id="rotateWebhookEndpointSecret",
    summary="A new signing secret, shown once; the old one keeps signing for a grace period",
    responses=problems(403, 404),
)
async def rotate_webhook_endpoint_secret(
    endpoint: EndpointForUpdate, ctx: WriteContext
) -> WebhookSecret:
    endpoint = await webhooks.rotate_secret(ctx, endpoint)
    return WebhookSecret(
        secret=endpoint.secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
    )


@router.get(
    "/{endpoint_id}/deliveries",
    operation_id="listWebhookDeliveries",
    summary="The endpoint's delivery log, newest first, with every attempt",
    responses=problems(403, 404),
)
async def list_webhook_deliveries(
    endpoint: Endpoint,
    ctx: ReadContext,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> WebhookDeliveryPage:
    rows, next_cursor = await webhooks.deliveries(
        ctx, endpoint, status=status, limit=limit, cursor=cursor
    )
    return WebhookDeliveryPage(
        items=[_delivery(row, attempts) for row, attempts in rows], next_cursor=next_cursor
    )


@router.post(
    "/{endpoint_id}/recover",
    status_code=202,
    operation_id="recoverWebhookEndpoint",
    summary="Send again the failed deliveries created since a time",
    responses=problems(403, 404),
)
async def recover_webhook_endpoint(
    endpoint: EndpointForUpdate, body: RecoverBody, ctx: WriteContext
) -> Recovered:
    return Recovered(requeued=await webhooks.recover(ctx, endpoint, body.since))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    operation_id="retryWebhookDelivery",
    summary="Send one delivery again now",
    responses=problems(403, 404),
)
async def retry_webhook_delivery(
    endpoint: EndpointForUpdate, delivery_id: DeliveryId, ctx: WriteContext
) -> WebhookDeliveryRead:
    delivery = await webhooks.retry(ctx, endpoint, delivery_id)
    return _delivery(delivery, [])
