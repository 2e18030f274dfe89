"""Who the caller is (`/v1/me`) and the properties the admin runs (`/v1/properties`).

A new property is created by `services.properties.provision`, with the defaults it starts with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import available_timezones

from sqlalchemy import select

from workorders.db import new_id
from workorders.domain.actors import Role
from workorders.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed, _
from workorders.models import Owner, Property, Staff
from workorders.services import configuration, properties
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from workorders.services.context import Context

PROPERTY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PROPERTY_ORDER = Ordering("created_at", (Property.created_at, Property.id))
DEFAULT_TIMEZONE = "Asia/Shanghai"


# --- me ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Me:
    """The caller as the directory knows them: `person` is an Owner, a Staff row, or None."""

    role: Role
    property: Property
    person: Owner | Staff | None


async def me(ctx: Context) -> Me:
    principal = ctx.principal
    prop = await ctx.session.get(Property, principal.property_id)
    if prop is None:
        raise Unauthorized(
            _(
                "the token's property {property_id} does not exist",
                property_id=principal.property_id,
            )
        )
    if principal.sub is None:
        return Me(principal.role, prop, None)
    person: Owner | Staff | None = (
        await ctx.session.get(Owner, principal.sub)
        if principal.role is Role.OWNER
        else await ctx.session.get(Staff, principal.sub)
    )
    if person is None or person.property_id != prop.id:
        raise Unauthorized(
            _("the token names no one in the directory of property {id}", id=prop.id)
        )
    return Me(principal.role, prop, person)


# --- properties -------------------------------------------------------------------------------------


def _require_admin(ctx: Context) -> None:
    if ctx.principal.role is not Role.ADMIN:
        raise Forbidden(_("only the admin manages properties"))


@cache
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    if name not in timezones():
        raise ValidationFailed.on(
            "timezone", _("{name!r} is not an IANA time zone (Asia/Shanghai)", name=name)
        )
    return name


async def list_properties(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[Property], str | None]:
    _require_admin(ctx)
    return await fetch_page(
        ctx.session, select(Property), PROPERTY_ORDER, limit=limit, cursor=cursor
    )


async def get_property(ctx: Context, property_id: str) -> Property:
    _require_admin(ctx)
    found = await ctx.session.get(Property, property_id)
    if found is None:
        raise NotFound(_("property {property_id} does not exist", property_id=property_id))
    return found


async def create_property(
    ctx: Context, *, property_id: str | None, name: str, timezone: str | None
) -> Property:
    _require_admin(ctx)
    if property_id is not None and not PROPERTY_ID.match(property_id):
        raise ValidationFailed.on(
            "id", _("lower-case letters, digits, - and _, starting with a letter or digit")
        )
    zone = check_timezone(timezone or DEFAULT_TIMEZONE)
    chosen = property_id or new_id("prop")
    prop = await properties.provision(ctx.session, chosen, name, zone, ctx.now)
    if prop is None:
        raise Conflict(_("property {chosen} already exists", chosen=chosen))
    return prop


async def update_property(ctx: Context, prop: Property, changes: dict[str, Any]) -> Property:
    _require_admin(ctx)
    if "timezone" in changes:
        check_timezone(changes["timezone"])
    for field, value in changes.items():
        setattr(prop, field, value)
    prop.updated_at = ctx.now
    await ctx.session.flush()
    # Name and time zone are part of the configuration every process caches.
    await configuration.touch(ctx.session, prop.id)
    await ctx.session.refresh(prop)
    return prop
