"""`/v1/return-visits`: customer service's call-backs (回访) after an order closes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from workorders.api import V1
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.models import ReturnVisit
from workorders.schemas.sla import (
    ReturnVisitComplete,
    ReturnVisitPage,
    ReturnVisitRead,
    ReturnVisitStatus,
)
from workorders.services import return_visits

router = APIRouter(prefix=V1, tags=["return visits"])

VisitId = Annotated[str, Path(max_length=64)]


def visit_read(row: ReturnVisit) -> ReturnVisitRead:
    return ReturnVisitRead(
        id=row.id,
        work_order_id=row.work_order_id,
        reason=row.reason,
        status=row.status,
        outcome=row.outcome,
        score=row.score,
        note=row.note,
        visited_by=row.visited_by,
        closed_at=row.closed_at,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )


@router.get(
    "/return-visits",
    operation_id="listReturnVisits",
    summary="Return visits to make (`status=pending`) or made, oldest first",
    responses=problems(403),
)
async def list_return_visits(
    ctx: ReadContext,
    status: ReturnVisitStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ReturnVisitPage:
    rows, next_cursor = await return_visits.list_visits(
        ctx, status=status, limit=limit, cursor=cursor
    )
    return ReturnVisitPage(items=[visit_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/return-visits/{visit_id}", operation_id="getReturnVisit", responses=problems(403, 404)
)
async def get_return_visit(visit_id: VisitId, ctx: ReadContext) -> ReturnVisitRead:
    return visit_read(await return_visits.get_visit(ctx, visit_id))


@router.post(
    "/return-visits/{visit_id}/complete",
    operation_id="completeReturnVisit",
    summary="Record the outcome of a return visit (customer service)",
    responses=problems(403, 404, 409),
)
async def complete_return_visit(
    visit_id: VisitId, body: ReturnVisitComplete, ctx: WriteContext
) -> ReturnVisitRead:
    visit = await return_visits.get_visit(ctx, visit_id)
    return visit_read(await return_visits.complete(ctx, visit, body))
