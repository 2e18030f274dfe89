"""`/v1/reports/summary`: the manager's figures (services/reports.py says what each one means)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel

from workorders.api import V1
from workorders.api.deps import ReadContext
from workorders.api.responses import problems
from workorders.services import reports
from workorders.services.reports import GroupBy, iso_duration

router = APIRouter(prefix=f"{V1}/reports", tags=["reports"])


class Compliance(BaseModel):
    respond: float | None
    start: float | None
    resolve: float | None


class Percentiles(BaseModel):
    p50: str | None
    p90: str | None


class SummaryItem(BaseModel):
    group: str | None
    label: str | None = None
    filed: int
    backlog: int
    compliance: Compliance
    time_to_respond: Percentiles
    time_to_resolve: Percentiles
    rating_avg: float | None
    low_rating_share: float | None
    reopen_rate: float | None
    repeat_repair_rate: float | None
    load: int | None = None
    first_time_fix_rate: float | None = None


class Summary(BaseModel):
    items: list[SummaryItem]


def _item(row: reports.Row) -> SummaryItem:
    return SummaryItem(
        group=row.group,
        label=row.label,
        filed=row.filed,
        backlog=row.backlog,
        compliance=Compliance(**row.compliance),
        time_to_respond=Percentiles(**{k: iso_duration(v) for k, v in row.time_to_respond.items()}),
        time_to_resolve=Percentiles(**{k: iso_duration(v) for k, v in row.time_to_resolve.items()}),
        rating_avg=row.rating_avg,
        low_rating_share=row.low_rating_share,
        reopen_rate=row.reopen_rate,
        repeat_repair_rate=row.repeat_repair_rate,
        load=row.load,
        first_time_fix_rate=row.first_time_fix_rate,
    )


@router.get(
    "/summary",
    operation_id="getReportSummary",
    summary="Volumes, backlog, deadline compliance, response and resolution times, satisfaction",
    response_model=Summary,
    responses={
        **problems(403),
        200: {"content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}},
    },
)
async def report_summary(
    ctx: ReadContext,
    from_: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="Start of the period (default: 30 days before `to`)"),
    ] = None,
    to: Annotated[
        AwareDatetime | None, Query(description="End of the period, excluded (default: now)")
    ] = None,
    group_by: GroupBy = GroupBy.QUEUE,
    format: Literal["json", "csv"] = "json",
) -> Response:
    rows = await reports.summary(ctx, start=from_, end=to, group_by=group_by)
    body = Summary(items=[_item(r) for r in rows])
    if format == "csv":
        return Response(
            reports.to_csv([i.model_dump() for i in body.items]),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="summary-{group_by}.csv"',
                "Cache-Control": "no-store",
            },
        )
    return Response(
        body.model_dump_json(), media_type="application/json", headers={"Cache-Control": "no-store"}
    )
