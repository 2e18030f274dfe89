"""What an order looks like to the lifecycle and who may see it: shared by filing, dispatch and the
transition code, so that none of them imports another for it (the three used to import in a circle).
It imports only the domain and the models."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable
from functools import cache, lru_cache, partial
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, or_, select, true

from workorders.domain import lifecycle
from workorders.domain.actors import Principal, Role
from workorders.domain.dispatch import Strategy
from workorders.domain.lifecycle import Action, OrderFacts, Status
from workorders.domain.taxonomy import Queue
from workorders.models import WorkOrder

if TYPE_CHECKING:
    from datetime import datetime

    from workorders.services.context import Asking


class OrderFields(Protocol):
    """An order's fields as the presenters and the access rules read them: a `WorkOrder` (the write
    paths present the instance they changed) or an `order_row` (the read paths select the table's
    columns and present the row's values: no ORM instance built only to be read). The mapped
    attributes' names are the columns' keys (tests/unit/test_order_fields.py holds that)."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def property_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def location(self) -> dict[str, Any]: ...
    @property
    def preferred_time(self) -> dict[str, Any] | None: ...
    @property
    def appointment(self) -> dict[str, Any] | None: ...
    @property
    def contact_phone(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def assignee_id(self) -> str | None: ...
    @property
    def owner_id(self) -> str | None: ...
    @property
    def reporter_type(self) -> str: ...
    @property
    def reporter_id(self) -> str | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def escalation_level(self) -> int: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def schedule_id(self) -> str | None: ...
    @property
    def routing(self) -> dict[str, Any]: ...
    @property
    def dispatch(self) -> str | None: ...
    @property
    def respond_by(self) -> datetime | None: ...
    @property
    def start_by(self) -> datetime | None: ...
    @property
    def resolve_by(self) -> datetime | None: ...
    @property
    def responded_at(self) -> datetime | None: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def cancelled_at(self) -> datetime | None: ...
    @property
    def breached(self) -> list[str]: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def paused_seconds(self) -> int: ...
    @property
    def visit_start(self) -> datetime | None: ...
    @property
    def visit_end(self) -> datetime | None: ...
    @property
    def checklist(self) -> list[dict[str, Any]] | None: ...
    @property
    def hold_reason(self) -> str | None: ...
    @property
    def resolution(self) -> str | None: ...
    @property
    def rating_score(self) -> int | None: ...
    @property
    def rating_comment(self) -> str | None: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


# What decides the shape of the visibility condition: sees the whole property, is an owner, is
# department staff, is named (has a directory id).
Shape = tuple[bool, bool, bool, bool]


def _shape(principal: Principal) -> Shape:
    return (
        principal.sees_whole_property,
        principal.role is Role.OWNER,
        principal.is_department_staff,
        principal.sub is not None,
    )


def _visibility(shape: Shape, property_id: Any, sub: Any, dept: Any) -> ColumnElement[bool]:
    """The Roles table of API.md as SQL, for a principal of this shape; the values are Python values
    or bound parameters.

    An owner sees the orders filed as theirs; staff their queue's, their own, and those they opened
    themselves (a follow-up sent to another department)."""
    whole, owner, department, named = shape
    in_property = WorkOrder.property_id == property_id
    if whole:
        return in_property
    if owner:
        return and_(in_property, WorkOrder.owner_id == sub)
    if department:
        mine = [WorkOrder.queue == dept]
        if named:
            mine.append(WorkOrder.assignee_id == sub)
            mine.append(WorkOrder.reporter_id == sub)
        return and_(in_property, or_(*mine))
    return false()


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition for the orders `principal` may see (the Roles table of API.md)."""
    return _visibility(_shape(principal), principal.property_id, principal.sub, str(principal.dept))


# The `work_orders` table's columns, for the reads that only present an order (`visible_rows`).
ORDER_ROWS = select(WorkOrder.__table__)

# A row of `ORDER_ROWS` as a named tuple, its fields read by C code (`_tuplegetter`): a SQLAlchemy
# `Row`'s attribute goes through its Python `__getattr__` after a failed lookup, which cost more
# instructions per field than the ORM's descriptor (a read measured 3.26M against 2.90M). Made
# from the row's values by `tuple.__new__` alone. mypy cannot follow a namedtuple of computed
# fields, hence `Any`; `OrderFields` is what it is read as.
_namedtuple: Any = namedtuple
_ORDER_ROW = _namedtuple("OrderRow", [c.key for c in ORDER_ROWS.selected_columns])
_new_order_row: Callable[[Iterable[Any]], OrderFields] = partial(tuple.__new__, _ORDER_ROW)


def order_row(row: Iterable[Any]) -> OrderFields:
    """A row of `ORDER_ROWS` (its values in the table's column order) as an order's fields."""
    return _new_order_row(row)


@cache
def _visible(shape: Shape, *, rows: bool, one: bool) -> Select[Any]:
    """The query for the orders a principal of `shape` may see, its values bound later: built once
    per shape (building the condition was ~7% of a list page, about a tenth of a read). As ORM
    instances (to change them) or as the table's rows (`ORDER_ROWS`, to present them); one order
    (`order_id` bound) or all."""
    condition = _visibility(shape, bindparam("property_id"), bindparam("sub"), bindparam("dept"))
    query = ORDER_ROWS if rows else select(WorkOrder)
    if not one:
        return query.where(condition)
    # One order is found by its key, and only then tested. Given the test as index conditions too,
    # PostgreSQL priced an index on (property_id, owner_id) the same as the key while its statistics
    # were stale (a burst of filings, before autovacuum analysed them) and read every order of the
    # owner or the property to find this one: 5,640 rows for one read, 0.8 ms of the database's CPU
    # (bench/RESULTS.md, round 12). `IS TRUE` keeps the test out of the index choice.
    return query.where(WorkOrder.id == bindparam("order_id"), condition.is_(true()))


def _params(principal: Principal) -> dict[str, Any]:
    return {"property_id": principal.property_id, "sub": principal.sub, "dept": str(principal.dept)}


def visible_order(principal: Principal, order_id: str) -> tuple[Select[WorkOrder], dict[str, Any]]:
    """The query for one order if `principal` may see it (`visible_to`), as an ORM instance to
    change, and its parameters."""
    return _visible(_shape(principal), rows=False, one=True), _params(principal) | {
        "order_id": order_id
    }


def visible_rows(principal: Principal) -> tuple[Select[Any], dict[str, Any]]:
    """The orders `principal` may see as the table's rows (`order_row`, to present), and the
    query's parameters."""
    return _visible(_shape(principal), rows=True, one=False), _params(principal)


def visible_row(principal: Principal, order_id: str) -> tuple[Select[Any], dict[str, Any]]:
    """`visible_order` as the table's row (`order_row`, to present), not an ORM instance."""
    return _visible(_shape(principal), rows=True, one=True), _params(principal) | {
        "order_id": order_id
    }


def facts(order: OrderFields) -> OrderFacts:
    return OrderFacts(
        status=Status(order.status),
        queue=Queue(order.queue),
        owner_id=order.owner_id,
        assignee_id=order.assignee_id,
        closed_at=order.closed_at,
    )


def claimable(order: OrderFields) -> bool:
    """Whether the order's strategy lets staff claim it (for drawing the claim button)."""
    return order.dispatch != Strategy.MANUAL


def allowed_actions(ctx: Asking, order: OrderFields) -> list[Action]:
    """The actions the caller may take on `order` now, in table order (for drawing buttons)."""
    principal = ctx.principal
    sub = principal.sub
    return list(
        _allowed_actions(
            principal,
            order.status,
            order.queue,
            sub is not None and sub == order.owner_id,
            sub is not None and sub == order.assignee_id,
            lifecycle.reopenable(
                order.status, order.closed_at, ctx.now, ctx.settings.reopen_window
            ),
            claimable(order),
        )
    )


@lru_cache(maxsize=4096)
def _allowed_actions(
    principal: Principal,
    status: str,
    queue: str,
    owns: bool,
    assigned: bool,
    reopenable: bool,
    claimable: bool,
) -> tuple[Action, ...]:
    """`allowed_actions` on what it depends on: how the caller stands to the order (`owns`, `assigned`
    and the queue: lifecycle.relations), its status, its reopen window and its strategy. Worked out
    once per combination and caller, not for each order of every page (building the order's facts
    and the caller's relations to it was ~5% of a list page)."""
    standing = OrderFacts(
        status=Status(status),
        queue=Queue(queue),
        owner_id=principal.sub if owns else None,
        assignee_id=principal.sub if assigned else None,
    )
    allowed = lifecycle.allowed(
        standing.status, reopenable, lifecycle.relations(principal, standing)
    )
    if not claimable:
        return tuple(a for a in allowed if a is not Action.CLAIM)
    return allowed


# An order's (owner_id, queue, assignee_id, reporter_id): what decides who sees it (`sees`).
OrderAccess = tuple[str | None, str, str | None, str | None]


def sees(principal: Principal, property_id: str, order: OrderAccess | None) -> bool:
    """`visible_to` in Python, for the live stream's fan-out: whether `principal` sees an order of
    `property_id` whose (owner_id, queue, assignee_id, reporter_id) are `order` (None: no order)."""
    if property_id != principal.property_id:
        return False
    if principal.sees_whole_property:
        return True
    if order is None:
        return False
    owner_id, queue, assignee_id, reporter_id = order
    if principal.role is Role.OWNER:
        return principal.sub is not None and owner_id == principal.sub
    if principal.is_department_staff:
        if queue == str(principal.dept):
            return True
        return principal.sub is not None and principal.sub in (assignee_id, reporter_id)
    return False
