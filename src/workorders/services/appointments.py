"""Visit appointments on a work order: propose, accept, ask for another time, withdraw.

Each step is decided by domain/appointments.py and changes the order too — its `appointment` card and,
when a window is accepted or taken back, its deadlines and `visit_start`/`visit_end` — so it is a
compare-and-set on the order's version (`If-Match` like any action) written with its event, in the
request's transaction. The card is the standing appointment (the pending proposal, else the accepted
one), else the latest; reads and lists take it from the order row and cost no extra query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from workorders.db import new_id
from workorders.domain import appointments as rules
from workorders.domain import sla
from workorders.domain.appointments import AppointmentStatus, Step, Window
from workorders.domain.sla import Deadline
from workorders.errors import (
    ConcurrentChange,
    FieldError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    _,
)
from workorders.models import Appointment, WorkOrder
from workorders.services import events
from workorders.services import sla as policies
from workorders.services.access import OrderFields, allowed_actions, facts
from workorders.services.pagination import Ordering, fetch_page
from workorders.services.transitions import require_match

if TYPE_CHECKING:
    from workorders.domain.calendar import WorkingCalendar
    from workorders.schemas import AppointmentCreate
    from workorders.services.context import Asking, Context

OLDEST_FIRST = Ordering("created_at", (Appointment.created_at, Appointment.id))
_DUE = {Deadline.RESPOND: "respond_by", Deadline.START: "start_by", Deadline.RESOLVE: "resolve_by"}
_MET = {
    Deadline.RESPOND: "responded_at",
    Deadline.START: "started_at",
    Deadline.RESOLVE: "resolved_at",
}


def _rfc3339(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def card(row: Appointment) -> dict[str, Any]:
    """The appointment as the order's card and the API show it (without the caller's actions)."""
    preferred = (
        {"start": _rfc3339(row.preferred_start), "end": _rfc3339(row.preferred_end)}
        if row.preferred_start is not None
        else None
    )
    answered_by = (
        {"type": row.answered_by_type, "id": row.answered_by_id}
        if row.answered_by_type is not None
        else None
    )
    return {
        "id": row.id,
        "work_order_id": row.work_order_id,
        "status": row.status,
        "start": _rfc3339(row.start_at),
        "end": _rfc3339(row.end_at),
        "message": row.message,
        "proposed_by": {"type": row.proposed_by_type, "id": row.proposed_by_id},
        "created_at": _rfc3339(row.created_at),
        "reply": row.reply,
        "preferred_time": preferred,
        "answered_by": answered_by,
        "answered_at": _rfc3339(row.answered_at),
    }


def allowed_steps(ctx: Asking, order: OrderFields, shown: dict[str, Any]) -> list[str]:
    """What this caller may do with an appointment (a card) now, for drawing the buttons."""
    current = order.appointment or {}
    steps = rules.allowed_steps(
        ctx.principal,
        facts(order),
        current=AppointmentStatus(shown["status"]),
        pending=current.get("status") == AppointmentStatus.PROPOSED,
        window=Window(_parse(shown["start"]), _parse(shown["end"])),
        now=ctx.now,
    )
    return [str(step) for step in steps]


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- reading ---------------------------------------------------------------------------------------


async def list_for(
    ctx: Context, order: WorkOrder, *, limit: int, cursor: str | None
) -> tuple[list[Appointment], str | None]:
    query = select(Appointment).where(Appointment.work_order_id == order.id)
    return await fetch_page(ctx.session, query, OLDEST_FIRST, limit=limit, cursor=cursor)


async def get(ctx: Context, order: WorkOrder, appointment_id: str) -> Appointment:
    row = await ctx.session.get(Appointment, appointment_id)
    if row is None or row.work_order_id != order.id:
        raise NotFound(
            _(
                "work order {number} has no appointment {appointment_id}",
                number=order.number,
                appointment_id=appointment_id,
            )
        )
    return row


# --- steps -----------------------------------------------------------------------------------------


def _check_window(window: Window, now: datetime, prefix: str = "") -> None:
    found = rules.window_problems(window, now)
    if found:
        raise ValidationFailed(
            _("the visit window is not valid"), [FieldError(prefix + f, m) for f, m in found]
        )


def _decide(
    ctx: Context,
    order: WorkOrder,
    step: Step,
    *,
    current: AppointmentStatus | None,
    standing: list[Appointment],
    window: Window | None,
) -> None:
    try:
        rules.decide(
            step,
            ctx.principal,
            facts(order),
            current=current,
            pending=any(r.status == AppointmentStatus.PROPOSED for r in standing),
            window=window,
            now=ctx.now,
        )
    except rules.WrongState as refused:
        raise InvalidTransition(refused.detail, allowed_actions(ctx, order)) from None
    except rules.NotPermitted as refused:
        raise Forbidden(refused.detail) from None


async def _standing(ctx: Context, order: WorkOrder) -> list[Appointment]:
    query = select(Appointment).where(
        Appointment.work_order_id == order.id,
        Appointment.status.in_([str(s) for s in rules.STANDING]),
    )
    return list((await ctx.session.execute(query)).scalars())


async def propose(
    ctx: Context, order: WorkOrder, body: AppointmentCreate, *, if_match: str | None
) -> Appointment:
    window = Window(body.start, body.end)
    _check_window(window, ctx.now)
    require_match(order, if_match)
    standing = await _standing(ctx, order)
    _decide(ctx, order, Step.PROPOSE, current=None, standing=standing, window=window)
    row = Appointment(
        id=new_id("apt"),
        property_id=order.property_id,
        work_order_id=order.id,
        status=str(AppointmentStatus.PROPOSED),
        start_at=body.start,
        end_at=body.end,
        message=body.message,
        proposed_by_type=str(ctx.principal.actor_type),
        proposed_by_id=ctx.principal.sub,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    await _write(ctx, order, Step.PROPOSE, row, extra={"message": body.message})
    return row


async def answer(
    ctx: Context,
    order: WorkOrder,
    appointment_id: str,
    step: Step,
    params: dict[str, Any],
    *,
    if_match: str | None,
) -> WorkOrder:
    """Accept, decline (ask for another time) or withdraw an appointment; returns the order."""
    row = await get(ctx, order, appointment_id)
    preferred = params.get("preferred_time")
    if preferred is not None:
        _check_preferred(preferred["end"], ctx.now)
    require_match(order, if_match)
    standing = await _standing(ctx, order)
    window = Window(row.start_at, row.end_at)
    _decide(
        ctx, order, step, current=AppointmentStatus(row.status), standing=standing, window=window
    )

    extra: dict[str, Any] = {"message": params.get("message")}
    if step is Step.ACCEPT:
        for other in standing:
            if other.status == AppointmentStatus.ACCEPTED and other.id != row.id:
                await _take_back(ctx, order, other)
                _settle(other, AppointmentStatus.SUPERSEDED, ctx.now)
        await _count_on(ctx, order, row)
        _answer(ctx, row, AppointmentStatus.ACCEPTED)
    elif step is Step.DECLINE:
        _answer(ctx, row, AppointmentStatus.DECLINED)
        row.reply = params.get("message")
        if preferred is not None:
            row.preferred_start, row.preferred_end = preferred["start"], preferred["end"]
            extra["preferred_time"] = {
                "start": _rfc3339(row.preferred_start),
                "end": _rfc3339(row.preferred_end),
            }
    else:
        if row.status == AppointmentStatus.ACCEPTED:
            await _take_back(ctx, order, row)
        _settle(row, AppointmentStatus.WITHDRAWN, ctx.now)
    await _write(ctx, order, step, row, extra=extra, standing=standing)
    return order


async def end_with_order(ctx: Context, order: WorkOrder) -> dict[str, Any]:
    """The order has just left the statuses in which a visit is arranged (resolved, cancelled, sent
    back to its queue): a visit still standing is withdrawn with it, by the same action and in that
    action's event (the facts it adds are returned); an accepted one first gives back the deadlines it
    moved. Nothing is read unless the order's card says a visit stands."""
    shown = order.appointment or {}
    if order.status in rules.VISIT_STATUSES or shown.get("status") not in rules.STANDING:
        return {}
    ended = await _standing(ctx, order)
    for row in ended:
        if row.status == AppointmentStatus.ACCEPTED:
            await _take_back(ctx, order, row)
        _settle(row, AppointmentStatus.WITHDRAWN, ctx.now)
    if not ended:
        return {}
    order.appointment = card(ended[-1])
    return {"appointment_withdrawn": ended[-1].id}


def _check_preferred(end: datetime, now: datetime) -> None:
    """A window the owner would rather have must not be over already (its order is the schema's
    check, TimeWindow)."""
    if end <= now:
        raise ValidationFailed.on("preferred_time.end", _("must lie in the future"))


def _settle(row: Appointment, status: AppointmentStatus, now: datetime) -> None:
    row.status = str(status)
    row.updated_at = now


def _answer(ctx: Context, row: Appointment, status: AppointmentStatus) -> None:
    _settle(row, status, ctx.now)
    row.answered_by_type = str(ctx.principal.actor_type)
    row.answered_by_id = ctx.principal.sub
    row.answered_at = ctx.now


async def _calendar(ctx: Context, order: WorkOrder) -> WorkingCalendar | None:
    targets = await policies.targets_for(
        ctx.session, order.property_id, order.priority, order.category
    )
    return (
        await policies.calendar_for(ctx.session, order.property_id)
        if targets.use_calendar
        else None
    )


async def _count_on(ctx: Context, order: WorkOrder, row: Appointment) -> None:
    """The order's deadlines count on the accepted window (domain/sla.with_visit); how far each one
    moved is kept on the appointment, to move it back should the visit be taken back."""
    due = {d: getattr(order, column) for d, column in _DUE.items()}
    met = {d: getattr(order, column) for d, column in _MET.items()}
    moved = sla.with_visit(due, met, row.end_at, await _calendar(ctx, order))
    shift: dict[str, int] = {}
    for deadline, column in _DUE.items():
        before, after = due[deadline], moved[deadline]
        if before is not None and after is not None and after != before:
            setattr(order, column, after)
            shift[str(deadline)] = int((after - before).total_seconds())
    row.deadline_shift = shift
    order.visit_start, order.visit_end = row.start_at, row.end_at


async def _take_back(ctx: Context, order: WorkOrder, row: Appointment) -> None:
    """An accepted visit no longer stands: the unmet deadlines it moved move back."""
    for name, seconds in (row.deadline_shift or {}).items():
        deadline = Deadline(name)
        current = getattr(order, _DUE[deadline])
        if current is not None and getattr(order, _MET[deadline]) is None:
            setattr(order, _DUE[deadline], current - timedelta(seconds=seconds))
    row.deadline_shift = None
    order.visit_start = order.visit_end = None


async def _write(
    ctx: Context,
    order: WorkOrder,
    step: Step,
    row: Appointment,
    *,
    extra: dict[str, Any],
    standing: list[Appointment] | None = None,
) -> None:
    """The order's new card and the compare-and-set on its version, then the step's event."""
    still = [r for r in (standing or []) if r.status in rules.STANDING]
    pending = next((r for r in still if r.status == AppointmentStatus.PROPOSED), None)
    accepted = next((r for r in still if r.status == AppointmentStatus.ACCEPTED), None)
    order.appointment = card(pending or accepted or row)
    order.updated_at = ctx.now
    # Its deadlines or its visit may have moved: the sweep's next look moves with them.
    order.sla_check_at = await policies.next_look(ctx.session, order, ctx.now)
    order_id = order.id
    try:
        await ctx.session.flush()
    except StaleDataError:
        raise ConcurrentChange(
            _("work order {order_id} was changed by someone else; read it again", order_id=order_id)
        ) from None
    data = {
        "appointment_id": row.id,
        "start": _rfc3339(row.start_at),
        "end": _rfc3339(row.end_at),
    } | {key: value for key, value in extra.items() if value is not None}
    await events.record(
        ctx.session,
        order=order,
        type=step.event_type,
        actor=ctx.principal,
        at=ctx.now,
        previous_status=order.status,
        extra=data,
    )
