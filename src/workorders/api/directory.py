"""`/v1/queues`, `/v1/staff` and `/v1/owners`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from workorders.api import V1, presenters
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.domain.taxonomy import Department
from workorders.schemas import (
    OwnerCreate,
    OwnerPage,
    OwnerRead,
    OwnerUpdate,
    QueueList,
    QueueSummary,
    RevealBody,
    StaffCreate,
    StaffPage,
    StaffRead,
    StaffUpdate,
)
from workorders.services import directory
from workorders.services.listing import queue_counts

router = APIRouter(prefix=V1)

StaffId = Annotated[str, Path(max_length=64)]
OwnerId = Annotated[str, Path(max_length=64)]


@router.get(
    "/queues",
    tags=["queues"],
    operation_id="listQueues",
    summary="Open, unassigned and overdue counts of each queue this caller may see",
    responses=problems(),
)
async def list_queues(ctx: ReadContext) -> QueueList:
    return QueueList(items=[QueueSummary(**vars(c)) for c in await queue_counts(ctx)])


# --- staff ----------------------------------------------------------------------------------------


@router.get("/staff", tags=["staff"], operation_id="listStaff", responses=problems(403))
async def list_staff(
    ctx: ReadContext,
    department: Department | None = None,
    role: Literal["staff", "supervisor", "manager"] | None = None,
    on_duty: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> StaffPage:
    rows, next_cursor = await directory.list_staff(
        ctx, department=department, role=role, on_duty=on_duty, limit=limit, cursor=cursor
    )
    return StaffPage(items=[presenters.staff(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/staff",
    tags=["staff"],
    status_code=201,
    operation_id="createStaff",
    response_model=StaffRead,
    responses=problems(403, 409),
)
async def create_staff(
    body: StaffCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[StaffRead, str]:
        staff = await directory.create_staff(ctx, body)
        return presenters.staff(staff), f"/v1/staff/{staff.id}"

    return await create_once(
        ctx, idempotency_key, operation="createStaff", body=body, create=create
    )


@router.get(
    "/staff/{staff_id}", tags=["staff"], operation_id="getStaff", responses=problems(403, 404)
)
async def get_staff(staff_id: StaffId, ctx: ReadContext) -> StaffRead:
    return presenters.staff(await directory.get_staff(ctx, staff_id))


@router.patch(
    "/staff/{staff_id}", tags=["staff"], operation_id="updateStaff", responses=problems(403, 404)
)
async def update_staff(staff_id: StaffId, body: StaffUpdate, ctx: WriteContext) -> StaffRead:
    staff = await directory.get_staff(ctx, staff_id)
    return presenters.staff(await directory.update_staff(ctx, staff, body))


# --- owners ---------------------------------------------------------------------------------------


@router.get("/owners", tags=["owners"], operation_id="listOwners", responses=problems(403))
async def list_owners(
    ctx: ReadContext,
    q: Annotated[str | None, Query(max_length=100, description="Part of the name")] = None,
    phone: Annotated[str | None, Query(max_length=32, description="The whole number")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OwnerPage:
    rows, next_cursor = await directory.list_owners(
        ctx, q=q, phone=phone, limit=limit, cursor=cursor
    )
    return OwnerPage(items=[presenters.owner(ctx, r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/owners",
    tags=["owners"],
    status_code=201,
    operation_id="createOwner",
    response_model=OwnerRead,
    responses=problems(403, 409),
)
async def create_owner(
    body: OwnerCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[OwnerRead, str]:
        owner = await directory.create_owner(ctx, body)
        return presenters.owner(ctx, owner), f"/v1/owners/{owner.id}"

    return await create_once(
        ctx, idempotency_key, operation="createOwner", body=body, create=create
    )


@router.get(
    "/owners/{owner_id}", tags=["owners"], operation_id="getOwner", responses=problems(403, 404)
)
async def get_owner(owner_id: OwnerId, ctx: ReadContext) -> OwnerRead:
    return presenters.owner(ctx, await directory.get_owner(ctx, owner_id))


@router.patch(
    "/owners/{owner_id}", tags=["owners"], operation_id="updateOwner", responses=problems(403, 404)
)
async def update_owner(owner_id: OwnerId, body: OwnerUpdate, ctx: WriteContext) -> OwnerRead:
    owner = await directory.get_owner(ctx, owner_id)
    return presenters.owner(ctx, await directory.update_owner(ctx, owner, body))


@router.post(
    "/owners/{owner_id}/reveal",
    tags=["owners"],
    operation_id="revealOwner",
    summary="The owner's record with the whole phone number; the reveal is audited",
    responses=problems(403, 404),
)
async def reveal_owner(owner_id: OwnerId, body: RevealBody, ctx: WriteContext) -> OwnerRead:
    owner = await directory.get_owner(ctx, owner_id)
    revealed = await directory.reveal_phone(ctx, owner, body.reason)
    return presenters.owner(ctx, revealed, revealed=True)
