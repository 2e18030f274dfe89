"""Turning rows into response bodies, for the caller who asked (labels, masking, allowed actions)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import orjson
from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from workorders import i18n
from workorders.schemas import (
    AppointmentRead,
    ChecklistItemRead,
    CommentRead,
    EventData,
    OwnerRead,
    Reporter,
    RoutingInfo,
    StaffRead,
    TimeWindowRead,
    UnitRead,
)
from workorders.services import appointments, owner_view, principals
from workorders.services.access import OrderFields, allowed_actions
from workorders.services.directory import mask_phone, shows_phone_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from workorders.models import Comment, Owner, Staff
    from workorders.services.context import Asking, Context
    from workorders.services.feed import EventRow
    from workorders.services.principals import Person

# A `WorkOrderRead` as plain data (`_work_order`), for `FastJSON` to write.
OrderBody = dict[str, Any]
# An `EventRead` as plain data (`event`): for `FastJSON`, and for the live stream (`dumps`).
EventBody = dict[str, Any]
# The fields `EventRead` writes first in an event's `data`, in this order; the rest after them, as they
# come (stored as JSONB, `data` comes back from PostgreSQL with its keys in JSONB's order).
_EVENT_FACTS = tuple(EventData.__annotations__)

_CHECKLIST = TypeAdapter(list[ChecklistItemRead])
_TIME_WINDOW = TypeAdapter(TimeWindowRead)


@lru_cache(maxsize=4096)
def _routing_of(stored: bytes) -> dict[str, Any]:
    return RoutingInfo.model_validate_json(stored).model_dump(mode="json")


def _routing(stored: dict[str, Any]) -> dict[str, Any]:
    """An order's `routing` (JSON written when it was routed, in the shapes of every version since)
    as `RoutingInfo` writes it. Validating it was ~4% of a list page, and orders are read and listed
    again and again with the same routing: the answer is kept per stored JSON, shared by every body
    that shows it (no one changes a body once built). A decision just made may hold what JSON
    does not (a numpy float): `jsonable` writes it as it will be stored."""
    return _routing_of(orjson.dumps(stored, default=jsonable))


@lru_cache(maxsize=1024)
def _duration(seconds: int) -> str:
    """`seconds` as pydantic writes a `timedelta` (ISO 8601: `PT1H30M`), for orjson, which does not
    know durations."""
    return cast("str", jsonable(timedelta(seconds=seconds)))


def jsonable(value: Any) -> Any:
    """`value` as JSON data, the way pydantic writes it (`model_dump(mode="json")`): a model by its
    field names, a `timedelta` as an ISO 8601 duration, a datetime in UTC ending in `Z`."""
    return to_jsonable_python(value, by_alias=False)


def dumps(content: Any) -> bytes:
    """JSON written by orjson (UTF-8 as is, no spaces), as pydantic would write it: plain data
    (datetimes in UTC end in `Z`, as in pydantic's JSON) and, through `jsonable`, what orjson does
    not know (a pydantic model, a `timedelta`)."""
    return orjson.dumps(content, default=jsonable, option=orjson.OPT_UTC_Z)


class FastJSON(JSONResponse):
    """A response body written by `dumps`."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


def reply(
    content: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response body serialized once and not validated again: the presenters build it from rows
    the service just wrote or read."""
    return FastJSON(content, status_code=status_code, headers=headers)


def etag(resource: Any) -> dict[str, str]:
    """The `ETag` header of a versioned resource (an order, a rule, an order's body): its version,
    a strong tag."""
    version = resource["version"] if isinstance(resource, dict) else resource.version
    return {"ETag": f'"{version}"'}


def language(accept_language: str | None) -> str:
    """`zh-CN` or `en`, as `Accept-Language` prefers (i18n.negotiate); Chinese by default."""
    return i18n.negotiate(accept_language)


async def work_order(ctx: Context, order: OrderFields, lang: str = i18n.DEFAULT) -> OrderBody:
    """The order for the caller who asked, in `lang`. The assignee's card comes from the directory
    the request's token check already holds (services/principals.directory): no query of its own."""
    people = await principals.directory(ctx.session, order.property_id)
    return _work_order(ctx, order, lang, people)


def work_order_of(
    ctx: Asking, order: OrderFields, lang: str, people: Mapping[str, Person]
) -> OrderBody:
    """`work_order` with the directory of the order's property already looked up (`people`)."""
    return _work_order(ctx, order, lang, people)


async def page(
    ctx: Context, rows: Sequence[OrderFields], next_cursor: str | None, lang: str = i18n.DEFAULT
) -> dict[str, Any]:
    """A `WorkOrderPage` of `rows` for the caller who asked, in `lang`. A caller sees the orders of
    their own property alone (services/access.visible_to), so its directory is looked up once for
    the page, not once per order."""
    people = await principals.directory(ctx.session, ctx.principal.property_id) if rows else {}
    return page_of(ctx, rows, next_cursor, people, lang)


def page_of(
    ctx: Asking,
    rows: Sequence[OrderFields],
    next_cursor: str | None,
    people: Mapping[str, Person],
    lang: str = i18n.DEFAULT,
) -> dict[str, Any]:
    """`page` with the directory of the caller's property already looked up (`people`)."""
    return {
        "items": [_work_order(ctx, row, lang, people) for row in rows],
        "next_cursor": next_cursor,
    }


def _assignee(order: OrderFields, people: Mapping[str, Person]) -> dict[str, Any] | None:
    """An `AssigneeCard`."""
    if order.assignee_id is None:
        return None
    person = people.get(order.assignee_id)
    if person is None or person.name is None:
        # Only a race gets here (staff are deactivated, never deleted, and adding one raises the
        # revision the directory is cached under): the card names them by id alone.
        return {"id": order.assignee_id, "name": "", "department": None, "phone": None}
    return {
        "id": order.assignee_id,
        "name": person.name,
        "department": person.department,
        "phone": mask_phone(person.phone) if person.phone else None,
    }


def _appointment(ctx: Asking, order: OrderFields) -> dict[str, Any] | None:
    """The order's appointment card as JSON data (`AppointmentRead` writes it), for orjson."""
    if order.appointment is None:
        return None
    return appointment(ctx, order, order.appointment).model_dump(mode="json")


def appointment(ctx: Asking, order: OrderFields, shown: dict[str, Any]) -> AppointmentRead:
    """An appointment (its card, services/appointments.card) with what this caller may do with it."""
    steps = appointments.allowed_steps(ctx, order, shown)
    return AppointmentRead.model_validate(shown | {"allowed_actions": steps})


def _work_order(
    ctx: Asking, order: OrderFields, lang: str, people: Mapping[str, Person]
) -> OrderBody:
    """A `WorkOrderRead` as plain data, its fields in the schema's order, built from the row as it is
    and not validated again (tests/api/test_presenters.py holds it to the schema): validating the
    ~8 nested models of every order cost more CPU than reading it. What a row holds as JSON
    written elsewhere (its routing, preferred time, checklist) still goes through its model."""
    location = order.location
    labels = i18n.labels_for(order, lang)
    return {
        "id": order.id,
        "number": order.number,
        "property_id": order.property_id,
        "kind": order.kind,
        "category": order.category,
        "title": order.title,
        "description": order.description,
        "location": {
            "building": location.get("building"),
            "unit": location.get("unit"),
            "room": location.get("room"),
            "area": location.get("area"),
        },
        "preferred_time": (
            _TIME_WINDOW.dump_python(
                _TIME_WINDOW.validate_python(order.preferred_time), mode="json"
            )
            if order.preferred_time is not None
            else None
        ),
        "contact_phone": _contact_phone(ctx, order),
        "status": order.status,
        "status_label": labels["status"] or order.status,
        "queue": order.queue,
        "priority": order.priority,
        "assignee_id": order.assignee_id,
        "assignee": _assignee(order, people),
        "owner_id": order.owner_id,
        "reporter": {"type": order.reporter_type, "id": order.reporter_id},
        "channel": order.channel,
        "escalation_level": order.escalation_level,
        "parent_id": order.parent_id,
        "routing": _routing(order.routing),
        "sla": {
            "respond_by": order.respond_by,
            "start_by": order.start_by,
            "resolve_by": order.resolve_by,
            "responded_at": order.responded_at,
            "started_at": order.started_at,
            "resolved_at": order.resolved_at,
            "breached": order.breached,
            "paused_at": order.paused_at,
            "paused_for": _duration(order.paused_seconds or 0),
            "visit": (
                {"start": order.visit_start, "end": order.visit_end}
                if order.visit_start is not None and order.visit_end is not None
                else None
            ),
        },
        "rating": (
            {"score": order.rating_score, "comment": order.rating_comment}
            if order.rating_score is not None
            else None
        ),
        "resolution": order.resolution,
        "hold_reason": owner_view.order_field(ctx.principal, "hold_reason", order.hold_reason),
        "schedule_id": order.schedule_id,
        "checklist": (
            _CHECKLIST.dump_python(_CHECKLIST.validate_python(order.checklist), mode="json")
            if order.checklist is not None
            else None
        ),
        "version": order.version,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "closed_at": order.closed_at,
        "cancelled_at": order.cancelled_at,
        "allowed_actions": allowed_actions(ctx, order),
        "labels": labels,
        "appointment": _appointment(ctx, order),
    }


def _contact_phone(ctx: Asking, order: OrderFields) -> str | None:
    """Whole for the owner who gave it and the person sent to their door; masked for everyone else."""
    if order.contact_phone is None:
        return None
    principal = ctx.principal
    if principal.sub is not None and principal.sub in (order.owner_id, order.assignee_id):
        return order.contact_phone
    return mask_phone(order.contact_phone)


def event(row: EventRow) -> EventBody:
    """An `EventRead` as plain data, built from an Event or a row of its columns (the live stream's)
    and not validated again (tests/api/test_presenters.py holds it to the schema): with 50 live
    streams open, validating and writing each event through its model was 7.5 µs of the 11 µs its
    frame cost (bench/RESULTS.md, round 31)."""
    data = row.data
    return {
        "id": row.id,
        "type": row.type,
        "occurred_at": row.occurred_at,
        "work_order_id": row.work_order_id,
        "actor": {"type": row.actor_type, "id": row.actor_id},
        "data": {key: data[key] for key in _EVENT_FACTS if key in data} | data,
    }


def comment(row: Comment) -> CommentRead:
    return CommentRead(
        id=row.id,
        work_order_id=row.work_order_id,
        author=Reporter(type=row.author_type, id=row.author_id),
        body=row.body,
        visibility=row.visibility,
        created_at=row.created_at,
    )


def staff(row: Staff) -> StaffRead:
    return StaffRead.model_validate(row)


def owner(ctx: Context, row: Owner, *, revealed: bool = False) -> OwnerRead:
    whole = revealed or shows_phone_of(ctx.principal, row)
    return OwnerRead(
        id=row.id,
        name=row.name,
        phone=row.phone if whole else mask_phone(row.phone),
        units=[UnitRead(**unit) for unit in row.units],
        active=row.active,
    )
