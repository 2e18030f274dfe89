"""`/v1/properties`: the communities the company runs (admin; API.md, "Who I am, properties")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from workorders.api import V1
from workorders.api.deps import ReadContext, WriteContext
from workorders.api.idempotent import IdempotencyKey, create_once
from workorders.api.params import Cursor, Limit
from workorders.api.responses import problems
from workorders.errors import _
from workorders.models import Property
from workorders.services import properties_api

router = APIRouter(prefix=f"{V1}/properties", tags=["properties"])

PropertyId = Annotated[str, Path(max_length=64, description="The property's id")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def _known_zone(name: str) -> str:
    if name not in properties_api.timezones():
        raise ValueError(_("{name!r} is not an IANA time zone such as Asia/Shanghai", name=name))
    return name


TimeZone = Annotated[
    str, Field(min_length=1, max_length=64, examples=["Asia/Shanghai"]), AfterValidator(_known_zone)
]


class PropertyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None,
        pattern=properties_api.PROPERTY_ID.pattern,
        description="Chosen by the admin (`sunshine-garden`), or made up when left out",
        examples=["sunshine-garden"],
    )
    name: Name
    timezone: TimeZone | None = Field(None, description="IANA time zone; Asia/Shanghai if left out")


class PropertyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    timezone: TimeZone | None = None


class PropertyRead(BaseModel):
    id: str
    name: str
    timezone: str


class PropertyPage(BaseModel):
    items: list[PropertyRead]
    next_cursor: str | None


def _read(row: Property) -> PropertyRead:
    return PropertyRead(id=row.id, name=row.name, timezone=row.timezone)


@router.get(
    "",
    operation_id="listProperties",
    summary="Every property, oldest first",
    responses=problems(403),
)
async def list_properties(
    ctx: ReadContext, limit: Limit = 50, cursor: Cursor = None
) -> PropertyPage:
    rows, next_cursor = await properties_api.list_properties(ctx, limit=limit, cursor=cursor)
    return PropertyPage(items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    operation_id="createProperty",
    summary="Add a property; it starts with the default routing rules and deadline policies",
    response_model=PropertyRead,
    responses=problems(403, 409),
)
async def create_property(
    body: PropertyCreate, ctx: WriteContext, idempotency_key: IdempotencyKey = None
) -> Response:
    async def create() -> tuple[BaseModel, str]:
        prop = await properties_api.create_property(
            ctx, property_id=body.id, name=body.name, timezone=body.timezone
        )
        return _read(prop), f"/v1/properties/{prop.id}"

    return await create_once(
        ctx, idempotency_key, operation="createProperty", body=body, create=create
    )


@router.get(
    "/{property_id}",
    operation_id="getProperty",
    summary="One property",
    responses=problems(403, 404),
)
async def get_property(property_id: PropertyId, ctx: ReadContext) -> PropertyRead:
    return _read(await properties_api.get_property(ctx, property_id))


@router.patch(
    "/{property_id}",
    operation_id="updateProperty",
    summary="Rename a property or change its time zone",
    responses=problems(403, 404),
)
async def update_property(
    property_id: PropertyId, body: PropertyUpdate, ctx: WriteContext
) -> PropertyRead:
    prop = await properties_api.get_property(ctx, property_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return _read(await properties_api.update_property(ctx, prop, changes))
