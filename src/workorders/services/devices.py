"""Push devices: an app install registers its push token for the person signed in on it.

A token names one install, so registering it again (the same person, or someone else who signed in on
that phone) moves it to the caller instead of adding a second row: the upsert is one statement, safe
under concurrent registrations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from workorders.db import new_id
from workorders.errors import Forbidden, NotFound, _
from workorders.models.devices import Device
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from workorders.services.context import Context

PLATFORMS = ("ios", "android", "harmony", "web", "mini_program")
DEVICE_ORDER = Ordering("created_at", (Device.created_at, Device.id))


def _holder(ctx: Context) -> tuple[str, str]:
    principal = ctx.principal
    if principal.sub is None:
        raise Forbidden(_("devices belong to a person: this token names nobody (no sub)"))
    return str(principal.actor_type), principal.sub


def _mine(ctx: Context) -> ColumnElement[bool]:
    holder_type, holder_id = _holder(ctx)
    return (
        (Device.property_id == ctx.principal.property_id)
        & (Device.holder_type == holder_type)
        & (Device.holder_id == holder_id)
    )


async def register(ctx: Context, *, platform: str, token: str) -> Device:
    holder_type, holder_id = _holder(ctx)
    dialect = postgresql if ctx.session.get_bind().dialect.name == "postgresql" else sqlite
    holder = {
        "property_id": ctx.principal.property_id,
        "holder_type": holder_type,
        "holder_id": holder_id,
        "updated_at": ctx.now,
    }
    statement = (
        dialect.insert(Device)
        .values(id=new_id("dev"), platform=platform, token=token, created_at=ctx.now, **holder)
        .on_conflict_do_update(index_elements=["platform", "token"], set_=holder)
        .returning(Device.id)
    )
    device_id = (await ctx.session.execute(statement)).scalar_one()
    query = select(Device).where(Device.id == device_id).execution_options(populate_existing=True)
    return (await ctx.session.execute(query)).scalar_one()


async def list_mine(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[Device], str | None]:
    query = select(Device).where(_mine(ctx))
    return await fetch_page(ctx.session, query, DEVICE_ORDER, limit=limit, cursor=cursor)


async def unregister(ctx: Context, device_id: str) -> None:
    removed = await ctx.session.execute(
        delete(Device).where(Device.id == device_id, _mine(ctx)).returning(Device.id)
    )
    if removed.first() is None:
        raise NotFound(_("device {device_id} does not exist or is not yours", device_id=device_id))


async def tokens_of(ctx: Context, holder_type: str, holder_id: str) -> list[Device]:
    """A person's devices, for whatever sends pushes from inside the service."""
    query = select(Device).where(
        Device.property_id == ctx.principal.property_id,
        Device.holder_type == holder_type,
        Device.holder_id == holder_id,
    )
    return list((await ctx.session.execute(query)).scalars().all())
