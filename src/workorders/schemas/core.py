"""Request and response bodies, named by intent. Request bodies forbid unknown fields."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
    with_config,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from workorders.domain.actors import ActorType
from workorders.domain.appointments import AppointmentStatus
from workorders.domain.lifecycle import Action, Status
from workorders.domain.taxonomy import CATEGORIES, Channel, Department, Kind, Priority, Queue
from workorders.errors import _
from workorders.refusals import CONTROL_ERROR, CONTROL_MESSAGE, first_control_path
from workorders.schemas.strict import StrictBool, StrictDatetime

PHONE_PATTERN = r"^\+?[0-9][0-9 -]{4,18}[0-9]$"
# Some character that is not white space (unanchored): text made of spaces and line feeds says nothing.
NOT_BLANK = r"\S"

Phone = Annotated[str, Field(pattern=PHONE_PATTERN, examples=["13812345678"])]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=NOT_BLANK)]
ShortText = Annotated[str, Field(min_length=1, max_length=100)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


# The known categories as an enum, so that the OpenAPI document (and every SDK) lists them.
Category = StrEnum("Category", {name: name for name in CATEGORIES})  # type: ignore[misc]


class RequestBody(BaseModel):
    """Every request body: unknown fields refused, and no control character in any string, however
    deep (a refusal names the JSON path, e.g. `location.room` or `checklist.2`)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        found = first_control_path(value)
        if found is not None:
            # The handler (problems.py) appends `path` to the field's JSON path.
            raise PydanticCustomError(CONTROL_ERROR, CONTROL_MESSAGE, {"path": found})
        return value


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- work orders ---------------------------------------------------------------------------------


class Location(RequestBody):
    building: str | None = Field(None, max_length=40)
    unit: str | None = Field(None, max_length=40)
    room: str | None = Field(None, max_length=40)
    area: str | None = Field(None, max_length=100, description="A public area, e.g. 地下车库")


class TimeWindow(RequestBody):
    start: StrictDatetime
    end: StrictDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(_("end must be after start"))
        return self


class WorkOrderCreate(RequestBody):
    description: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    title: str | None = Field(None, min_length=1, max_length=200, pattern=NOT_BLANK)
    category: Category | None = None
    kind: Kind | None = None
    location: Location | None = None
    preferred_time: TimeWindow | None = None
    contact_phone: Phone | None = None
    # Staff filing on an owner's behalf; owners may not send these.
    owner_id: Id | None = None
    channel: Channel | None = None
    priority: Priority | None = None


class Reporter(BaseModel):
    type: ActorType
    id: str | None


class Suggestion(BaseModel):
    queue: Queue
    confidence: float = Field(ge=0, le=1)


class RoutingDecision(BaseModel):
    """Why an order went where it went: a rule, the model, or neither (triage, with suggestions).
    The order's `routing` and the preview's; `schemas.routing` is where the routing API names it."""

    source: Literal["rule", "model", "triage"] | None = None
    rule_id: str | None = None
    rule_name: str | None = None
    model_version: str | None = None
    confidence: float | None = Field(None, ge=0, le=1)
    evidence: list[str] = Field(
        default_factory=list, description="The words of the request that decided it"
    )
    reason: str = ""
    suggestions: list[Suggestion] = Field(
        default_factory=list, description="For triage: the best two queues, best first"
    )

    @model_validator(mode="after")
    def _source_of_older_orders(self) -> Self:
        # Orders routed before decisions named their source had a rule, or none (triage).
        if self.source is None:
            self.source = "rule" if self.rule_id is not None else "triage"
        return self


RoutingInfo = RoutingDecision


class TimeWindowRead(BaseModel):
    start: datetime
    end: datetime


class SlaInfo(BaseModel):
    respond_by: datetime | None
    start_by: datetime | None
    resolve_by: datetime | None
    responded_at: datetime | None
    started_at: datetime | None
    resolved_at: datetime | None
    breached: list[str]
    paused_at: datetime | None = Field(None, description="Since when the clocks stand (on hold)")
    paused_for: timedelta = Field(
        timedelta(0), description="Time spent on hold so far; the deadlines moved by as much"
    )
    visit: TimeWindowRead | None = Field(
        None, description="The visit window the owner accepted; the deadlines count on it"
    )


class ChecklistItemRead(BaseModel):
    item: str
    result: Literal["passed", "failed"] | None = None
    note: str | None = None
    checked_by: str | None = None
    checked_at: datetime | None = None
    follow_up_id: str | None = Field(
        None, description="The order a failed item opened to fix it (its `parent_id` is this task)"
    )


class Rating(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None = None


class LocationRead(BaseModel):
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    area: str | None = None


class AssigneeCard(BaseModel):
    """Who is coming: the assignee as the owner may see them."""

    id: str
    name: str
    department: Department | None
    phone: str | None = Field(description="Masked (138****5678); null when the directory has none")


class OrderLabels(BaseModel):
    """The order's values in the request's language (`Accept-Language`: `zh-CN` default, `en`)."""

    status: str
    queue: str
    priority: str
    kind: str
    category: str | None


# --- appointments --------------------------------------------------------------------------------


AppointmentAction = Literal["accept", "decline", "withdraw"]


class AppointmentCreate(RequestBody):
    """A visit window the assigned staff member proposes to the owner."""

    start: StrictDatetime = Field(description="In the future, within 60 days")
    end: StrictDatetime = Field(description="After `start`, at most 8 hours later")
    message: str | None = Field(None, max_length=1000, description="For the owner to read")


class AppointmentDeclineBody(RequestBody):
    """The owner asks for another time, optionally saying which."""

    message: str | None = Field(None, max_length=1000, description="For the staff to read")
    preferred_time: TimeWindow | None = Field(None, description="A window that suits the owner")


class AppointmentWithdrawBody(RequestBody):
    message: str | None = Field(None, max_length=1000, description="For the owner to read")


class AppointmentRead(BaseModel):
    id: str
    work_order_id: str
    status: AppointmentStatus
    start: datetime
    end: datetime
    message: str | None = Field(description="The proposer's words to the owner")
    proposed_by: Reporter
    created_at: datetime
    reply: str | None = Field(description="The owner's words when asking for another time")
    preferred_time: TimeWindowRead | None = Field(
        description="The window the owner would rather have"
    )
    answered_by: Reporter | None
    answered_at: datetime | None
    allowed_actions: list[AppointmentAction] = Field(
        description="What this caller may do with the appointment now"
    )


class AppointmentPage(BaseModel):
    items: list[AppointmentRead]
    next_cursor: str | None


class WorkOrderRead(BaseModel):
    id: str
    number: str
    property_id: str
    kind: Kind
    category: Category | None
    title: str
    description: str
    location: LocationRead
    preferred_time: TimeWindowRead | None
    contact_phone: str | None = Field(
        description="Whole for the owner and the assignee, masked (138****5678) for others"
    )
    status: Status
    status_label: str
    queue: Queue
    priority: Priority
    assignee_id: str | None
    assignee: AssigneeCard | None = Field(description="Who is coming (null until assigned)")
    owner_id: str | None
    reporter: Reporter
    channel: Channel
    escalation_level: int
    parent_id: str | None
    routing: RoutingInfo
    sla: SlaInfo
    rating: Rating | None
    resolution: str | None
    hold_reason: str | None
    schedule_id: str | None
    checklist: list[ChecklistItemRead] | None = Field(
        None, description="A scheduled task's checklist (null for other orders)"
    )
    version: int
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    cancelled_at: datetime | None
    allowed_actions: list[Action]
    labels: OrderLabels
    appointment: AppointmentRead | None = Field(
        description="The latest visit appointment (its `status` says where it stands), or null"
    )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class WorkOrderPage(Page[WorkOrderRead]):
    pass


# --- actions -------------------------------------------------------------------------------------


class NoBody(RequestBody):
    """Actions that need no parameters take `{}` (or no body at all)."""

    model_config = ConfigDict(title="NoBody", json_schema_extra={"examples": [{}]})


class RouteBody(RequestBody):
    queue: Queue
    priority: Priority | None = None
    note: str | None = Field(None, max_length=1000)


class AssignBody(RequestBody):
    assignee_id: Id


class ReasonBody(RequestBody):
    reason: Reason


class ResolveBody(RequestBody):
    resolution: str = Field(min_length=1, max_length=2000)


class ConfirmBody(RequestBody):
    rating: int | None = Field(None, ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


# --- comments and events -------------------------------------------------------------------------


class CommentCreate(RequestBody):
    body: str = Field(min_length=1, max_length=4000, pattern=NOT_BLANK)
    visibility: Literal["public", "internal"] = "public"


class CommentRead(ResponseBody):
    id: str
    work_order_id: str
    author: Reporter
    body: str
    visibility: Literal["public", "internal"]
    created_at: datetime


class CommentList(Page[CommentRead]):
    pass


class EventActor(BaseModel):
    type: ActorType
    id: str | None


@with_config(ConfigDict(extra="allow"))
class EventData(TypedDict, total=False):
    """The thin facts of the order after the change (no owner name or phone); some types add more
    (`deadline` on SLA events, `reason` on staff-visible ones, `recipient` on notifications)."""

    number: str
    status: str
    previous_status: str | None
    queue: str
    priority: str
    category: str | None
    kind: str
    assignee_id: str | None
    escalation_level: int
    version: int


class EventRead(BaseModel):
    id: str
    type: str
    occurred_at: datetime
    work_order_id: str | None
    actor: EventActor
    data: EventData


class EventList(BaseModel):
    items: list[EventRead]


# --- queues --------------------------------------------------------------------------------------


class QueueSummary(BaseModel):
    queue: Queue
    label: str
    open: int
    unassigned: int
    overdue: int


class QueueList(BaseModel):
    items: list[QueueSummary]


# --- staff ---------------------------------------------------------------------------------------

StaffRole = Literal["staff", "supervisor", "manager"]
Skill = Annotated[str, Field(min_length=1, max_length=40)]


class StaffCreate(RequestBody):
    name: ShortText
    department: Department | None = None
    role: StaffRole
    skills: list[Skill] = Field(default_factory=list, max_length=30)
    on_duty: bool = True
    max_open: int = Field(5, ge=0, le=100)
    phone: Phone | None = None

    @model_validator(mode="after")
    def _department_unless_manager(self) -> Self:
        if self.role != "manager" and self.department is None:
            raise ValueError(_("department is required for staff and supervisors"))
        return self


class StaffUpdate(RequestBody):
    """Only what can be cleared is nullable (`phone`; `department`, for a manager): a null anywhere
    else is a 422, not a column set to NULL."""

    name: ShortText = None  # type: ignore[assignment]
    department: Department | None = None
    role: StaffRole = None  # type: ignore[assignment]
    skills: list[Skill] = Field(None, max_length=30)  # type: ignore[arg-type]
    on_duty: bool = None  # type: ignore[assignment]
    max_open: int = Field(None, ge=0, le=100)  # type: ignore[assignment]
    phone: Phone | None = None
    active: StrictBool = Field(  # type: ignore[assignment]
        None,
        description="false: the person's tokens are refused from the next request on",
    )


class StaffRead(ResponseBody):
    id: str
    name: str
    department: Department | None
    role: StaffRole
    skills: list[str]
    on_duty: bool
    max_open: int
    phone: str | None
    active: bool = True


class StaffPage(Page[StaffRead]):
    pass


# --- owners --------------------------------------------------------------------------------------


class OwnerUnit(RequestBody):
    building: str = Field(min_length=1, max_length=40)
    unit: str | None = Field(None, max_length=40)
    room: str = Field(min_length=1, max_length=40)


# The name the code has always used; the schema is `OwnerUnit`, since a schema with a field named
# like itself (`Unit.unit`) breaks `mypy --strict` in the generated clients.
Unit = OwnerUnit


class OwnerCreate(RequestBody):
    name: ShortText
    phone: Phone
    units: list[Unit] = Field(default_factory=list, max_length=20)


class OwnerUpdate(RequestBody):
    """Nothing of an owner's record can be cleared: a null is a 422."""

    name: ShortText = None  # type: ignore[assignment]
    phone: Phone = None  # type: ignore[assignment]
    units: list[Unit] = Field(None, max_length=20)  # type: ignore[arg-type]
    active: StrictBool = Field(  # type: ignore[assignment]
        None,
        description="false: the owner's tokens are refused from the next request on",
    )


class UnitRead(BaseModel):
    building: str
    unit: str | None = None
    room: str


class OwnerRead(BaseModel):
    id: str
    name: str
    phone: str = Field(description="Masked (138****5678) unless read by the owner or revealed")
    units: list[UnitRead]
    active: bool = True


class OwnerPage(Page[OwnerRead]):
    pass


class RevealBody(RequestBody):
    reason: Reason


# --- problems ------------------------------------------------------------------------------------


class ProblemFieldError(BaseModel):
    field: str
    message: str


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/invalid-transition"])
    title: str
    status: int
    detail: str
    # Absent on the wire when they do not apply: optional, never null.
    instance: str | SkipJsonSchema[None] = Field(None, json_schema_extra=_no_default)
    errors: list[ProblemFieldError] | SkipJsonSchema[None] = Field(
        None, description="Validation errors, one per field", json_schema_extra=_no_default
    )
    allowed_actions: list[Action] | SkipJsonSchema[None] = Field(
        None,
        description="On an invalid transition: what this caller may do now",
        json_schema_extra=_no_default,
    )
    who_can: list[str] | SkipJsonSchema[None] = Field(
        None,
        description=(
            "On a 403 for an action: who may take it now (`customer_service`, `cs_supervisor`, "
            "`supervisor`, `manager`, …), so the app can say whom to ask"
        ),
        json_schema_extra=_no_default,
    )
