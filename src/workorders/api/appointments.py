"""Visit appointments: `/v1/work-orders/{id}/appointments` (who is coming when).

The assigned staff member proposes a window (201, the appointment); the owner accepts it or asks for
another time, staff may withdraw it: those answers change the order (its card, its deadlines) and
answer like any action, 200 with the updated work order and its `ETag`; each takes `If-Match`.

No `from __future__ import annotations` here: FastAPI reads endpoint annotations as objects.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel

from workorders.api import V1, presenters
from workorders.api.deps import ReadContext, VisibleOrder, VisibleOrderForUpdate, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import AcceptLanguage, Cursor, IfMatch, Limit
from workorders.api.responses import problems
from workorders.domain.appointments import Step
from workorders.schemas import (
    AppointmentCreate,
    AppointmentDeclineBody,
    AppointmentPage,
    AppointmentRead,
    AppointmentWithdrawBody,
    NoBody,
    WorkOrderRead,
)
from workorders.services import appointments

router = APIRouter(prefix=f"{V1}/work-orders/{{order_id}}/appointments", tags=["appointments"])

AppointmentId = Annotated[str, Path(max_length=64, description="The appointment's id (`apt_…`)")]


@router.post(
    "",
    status_code=201,
    operation_id="createWorkOrderAppointment",
    summary="Propose a visit window to the owner (the assigned staff member or the supervisor)",
    response_model=AppointmentRead,
    responses=problems(403, 404, 409, 412),
)
async def create_appointment(
    order: VisibleOrderForUpdate,
    body: AppointmentCreate,
    ctx: WriteContext,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def create() -> tuple[BaseModel, str]:
        row = await appointments.propose(ctx, order, body, if_match=if_match)
        read = presenters.appointment(ctx, order, appointments.card(row))
        return read, f"/v1/work-orders/{order.id}/appointments/{row.id}"

    return await create_once(
        ctx, idempotency_key, operation=f"appointment:{order.id}", body=body, create=create
    )


@router.get(
    "",
    operation_id="listWorkOrderAppointments",
    summary="The order's visit appointments, oldest first",
    response_model=AppointmentPage,
    responses=problems(404),
)
async def list_appointments(
    order: VisibleOrder, ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> AppointmentPage:
    rows, next_cursor = await appointments.list_for(ctx, order, limit=limit, cursor=cursor)
    return AppointmentPage(
        items=[presenters.appointment(ctx, order, appointments.card(r)) for r in rows],
        next_cursor=next_cursor,
    )


@router.get(
    "/{appointment_id}",
    operation_id="getWorkOrderAppointment",
    summary="One visit appointment of the order",
    response_model=AppointmentRead,
    responses=problems(404),
)
async def get_appointment(
    order: VisibleOrder, appointment_id: AppointmentId, ctx: ReadContext
) -> AppointmentRead:
    row = await appointments.get(ctx, order, appointment_id)
    return presenters.appointment(ctx, order, appointments.card(row))


async def _answer(
    ctx: Any,
    order: Any,
    appointment_id: str,
    step: Step,
    body: BaseModel | None,
    if_match: str | None,
    accept_language: str | None,
) -> Response:
    params = body.model_dump() if body is not None else {}
    updated = await appointments.answer(ctx, order, appointment_id, step, params, if_match=if_match)
    read = await presenters.work_order(ctx, updated, presenters.language(accept_language))
    return presenters.reply(read, headers=presenters.etag(updated))


_ANSWER_PROBLEMS = problems(403, 404, 409, 412)


@router.post(
    "/{appointment_id}/accept",
    operation_id="acceptWorkOrderAppointment",
    summary="Accept the proposed window (the owner, or customer service on their behalf)",
    response_model=WorkOrderRead,
    responses=_ANSWER_PROBLEMS,
)
async def accept_appointment(
    order: VisibleOrderForUpdate,
    appointment_id: AppointmentId,
    ctx: WriteContext,
    # Optional, as for the order's own actions without parameters: `{}` or nothing at all.
    body: Annotated[NoBody, Body()] = None,  # type: ignore[assignment]
    if_match: IfMatch = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    return await _answer(ctx, order, appointment_id, Step.ACCEPT, body, if_match, accept_language)


@router.post(
    "/{appointment_id}/decline",
    operation_id="declineWorkOrderAppointment",
    summary="Ask for another time, optionally with a message and a window that suits the owner",
    response_model=WorkOrderRead,
    responses=_ANSWER_PROBLEMS,
)
async def decline_appointment(
    order: VisibleOrderForUpdate,
    appointment_id: AppointmentId,
    ctx: WriteContext,
    body: Annotated[AppointmentDeclineBody, Body()] = None,  # type: ignore[assignment]
    if_match: IfMatch = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    return await _answer(ctx, order, appointment_id, Step.DECLINE, body, if_match, accept_language)


@router.post(
    "/{appointment_id}/withdraw",
    operation_id="withdrawWorkOrderAppointment",
    summary="Take a proposed or accepted window back (staff); the deadlines it moved move back",
    response_model=WorkOrderRead,
    responses=_ANSWER_PROBLEMS,
)
async def withdraw_appointment(
    order: VisibleOrderForUpdate,
    appointment_id: AppointmentId,
    ctx: WriteContext,
    body: Annotated[AppointmentWithdrawBody, Body()] = None,  # type: ignore[assignment]
    if_match: IfMatch = None,
    accept_language: AcceptLanguage = None,
) -> Response:
    return await _answer(ctx, order, appointment_id, Step.WITHDRAW, body, if_match, accept_language)
