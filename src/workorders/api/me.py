"""`/v1/me`: who the token belongs to, as the directory knows them (API.md, "Who I am")."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel

from workorders.api import V1
from workorders.api.deps import ReadContext
from workorders.api.responses import problems
from workorders.models import Owner
from workorders.schemas import UnitRead
from workorders.services import properties_api

router = APIRouter(prefix=V1, tags=["me"])


class PropertyRef(BaseModel):
    id: str
    name: str


class OwnerMe(BaseModel):
    role: str
    id: str
    name: str
    phone: str
    units: list[UnitRead]
    property: PropertyRef


class StaffMe(BaseModel):
    role: str
    id: str
    name: str
    department: str | None
    on_duty: bool
    property: PropertyRef


class TokenMe(BaseModel):
    """A manager or admin token without `sub`: nobody in the directory, just a role."""

    role: str
    property: PropertyRef


@router.get(
    "/me",
    operation_id="getMe",
    summary="The caller: an owner's own record and units, a staff member's card, or just the role",
    response_model=OwnerMe | StaffMe | TokenMe,
    responses=problems(),
)
async def get_me(ctx: ReadContext, response: Response) -> OwnerMe | StaffMe | TokenMe:
    found = await properties_api.me(ctx)
    response.headers["Cache-Control"] = "no-store"
    prop = PropertyRef(id=found.property.id, name=found.property.name)
    person = found.person
    if person is None:
        return TokenMe(role=found.role, property=prop)
    if isinstance(person, Owner):
        return OwnerMe(
            role=found.role,
            id=person.id,
            name=person.name,
            phone=person.phone,
            units=[UnitRead.model_validate(u) for u in person.units],
            property=prop,
        )
    return StaffMe(
        # The directory wins over the token (API.md): its role and department are the true ones.
        role=person.role,
        id=person.id,
        name=person.name,
        department=person.department,
        on_duty=person.on_duty,
        property=prop,
    )
