"""Routing rules, the routing preview, queue dispatch settings and follow-ups, as the API speaks them.

`RuleWhen` and `RuleThen` are also the shapes stored in `routing_rules.when`/`then`, so a stored rule is
read back through the same validation as a posted one and turned into the domain's When/Then here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StrictInt, model_validator

from workorders.domain.default_rules import Pair, Rule, Then, When
from workorders.domain.dispatch import Strategy
from workorders.domain.taxonomy import Channel, Kind, Priority, Queue
from workorders.errors import _
from workorders.schemas.core import (
    Category,
    Location,
    Page,
    Reason,
    RequestBody,
    RoutingDecision,
    ShortText,
    Skill,
    WorkOrderCreate,
)
from workorders.schemas.strict import StrictBool, StrictDatetime, Unclearable, absent

Word = Annotated[str, Field(min_length=1, max_length=40, pattern=r"\S")]
Words = Annotated[list[Word], Field(max_length=200)]


class WordPair(RequestBody):
    """Any subject and any action anywhere in the text, e.g. 狗 … 叫."""

    subjects: Annotated[list[Word], Field(min_length=1, max_length=100)]
    actions: Annotated[list[Word], Field(min_length=1, max_length=100)]


class Hours(RequestBody):
    """Local hours [start, end); a window that wraps midnight (22 to 6) means the night."""

    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=24)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError(_("start and end must differ (the window would be empty)"))
        return self


class RuleWhen(RequestBody):
    """Every condition given must hold; the text holds when any keyword or any pair is found."""

    categories: list[Category] = Field(default_factory=list, max_length=50)
    kinds: list[Kind] = Field(default_factory=list, max_length=10)
    keywords: Words = Field(default_factory=list)
    pairs: list[WordPair] = Field(default_factory=list, max_length=20)
    exclude_keywords: Words = Field(default_factory=list)
    buildings: Words = Field(default_factory=list)
    areas: Words = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list, max_length=10)
    hours: Hours | None = None

    def to_domain(self) -> When:
        return When(
            categories=tuple(self.categories),
            kinds=tuple(self.kinds),
            keywords=tuple(self.keywords),
            exclude_keywords=tuple(self.exclude_keywords),
            channels=tuple(str(c) for c in self.channels),
            hours=(self.hours.start, self.hours.end) if self.hours else None,
            pairs=tuple(Pair(tuple(p.subjects), tuple(p.actions)) for p in self.pairs),
            buildings=tuple(self.buildings),
            areas=tuple(self.areas),
        )

    @classmethod
    def from_domain(cls, when: When) -> RuleWhen:
        hours = Hours(start=when.hours[0], end=when.hours[1]) if when.hours else None
        return cls(
            categories=list(when.categories),
            kinds=list(when.kinds),
            keywords=list(when.keywords),
            pairs=[
                WordPair(subjects=list(p.subjects), actions=list(p.actions)) for p in when.pairs
            ],
            exclude_keywords=list(when.exclude_keywords),
            buildings=list(when.buildings),
            areas=list(when.areas),
            channels=[Channel(c) for c in when.channels],
            hours=hours,
        )


class RuleThen(RequestBody):
    queue: Queue
    priority: Priority | None = None
    category: Category | None = None
    kind: Kind | None = None
    dispatch: Strategy | None = Field(None, description="None: the queue's own strategy")
    skills: list[Skill] = Field(default_factory=list, max_length=10)

    def to_domain(self) -> Then:
        return Then(
            queue=self.queue,
            priority=self.priority,
            category=self.category,
            kind=self.kind,
            dispatch=self.dispatch,
            skills=tuple(self.skills),
        )

    @classmethod
    def from_domain(cls, then: Then) -> RuleThen:
        return cls(
            queue=then.queue,
            priority=then.priority,
            category=then.category,
            kind=then.kind,
            dispatch=then.dispatch,
            skills=list(then.skills),
        )


def stored(model: BaseModel) -> dict:
    """The JSON kept in the database: only what was given, so defaults can change later."""
    return model.model_dump(mode="json", exclude_defaults=True)


def domain_rule(rule_id: str, name: str, when: dict, then: dict) -> Rule:
    return Rule(
        id=rule_id,
        name=name,
        when=RuleWhen.model_validate(when).to_domain(),
        then=RuleThen.model_validate(then).to_domain(),
    )


class RoutingRuleCreate(RequestBody):
    name: ShortText
    when: RuleWhen = Field(default_factory=RuleWhen)
    then: RuleThen
    enabled: bool = True
    position: StrictInt | None = Field(
        None, ge=0, description="0 is tried first; omitted: after every existing rule"
    )


class RoutingRuleUpdate(RequestBody):
    """Every field may be left out; none may be cleared (an explicit null is a 422)."""

    name: Unclearable[ShortText] = absent()
    when: Unclearable[RuleWhen] = absent()
    then: Unclearable[RuleThen] = absent()
    enabled: Unclearable[StrictBool] = absent()
    position: Unclearable[Annotated[StrictInt, Field(ge=0)]] = absent(
        description="Move the rule; the others shift"
    )


class RoutingRuleRead(BaseModel):
    id: str = Field(description="A default rule's id is stable across upgrades (`default…`)")
    name: str
    position: int
    version: int
    enabled: bool
    when: RuleWhen
    then: RuleThen
    origin: Literal["default", "property"] = Field(
        description="`default`: shipped with the service (upgrades reach it unless edited); "
        "`property`: the property's own rule"
    )
    edited: bool = Field(
        description="The property changed or disabled this default (DELETE restores it); "
        "always true for the property's own rules"
    )
    created_at: datetime
    updated_at: datetime


class RoutingRulePage(Page[RoutingRuleRead]):
    pass


# --- preview ---------------------------------------------------------------------------------------


class RoutingPreviewBody(WorkOrderCreate):
    at: StrictDatetime | None = Field(
        None, description="Route as if filed at this time (night rules); default now"
    )


class RuleRef(BaseModel):
    id: str
    name: str


class RoutingPreview(BaseModel):
    queue: Queue
    priority: Priority
    category: str | None
    kind: Kind
    status: Literal["queued", "triage"]
    rule: RuleRef | None
    reason: str
    dispatch: Strategy | None = Field(description="How the queue would hand it out")
    skills: list[str]
    routing: RoutingDecision = Field(description="The decision as it would be stored on the order")


# --- learning ----------------------------------------------------------------------------------------


class RoutingExampleRead(BaseModel):
    work_order_id: str
    description: str
    queue: Queue
    priority: Priority
    source: Literal["route"]
    created_at: datetime


class RoutingExamplePage(Page[RoutingExampleRead]):
    pass


class RoutingModelRead(BaseModel):
    version: str
    origin: Literal["package", "property"] = Field(
        description="`package`: the default model shipped with the service"
    )
    active: bool
    created_at: datetime | None
    figures: dict[str, Any] | None = Field(
        description="Evaluation on held-out examples: `held_out` (this model), `baseline` (the "
        "model active when it was trained), `activated`, `reason`"
    )
    trained_on: dict[str, Any] | None = Field(
        description="How many corpus lines and property examples it learned from"
    )


class RoutingModelPage(Page[RoutingModelRead]):
    pass


class ProposedRule(RequestBody):
    id: str | None = Field(None, max_length=64, description="Kept in the answer's examples")
    name: ShortText
    when: RuleWhen = Field(default_factory=RuleWhen)
    then: RuleThen
    enabled: bool = True


class BacktestBody(RequestBody):
    rules: list[ProposedRule] | None = Field(
        None, max_length=500, description="The whole rule list to try, in order; omitted: as now"
    )
    model_version: str | None = Field(
        None, max_length=100, description="A model version to try; omitted: the active one"
    )
    since: StrictDatetime | None = Field(None, description="Default: 90 days ago")


class MovedOrder(BaseModel):
    work_order_id: str
    from_: Queue = Field(alias="from")
    to: Queue

    model_config = {"populate_by_name": True}


class BacktestResult(BaseModel):
    orders: int = Field(description="Orders replayed (the most recent ones, at most `limit`)")
    moved: int
    matrix: dict[str, dict[str, int]] = Field(
        description="From the queue the current configuration gives to the proposed one, for moved "
        "orders"
    )
    examples: list[MovedOrder]
    since: datetime
    limit: int
    truncated: bool = Field(description="More orders than `limit` were filed since `since`")


# --- queue dispatch --------------------------------------------------------------------------------


class QueueDispatchUpdate(RequestBody):
    strategy: Strategy


class QueueDispatchRead(BaseModel):
    queue: Queue
    strategy: Strategy
    last_assignee_id: str | None


class QueueDispatchList(BaseModel):
    items: list[QueueDispatchRead]


# --- follow-ups ------------------------------------------------------------------------------------


class FollowUpCreate(RequestBody):
    queue: Queue
    description: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(None, min_length=1, max_length=200)
    category: Category | None = None
    priority: Priority | None = None
    location: Location | None = Field(None, description="Default: the parent's location")
    note: Reason | None = Field(None, description="Why the other department is needed")
