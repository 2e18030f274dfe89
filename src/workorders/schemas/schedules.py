"""Bodies of scheduled work: recurring schedules, and the checklist of the tasks they produce."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

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
from workorders.schemas.strict import StrictBool, StrictDatetime, Unclearable, absent

ChecklistItem = Annotated[str, Field(min_length=1, max_length=200)]
Start = Annotated[
    StrictDatetime,
    Field(description="The rule's start: within a year before and ten years after the request"),
]
RRule = Annotated[
    str,
    Field(
        min_length=6,
        max_length=500,
        examples=["FREQ=DAILY;BYHOUR=8;BYMINUTE=0"],
        description=(
            "An RFC 5545 RRULE, read in the schedule's timezone; at most one occurrence an hour, "
            "COUNT at most 10000"
        ),
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
    dtstart: Start
    timezone: str = Field("Asia/Shanghai", max_length=64)
    dispatch: Dispatch | None = Field(
        None, description=DISPATCH_DESCRIPTION + "; by default `assign` when an assignee is given"
    )
    assignee_id: Id | None = None
    active: StrictBool = True


class ScheduleUpdate(RequestBody):
    """Only the fields sent change; null clears `category`, `location`, `dispatch` (back to the
    default) and `assignee_id`, and nothing else."""

    title: Unclearable[Annotated[str, Field(min_length=1, max_length=200)]] = absent()
    category: Category | None = None
    priority: Unclearable[Priority] = absent()
    location: Location | None = None
    checklist: Unclearable[Annotated[list[ChecklistItem], Field(max_length=50)]] = absent()
    rrule: Unclearable[RRule] = absent()
    dtstart: Unclearable[Start] = absent()
    timezone: Unclearable[Annotated[str, Field(max_length=64)]] = absent()
    dispatch: Dispatch | None = None
    assignee_id: Id | None = None
    active: Unclearable[StrictBool] = absent()


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
