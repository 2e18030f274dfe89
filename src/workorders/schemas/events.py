"""The event feed and the notification inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, Field, StrictBool, model_validator

from workorders.errors import _
from workorders.schemas.core import EventRead, Id, Page, RequestBody


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: str = Field(
        description="Where to resume: pass it as `after`. Never null; following it misses nothing."
    )


class NotificationRead(BaseModel):
    id: str
    event_id: str
    event_type: str
    work_order_id: str | None
    reason: str = Field(
        description="Why you hear of it: customer_service, owner, assignee, supervisor, manager"
    )
    title: str
    body: str
    count: int = Field(
        description="How many changes of the order this unread line stands for (one line per order "
        "until it is read; title and body say the latest)"
    )
    data: dict[str, Any]
    read: bool
    read_at: datetime | None
    created_at: datetime


class NotificationPage(Page[NotificationRead]):
    pass


class MarkNotificationsRead(RequestBody):
    ids: list[Id] | None = Field(None, min_length=1, max_length=200)
    all: StrictBool = Field(False, description="Mark every notification of yours as read")

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.ids is None) == (not self.all):
            raise ValueError(_("send either ids or all: true"))
        return self


class MarkedRead(BaseModel):
    marked: int = Field(description="How many notifications this call marked as read")
