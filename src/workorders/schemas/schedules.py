"""Bodies of scheduled work: recurring schedules, and the checklist of the tasks they produce."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from workorders.domain.taxonomy import Priority, Queue
from workorders.schemas.core import (
    Category,
    ChecklistItemRead,
    Id,
    Location,
    LocationRead,
    Page,
    RequestBody,
)

ChecklistItem = Annotated[str, Field(min_length=1, max_length=200)]
RRule = Annotated[
    str,
    Field(
        min_length=6,
        max_length=500,
        examples=["FREQ=DAILY;BYHOUR=8;BYMINUTE=0"],
        description="An RFC 5545 RRULE, read in the schedule's timezone",
    ),
]
Dispatch = Literal["claim", "assign"]
DISPATCH_DESCRIPTION = (
    "`claim`: each task waits in the queue for someone to claim it (抢单); "
    "`assign`: each task goes to `assignee_id`"
)


class ScheduleCreate(RequestBody):
    title: str = Field(min_length=1, max_length=200)
    queue: Queue
    category: Category | None = None
    priority: Priority = Priority.NORMAL
    location: Location | None = None
    checklist: list[ChecklistItem] = Field(default_factory=list, max_length=50)
    rrule: RRule
    dtstart: AwareDatetime
    timezone: str = Field("Asia/Shanghai", max_length=64)
    dispatch: Dispatch | None = Field(
        None, description=DISPATCH_DESCRIPTION + "; by default `assign` when an assignee is given"
    )
    assignee_id: Id | None = None
    active: bool = True


class ScheduleUpdate(RequestBody):
    title: str | None = Field(None, min_length=1, max_length=200)
    category: Category | None = None
    priority: Priority | None = None
    location: Location | None = None
    checklist: list[ChecklistItem] | None = Field(None, max_length=50)
    rrule: RRule | None = None
    dtstart: AwareDatetime | None = None
    timezone: str | None = Field(None, max_length=64)
    dispatch: Dispatch | None = None
    assignee_id: Id | None = None
    active: bool | None = None


class ScheduleRead(BaseModel):
    id: str
    title: str
    queue: Queue
    category: str | None
    priority: Priority
    location: LocationRead
    checklist: list[str]
    rrule: str
    dtstart: datetime
    timezone: str
    dispatch: Dispatch = Field(description=DISPATCH_DESCRIPTION)
    assignee_id: str | None
    active: bool
    next_run_at: datetime | None = Field(description="null once the rule has no more occurrences")
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SchedulePage(Page[ScheduleRead]):
    pass


class ChecklistCheck(RequestBody):
    result: Literal["passed", "failed"]
    note: str | None = Field(None, max_length=1000)


__all__ = [
    "ChecklistCheck",
    "ChecklistItemRead",
    "ScheduleCreate",
    "SchedulePage",
    "ScheduleRead",
    "ScheduleUpdate",
]
