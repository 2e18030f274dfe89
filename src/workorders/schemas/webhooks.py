"""Webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from workorders.schemas.core import Page, RequestBody
from workorders.schemas.strict import StrictBool, StrictDatetime, Unclearable, absent

EventTypeName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z_]+(\.([a-z_]+|\*))*$|^\*$",
        examples=["work_order.*", "work_order.resolved"],
    ),
]
Url = Annotated[str, Field(min_length=1, max_length=2048, examples=["https://example.com/hooks"])]


class WebhookEndpointCreate(RequestBody):
    url: Url
    event_types: list[EventTypeName] | None = Field(
        None, max_length=50, description="Null or absent: every event type"
    )
    description: str | None = Field(None, max_length=500)


class WebhookEndpointUpdate(RequestBody):
    """Only the fields sent change; null sets `event_types` back to every type and clears
    `description`."""

    url: Unclearable[Url] = absent()
    event_types: list[EventTypeName] | None = Field(None, max_length=50)
    description: str | None = Field(None, max_length=500)
    disabled: Unclearable[StrictBool] = absent(description="false re-enables a disabled endpoint")


class WebhookEndpointRead(BaseModel):
    id: str
    url: str
    description: str | None
    event_types: list[str] | None
    disabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str = Field(description="`whsec_…`: shown here and on rotation only")


class WebhookEndpointPage(Page[WebhookEndpointRead]):
    pass


class WebhookSecret(BaseModel):
    secret: str = Field(description="The new `whsec_…` secret: shown once")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries are also signed with the previous secret"
    )


DeliveryStatus = Literal["pending", "succeeded", "failed"]


class WebhookAttemptRead(BaseModel):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str | None


class WebhookDeliveryRead(BaseModel):
    id: str
    event_id: str
    event_type: str
    work_order_id: str | None
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    attempts: list[WebhookAttemptRead]


class WebhookDeliveryPage(Page[WebhookDeliveryRead]):
    pass


class RecoverBody(RequestBody):
    since: StrictDatetime = Field(description="Re-send the failed deliveries created since then")


class Recovered(BaseModel):
    requeued: int
