"""Acting on a work order: the lifecycle table's decision, written as a compare-and-set on the
order's version together with its event. People act through `act`, the service itself (automatic
dispatch, auto-close, a schedule's assignee) through `act_as_system`; both write through `_write`.
Dispatch decides who gets a queued order; `apply_pick` (and, for an order not yet inserted,
`decide_as_system`) applies that decision."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm.exc import StaleDataError

from workorders.domain import etags, lifecycle
from workorders.domain.actors import Principal, Role
from workorders.domain.dispatch import Pick, Strategy
from workorders.domain.lifecycle import Action, Relation, Status
from workorders.domain.taxonomy import Priority
from workorders.errors import (
    N_,
    ConcurrentChange,
    Forbidden,
    InvalidTransition,
    Label,
    OneOf,
    PreconditionFailed,
    Text,
    ValidationFailed,
    _,
)
from workorders.models import Staff, WorkOrder
from workorders.services import configuration, dispatch, events, routing_examples
from workorders.services import sla as sla_clocks
from workorders.services.access import allowed_actions, facts
from workorders.storage import DirectoryStorage

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.services.context import Context


def require_match(order: WorkOrder, if_match: str | None) -> None:
    """A 412 unless `If-Match` (when sent) matches the order's version, compared strongly as RFC 9110
    says (domain/etags.py): for the order's actions and its appointment steps alike."""
    if if_match is not None and not etags.if_match_matches(if_match, order.version):
        raise PreconditionFailed(
            _(
                "If-Match {if_match} does not match the current version {version}",
                if_match=if_match,
                version=order.version,
            )
        )


async def _validate_params(ctx: Context, order: WorkOrder, action: Action, params: dict) -> None:
    """Checks on an action's parameters that need the database (422s, which precede 412 and 409)."""
    if action is Action.ASSIGN:
        staff = await ctx.session.get(Staff, params["assignee_id"])
        if staff is None or staff.property_id != order.property_id:
            raise ValidationFailed.on(
                "assignee_id", _("no staff member {assignee_id}", assignee_id=params["assignee_id"])
            )
        if staff.department != order.queue:
            raise ValidationFailed.on(
                "assignee_id",
                _(
                    "{name} works in {department}, not in {queue}",
                    name=staff.name,
                    department=Label("queue", staff.department),
                    queue=Label("queue", order.queue),
                ),
            )
        if staff.id == order.assignee_id:
            # Nothing would change, and every successful action is a new version.
            raise ValidationFailed.on(
                "assignee_id", _("the order is already assigned to {name}", name=staff.name)
            )
    if action is Action.ROUTE and params["queue"] == order.queue and order.status != Status.TRIAGE:
        raise ValidationFailed.on(
            "queue",
            _("the order is already in the {queue} queue", queue=Label("queue", order.queue)),
        )


async def _check_claimer(ctx: Context, order: WorkOrder) -> None:
    staff = await ctx.session.get(Staff, ctx.principal.sub) if ctx.principal.sub else None
    if staff is None or staff.property_id != ctx.principal.property_id:
        raise Forbidden(_("your token's staff member is not in this property's directory"))
    if staff.department != ctx.principal.dept:
        raise Forbidden(
            _(
                "the directory lists you in {department}, not {dept}",
                department=Label("queue", staff.department),
                dept=ctx.principal.dept,
            )
        )
    await dispatch.check_claim(ctx, order, staff)


async def act(
    ctx: Context,
    order: WorkOrder,
    action: Action,
    params: dict[str, Any],
    *,
    if_match: str | None = None,
) -> WorkOrder:
    """Take `action` on `order` as a compare-and-set on its version, with its event."""
    await _validate_params(ctx, order, action, params)
    require_match(order, if_match)
    try:
        transition = lifecycle.decide(
            action,
            ctx.principal,
            facts(order),
            now=ctx.now,
            reopen_window=ctx.settings.reopen_window,
        )
    except lifecycle.WrongStatus:
        raise InvalidTransition(_wrong_status(order, action), allowed_actions(ctx, order)) from None
    except lifecycle.NotPermitted:
        who = who_may(action, order)
        raise Forbidden(_not_yours(ctx.principal, order, action, who), who_can=who) from None
    if action is Action.CLAIM:
        await _check_claimer(ctx, order)

    history = _reopen_history(order) if action is Action.REOPEN else {}
    change = _effects(order, action, ctx.principal, ctx.now, params)
    # One action, one version: the lookups below (the queue's dispatch, the clocks' calendar) must
    # not autoflush the half-changed order, or its compare-and-set would run (and count) twice.
    with ctx.session.no_autoflush:
        previous_status = _set(order, transition, change, ctx.now)
        if action is Action.ROUTE:
            order.dispatch = await dispatch.queue_strategy(ctx, order.queue)
            order.required_skills = []
        # Imported here: appointments -> transitions (require_match) at import time.
        from workorders.services import appointments

        visit = await appointments.end_with_order(ctx, order)
        await _move_clocks(ctx, order, action)
    await _write(
        ctx.session,
        order,
        previous_status,
        type=action.event_type,
        actor=ctx.principal,
        at=ctx.now,
        extra=dict(change.event_data) | history | visit,
    )
    await routing_examples.learn_from(ctx, order, action)
    if action is Action.CANCEL:
        # A cancelled order's photos go with it: rows now, files once this commits. Imported here:
        # attachments -> work_orders -> filing -> transitions would be a cycle at import time.
        from workorders.services import attachments

        await attachments.delete_for_order(
            ctx.session, DirectoryStorage.from_settings(ctx.settings), order.id
        )
    if action in (Action.DECLINE, Action.ROUTE):
        await dispatch_queued(ctx.session, order, now=ctx.now)
    return order


# Who a relation of the lifecycle table is, said to someone who is not it (with the order's queue).
_WHO: dict[Relation, str] = {
    Relation.OWNER: N_("the order's owner"),
    Relation.CUSTOMER_SERVICE: N_("customer service"),
    Relation.CS_SUPERVISOR: N_("a customer-service supervisor"),
    Relation.DEPARTMENT: N_("the {queue} staff"),
    Relation.ASSIGNEE: N_("the staff member it is assigned to"),
    Relation.SUPERVISOR: N_("the {queue} supervisor"),
    Relation.MANAGER: N_("the manager"),
}


def who_may(action: Action, order: WorkOrder) -> list[str]:
    """The relations (lifecycle.py) that may take `action` on `order` in its status now, in the
    table's order: what a refused caller is told to turn to."""
    found: list[str] = []
    for row in lifecycle.TRANSITIONS:
        if row.action is action and Status(order.status) in row.sources:
            found += [str(r) for r in Relation if r in row.who and r in _WHO and r not in found]
    return found


def _not_yours(principal: Principal, order: WorkOrder, action: Action, who: list[str]) -> Text:
    """A 403 that says who can: an owner is sent to customer service whenever it may act."""
    status, verb = Label("status", order.status), Label("action", action)
    if not who:
        return _("you may not {action} this work order now", action=verb)
    if principal.role is Role.OWNER and {"customer_service", "cs_supervisor"} & set(who):
        return _(
            "you can no longer {action} this work order yourself now that it is {status}; "
            "customer service can {action} it for you",
            action=verb,
            status=status,
        )
    queue = Label("queue", order.queue)
    return _(
        "you may not {action} this work order while it is {status}; {who} can",
        action=verb,
        status=status,
        who=OneOf(tuple(Text(_WHO[Relation(w)], {"queue": queue}) for w in who)),
    )


def _wrong_status(order: WorkOrder, action: Action) -> Text:
    if action is Action.REOPEN and order.status == Status.CLOSED:
        return _(
            "the reopen window of this closed work order has passed; file a new work order instead"
        )
    return _(
        "cannot {action} a work order that is {status}",
        action=Label("action", action),
        status=Label("status", order.status),
    )


def _reopen_history(order: WorkOrder) -> dict[str, Any]:
    """What a reopen clears from the order (its resolution and rating), kept in the reopened event:
    the order shows the work still to do, the timeline what was said of the earlier attempt."""
    rating = (
        {"score": order.rating_score, "comment": order.rating_comment}
        if order.rating_score is not None
        else None
    )
    return {"previous_resolution": order.resolution, "previous_rating": rating}


async def dispatch_queued(session: AsyncSession, order: WorkOrder, *, now: datetime) -> None:
    """Hand a queued, unassigned order on when its strategy is automatic (after a decline or a
    route); staff who declined it are passed over."""
    if order.status != Status.QUEUED or order.assignee_id is not None:
        return
    snap = await configuration.snapshot(session, order.property_id)
    strategy = (
        Strategy(order.dispatch)
        if order.dispatch
        else await dispatch.strategy_of(session, snap, order.queue)
    )
    if not strategy.automatic:
        return
    pick = await dispatch.decide(
        session,
        snap,
        queue=order.queue,
        strategy=strategy,
        skills=order.required_skills,
        declined=await dispatch.decliners(session, order),
        now=now,
    )
    await apply_pick(session, order, pick, now=now)


async def apply_pick(
    session: AsyncSession, order: WorkOrder, pick: Pick | None, *, now: datetime
) -> None:
    """Apply dispatch's decision to an order already written: the ASSIGN transition as the system,
    or, when nobody was eligible, an event that tells the department's supervisor."""
    if pick is None:
        return
    if pick.chosen is None:
        await events.record(session, **needs_assignment(order, pick, now))
        return
    await act_as_system(
        session,
        order,
        Action.ASSIGN,
        now=now,
        params={"assignee_id": pick.chosen},
        extra={"dispatch": pick.as_data()},
    )


def needs_assignment(order: WorkOrder, pick: Pick, now: datetime) -> dict[str, Any]:
    """The event (arguments of `events.record` or `events.row`) saying an order found nobody to
    take it."""
    return {
        "order": order,
        "type": dispatch.NEEDS_ASSIGNMENT,
        "actor": None,
        "at": now,
        "previous_status": order.status,
        "extra": {
            "dispatch": pick.as_data(),
            "notify": {"role": "supervisor", "queue": order.queue},
        },
    }


def _effects(
    order: WorkOrder,
    action: Action,
    principal: Principal | None,
    now: datetime,
    params: dict[str, Any],
) -> lifecycle.Change:
    return lifecycle.effects(
        action,
        principal,
        now=now,
        escalation_level=order.escalation_level,
        responded_at=order.responded_at,
        started_at=order.started_at,
        params=params,
    )


def _set(
    order: WorkOrder, transition: lifecycle.Transition, change: lifecycle.Change, now: datetime
) -> str:
    """Put a decided transition on the order (not yet written); returns the status it had."""
    previous_status = order.status
    if transition.target is not None:
        order.status = transition.target
    for name, value in change.fields.items():
        setattr(order, name, value)
    if "priority" in change.fields:
        order.priority_rank = Priority(order.priority).rank
    order.updated_at = now
    return previous_status


async def _write(
    session: AsyncSession,
    order: WorkOrder,
    previous_status: str,
    *,
    type: str,
    actor: Principal | None,
    at: datetime,
    extra: dict[str, Any],
) -> None:
    """The compare-and-set on the order's version, then its event, in the caller's transaction."""
    order_id = order.id
    if order not in session:
        # The flush below would write nothing and the event would tell of a change never made (a
        # just-filed order is not the session's: `filing.file`).
        raise RuntimeError(f"work order {order_id} is not this session's: read it in first")
    try:
        await session.flush()
    except StaleDataError:
        raise ConcurrentChange(
            _("work order {order_id} was changed by someone else; read it again", order_id=order_id)
        ) from None
    await events.record(
        session,
        order=order,
        type=type,
        actor=actor,
        at=at,
        previous_status=previous_status,
        extra=extra,
    )


async def _move_clocks(ctx: Context, order: WorkOrder, action: Action) -> None:
    """A hold stops the deadline clocks and a resume restarts them; after any action the clock
    worker looks at the order again when something can next fire (`sla.next_look`)."""
    if action is Action.HOLD:
        sla_clocks.pause(order, ctx.now)
    elif action is Action.RESUME:
        await sla_clocks.resume(ctx.session, order, ctx.now)
    order.sla_check_at = await sla_clocks.next_look(ctx.session, order, ctx.now)


async def act_as_system(
    session: AsyncSession,
    order: WorkOrder,
    action: Action,
    *,
    now: datetime,
    params: dict[str, Any],
    event_type: str | None = None,
    extra: dict[str, Any] | None = None,
) -> WorkOrder:
    """A change the service makes by itself (automatic dispatch, auto-close, a schedule's assignee),
    recorded with a system actor. The lifecycle table decides it like any other: the system is one
    more relation in it (`Relation.SYSTEM`)."""
    previous_status, data = decide_as_system(order, action, now=now, params=params)
    await _write(
        session,
        order,
        previous_status,
        type=event_type or action.event_type,
        actor=None,
        at=now,
        extra=data | (extra or {}),
    )
    return order


def decide_as_system(
    order: WorkOrder, action: Action, *, now: datetime, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Put the system's `action` on the order in memory (nothing written): the status it had and the
    event's data. A new order takes its automatic assignment this way before it is inserted."""
    try:
        # The system never reopens, so the reopen window plays no part here.
        transition = lifecycle.decide(
            action, None, facts(order), now=now, reopen_window=timedelta(0)
        )
    except lifecycle.TransitionRefused:
        raise InvalidTransition(_wrong_status(order, action), []) from None
    change = _effects(order, action, None, now, params)
    previous_status = _set(order, transition, change, now)
    order.sla_check_at = now
    return previous_status, dict(change.event_data)
