"""`/v1/schedules`: recurring work (maintenance, inspections, patrols, cleaning rounds), and the
checklist of the tasks they produce, ticked on the order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from workorders.api import V1, presenters
from workorders.api.deps import ReadContext, VisibleOrderForUpdate, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.models import Schedule
from workorders.schemas import LocationRead, WorkOrderRead
from workorders.schemas.schedules import (
    ChecklistCheck,
    ScheduleCreate,
    SchedulePage,
    ScheduleRead,
    ScheduleUpdate,
)
from workorders.services import checklists, schedules

router = APIRouter(prefix=V1)

ScheduleId = Annotated[str, Path(max_length=64)]
ItemIndex = Annotated[int, Path(ge=0, le=49, description="The item's position, from 0")]


def schedule_read(row: Schedule) -> ScheduleRead:
    return ScheduleRead(
        id=row.id,
        title=row.title,
        queue=row.queue,
        category=row.category,
        priority=row.priority,
        location=LocationRead(**row.location),
        checklist=row.checklist,
        rrule=row.rrule,
        dtstart=row.dtstart,
        timezone=row.timezone,
        dispatch=row.dispatch,
        assignee_id=row.assignee_id,
        active=row.active,
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get(
    "/schedules",
    tags=["schedules"],
    operation_id="listSchedules",
    summary="The schedules of the caller's department (all of them for the manager)",
    responses=problems(403),
)
async def list_schedules(
    ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> SchedulePage:
    rows, next_cursor = await schedules.list_schedules(ctx, limit=limit, cursor=cursor)
    return SchedulePage(items=[schedule_read(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/schedules",
    tags=["schedules"],
    status_code=201,
    operation_id="createSchedule",
    summary="Schedule recurring work (the queue's supervisor, the manager)",
    response_model=ScheduleRead,
    responses=problems(403, 409),
)
async def create_schedule(
    body: ScheduleCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[ScheduleRead, str]:
        schedule = await schedules.create_schedule(ctx, body)
        return schedule_read(schedule), f"/v1/schedules/{schedule.id}"

    return await create_once(
        ctx, idempotency_key, operation="createSchedule", body=body, create=create
    )


@router.get(
    "/schedules/{schedule_id}",
    tags=["schedules"],
    operation_id="getSchedule",
    responses=problems(404),
)
async def get_schedule(schedule_id: ScheduleId, ctx: ReadContext) -> ScheduleRead:
    return schedule_read(await schedules.get_schedule(ctx, schedule_id))


@router.patch(
    "/schedules/{schedule_id}",
    tags=["schedules"],
    operation_id="updateSchedule",
    summary="Change a schedule; a new rule or a reactivation counts from now",
    responses=problems(403, 404),
)
async def update_schedule(
    schedule_id: ScheduleId, body: ScheduleUpdate, ctx: WriteContext
) -> ScheduleRead:
    schedule = await schedules.get_schedule(ctx, schedule_id)
    return schedule_read(await schedules.update_schedule(ctx, schedule, body))


@router.delete(
    "/schedules/{schedule_id}",
    tags=["schedules"],
    status_code=204,
    operation_id="deleteSchedule",
    summary="Delete a schedule; the orders it produced stay",
    responses=problems(403, 404),
)
async def delete_schedule(schedule_id: ScheduleId, ctx: WriteContext) -> Response:
    await schedules.delete_schedule(ctx, await schedules.get_schedule(ctx, schedule_id))
    return Response(status_code=204)


@router.post(
    "/work-orders/{order_id}/checklist/{index}",
    tags=["work orders"],
    operation_id="checkWorkOrderChecklistItem",
    summary="Record a checklist item's result; a failed item opens a linked order to fix it",
    response_model=WorkOrderRead,
    responses=problems(403, 404, 409),
)
async def check_work_order_checklist_item(
    order: VisibleOrderForUpdate, index: ItemIndex, body: ChecklistCheck, ctx: WriteContext
) -> Response:
    return presenters.reply(
        await presenters.work_order(ctx, await checklists.check(ctx, order, index, body))
    )
