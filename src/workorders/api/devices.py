"""`/v1/devices`: where to push an owner's or staff member's notifications (API.md, "Live updates")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from workorders.api import V1
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.services import devices

if TYPE_CHECKING:
    from workorders.models.devices import Device

router = APIRouter(prefix=f"{V1}/devices", tags=["devices"])

Platform = Literal["ios", "android", "harmony", "web", "mini_program"]
DeviceId = Annotated[str, Path(max_length=64, description="The device's id (`dev_…`)")]


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    token: str = Field(
        min_length=1, max_length=512, description="The push token the platform gave the app"
    )


class DeviceRead(BaseModel):
    id: str
    platform: Platform
    token: str
    created_at: datetime
    updated_at: datetime


class DevicePage(BaseModel):
    items: list[DeviceRead]
    next_cursor: str | None


def _read(row: Device) -> DeviceRead:
    return DeviceRead(
        id=row.id,
        platform=row.platform,
        token=row.token,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.post(
    "",
    status_code=201,
    operation_id="registerDevice",
    summary="Register this app's push token for the caller (again: it moves to the caller)",
    response_model=DeviceRead,
    responses=problems(403),
)
async def register_device(
    body: DeviceCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[BaseModel, str]:
        device = await devices.register(ctx, platform=body.platform, token=body.token)
        return _read(device), f"/v1/devices/{device.id}"

    return await create_once(
        ctx, idempotency_key, operation="registerDevice", body=body, create=create
    )


@router.get(
    "",
    operation_id="listDevices",
    summary="The caller's own devices",
    responses=problems(403),
)
async def list_devices(ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None) -> DevicePage:
    rows, next_cursor = await devices.list_mine(ctx, limit=limit, cursor=cursor)
    return DevicePage(items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.delete(
    "/{device_id}",
    status_code=204,
    operation_id="deleteDevice",
    summary="Stop pushing to one of the caller's devices",
    response_class=Response,
    responses=problems(403, 404),
)
async def delete_device(device_id: DeviceId, ctx: WriteContext) -> Response:
    await devices.unregister(ctx, device_id)
    return Response(status_code=204)
