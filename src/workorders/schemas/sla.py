"""Bodies of the deadline resources: SLA policies, service settings (working calendar, return-visit
policy) and return visits. Durations are ISO 8601 (`"PT15M"`, `"P3D"`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal, Self

from pydantic import BaseModel, Field, model_validator

from workorders.domain.taxonomy import Priority
from workorders.errors import _
from workorders.schemas.core import Category, Page, RequestBody
from workorders.schemas.strict import StrictBool, Unclearable, absent

Duration = Annotated[
    timedelta,
    Field(gt=timedelta(0), le=timedelta(days=366), examples=["PT15M", "PT4H", "P3D"]),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ReturnVisitPolicy = Literal["always", "unrated", "never"]


def _ordered(respond: timedelta | None, start: timedelta | None, resolve: timedelta | None) -> None:
    if respond is not None and start is not None and start < respond:
        raise ValueError(_("start_within may not be shorter than respond_within"))
    if start is not None and resolve is not None and resolve < start:
        raise ValueError(_("resolve_within may not be shorter than start_within"))


class SlaPolicyCreate(RequestBody):
    priority: Priority
    category: Category | None = Field(
        None, description="A category policy wins over its priority's"
    )
    respond_within: Duration = Field(description="Until first assigned or claimed")
    start_within: Duration
    resolve_within: Duration
    use_calendar: StrictBool = Field(
        False, description="Count only the property's working hours (when it has a calendar)"
    )

    @model_validator(mode="after")
    def _windows_in_order(self) -> Self:
        _ordered(self.respond_within, self.start_within, self.resolve_within)
        return self


class SlaPolicyUpdate(RequestBody):
    """Only the fields sent change; none can be cleared."""

    respond_within: Unclearable[Duration] = absent()
    start_within: Unclearable[Duration] = absent()
    resolve_within: Unclearable[Duration] = absent()
    use_calendar: Unclearable[StrictBool] = absent()


class SlaPolicyRead(BaseModel):
    id: str
    priority: Priority
    category: str | None
    respond_within: timedelta
    start_within: timedelta
    resolve_within: timedelta
    use_calendar: bool


class SlaPolicyPage(Page[SlaPolicyRead]):
    pass


class WorkingCalendarBody(RequestBody):
    timezone: str = Field("Asia/Shanghai", max_length=64)
    hours: dict[Weekday, list[tuple[time, time]]] = Field(
        description='Working periods per weekday, e.g. {"mon": [["08:30", "12:00"], '
        '["13:30", "17:30"]]}; a weekday left out is not worked'
    )
    holidays: list[date] = Field(default_factory=list, max_length=400)
    workdays: list[date] = Field(
        default_factory=list,
        max_length=100,
        description="Make-up workdays (调休), worked with Monday's hours",
    )


class SlaSettingsRead(BaseModel):
    return_visit_policy: ReturnVisitPolicy
    calendar: WorkingCalendarBody | None
    auto_close_after: timedelta = Field(
        description="A resolved order the owner does not confirm closes after this "
        "(WORKORDERS_AUTO_CLOSE_AFTER)"
    )


class SlaSettingsUpdate(RequestBody):
    return_visit_policy: Unclearable[ReturnVisitPolicy] = absent()
    calendar: WorkingCalendarBody | None = Field(
        None, description="null: deadlines run around the clock"
    )


# --- return visits (回访) -------------------------------------------------------------------------

ReturnVisitStatus = Literal["pending", "done", "skipped"]
ReturnVisitOutcome = Literal["satisfied", "unsatisfied", "unreachable"]


class ReturnVisitRead(BaseModel):
    id: str
    work_order_id: str
    reason: Literal["policy", "low_rating"] = Field(
        description="`policy`: the property's return-visit policy; `low_rating`: a rating of 1 or 2"
    )
    status: ReturnVisitStatus
    outcome: ReturnVisitOutcome | None
    score: int | None
    note: str | None
    visited_by: str | None
    closed_at: datetime
    created_at: datetime
    completed_at: datetime | None


class ReturnVisitPage(Page[ReturnVisitRead]):
    pass


class ReturnVisitComplete(RequestBody):
    outcome: ReturnVisitOutcome
    score: int | None = Field(None, ge=1, le=5, description="The owner's satisfaction, if given")
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _score_needs_contact(self) -> Self:
        if self.outcome == "unreachable" and self.score is not None:
            raise ValueError(_("an owner who was not reached gave no score"))
        return self
