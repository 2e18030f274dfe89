"""`/v1/sla-policies` and `/v1/sla-settings`: deadlines per priority and category, the working
calendar and the return-visit policy of the caller's property.

Reading them may seed a property's defaults, so even the reads run in a writing transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Response

from workorders.api import V1
from workorders.api.deps import WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.models import SlaPolicy, SlaSettings
from workorders.schemas.sla import (
    SlaPolicyCreate,
    SlaPolicyPage,
    SlaPolicyRead,
    SlaPolicyUpdate,
    SlaSettingsRead,
    SlaSettingsUpdate,
    WorkingCalendarBody,
)
from workorders.services import sla

router = APIRouter(prefix=V1, tags=["deadlines"])

PolicyId = Annotated[str, Path(max_length=64)]


def policy_read(row: SlaPolicy) -> SlaPolicyRead:
    return SlaPolicyRead(
        id=row.id,
        priority=row.priority,
        category=row.category,
        respond_within=timedelta(seconds=row.respond_within_s),
        start_within=timedelta(seconds=row.start_within_s),
        resolve_within=timedelta(seconds=row.resolve_within_s),
        use_calendar=row.use_calendar,
    )


def settings_read(row: SlaSettings, auto_close_after: timedelta) -> SlaSettingsRead:
    return SlaSettingsRead(
        return_visit_policy=row.return_visit_policy,
        calendar=WorkingCalendarBody.model_validate(row.calendar) if row.calendar else None,
        auto_close_after=auto_close_after,
    )


@router.get(
    "/sla-policies",
    operation_id="listSlaPolicies",
    summary="The property's deadline policies",
    responses=problems(403),
)
async def list_sla_policies(
    ctx: WriteContext, limit: Limit = 50, cursor: Cursor = None
) -> SlaPolicyPage:
    rows, next_cursor = await sla.list_policies(ctx, limit=limit, cursor=cursor)
    return SlaPolicyPage(items=[policy_read(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/sla-policies",
    status_code=201,
    operation_id="createSlaPolicy",
    summary="Add a policy for a priority, or for a priority and category (manager, admin)",
    response_model=SlaPolicyRead,
    responses=problems(403, 409),
)
async def create_sla_policy(
    body: SlaPolicyCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[SlaPolicyRead, str]:
        policy = await sla.create_policy(ctx, body)
        return policy_read(policy), f"/v1/sla-policies/{policy.id}"

    return await create_once(
        ctx, idempotency_key, operation="createSlaPolicy", body=body, create=create
    )


@router.get("/sla-policies/{policy_id}", operation_id="getSlaPolicy", responses=problems(403, 404))
async def get_sla_policy(policy_id: PolicyId, ctx: WriteContext) -> SlaPolicyRead:
    return policy_read(await sla.get_policy(ctx, policy_id))


@router.patch(
    "/sla-policies/{policy_id}",
    operation_id="updateSlaPolicy",
    summary="Change a policy; orders created afterwards get the new deadlines",
    responses=problems(403, 404),
)
async def update_sla_policy(
    policy_id: PolicyId, body: SlaPolicyUpdate, ctx: WriteContext
) -> SlaPolicyRead:
    policy = await sla.get_policy(ctx, policy_id)
    return policy_read(await sla.update_policy(ctx, policy, body))


@router.delete(
    "/sla-policies/{policy_id}",
    status_code=204,
    operation_id="deleteSlaPolicy",
    summary="Remove a policy (a priority without one falls back to the defaults)",
    responses=problems(403, 404),
)
async def delete_sla_policy(policy_id: PolicyId, ctx: WriteContext) -> Response:
    await sla.delete_policy(ctx, await sla.get_policy(ctx, policy_id))
    return Response(status_code=204)


@router.get(
    "/sla-settings",
    operation_id="getSlaSettings",
    summary="The working calendar, return-visit policy and auto-close time of the property",
    responses=problems(403),
)
async def get_sla_settings(ctx: WriteContext) -> SlaSettingsRead:
    return settings_read(await sla.get_settings(ctx), ctx.settings.auto_close_after)


@router.patch(
    "/sla-settings",
    operation_id="updateSlaSettings",
    summary="Set the working calendar (null: around the clock) or the return-visit policy",
    responses=problems(403),
)
async def update_sla_settings(body: SlaSettingsUpdate, ctx: WriteContext) -> SlaSettingsRead:
    return settings_read(await sla.update_settings(ctx, body), ctx.settings.auto_close_after)
