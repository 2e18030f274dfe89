"""The directory: staff members and owners (业主档案), whose phone numbers are confidential."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from workorders.db import new_id
from workorders.domain.actors import Principal, Role
from workorders.errors import Forbidden, NotFound, ValidationFailed, _
from workorders.models import AuditEntry, Owner, Staff
from workorders.services import configuration
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from workorders.schemas import OwnerCreate, OwnerUpdate, StaffCreate, StaffUpdate
    from workorders.services.context import Context

STAFF_ORDER = Ordering("created_at", (Staff.created_at, Staff.id))
OWNER_ORDER = Ordering("created_at", (Owner.created_at, Owner.id))


def mask_phone(phone: str) -> str:
    """`13812345678` -> `138****5678`: enough to recognise a number, not to dial it."""
    digits = phone.replace(" ", "").replace("-", "")
    if len(digits) >= 8:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * (len(digits) - 2) + digits[-2:]


# --- staff ----------------------------------------------------------------------------------------


def _require_staff_side(principal: Principal) -> None:
    if not principal.is_staff_side:
        raise Forbidden(_("owners cannot read the staff directory"))


def _may_manage(principal: Principal, department: str | None, role: str) -> bool:
    if principal.role in (Role.ADMIN, Role.MANAGER):
        return True
    return principal.role is Role.SUPERVISOR and department == principal.dept and role == "staff"


async def get_staff(ctx: Context, staff_id: str) -> Staff:
    _require_staff_side(ctx.principal)
    staff = await ctx.session.get(Staff, staff_id)
    if staff is None or staff.property_id != ctx.principal.property_id:
        raise NotFound(_("staff member {staff_id} does not exist", staff_id=staff_id))
    return staff


async def list_staff(
    ctx: Context,
    *,
    department: str | None,
    role: str | None,
    on_duty: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Staff], str | None]:
    _require_staff_side(ctx.principal)
    query = select(Staff).where(Staff.property_id == ctx.principal.property_id)
    if department is not None:
        query = query.where(Staff.department == department)
    if role is not None:
        query = query.where(Staff.role == role)
    if on_duty is not None:
        query = query.where(Staff.on_duty == on_duty)
    return await fetch_page(ctx.session, query, STAFF_ORDER, limit=limit, cursor=cursor)


async def create_staff(ctx: Context, body: StaffCreate) -> Staff:
    department = str(body.department) if body.department else None
    if not _may_manage(ctx.principal, department, body.role):
        raise Forbidden(_("only the admin, the manager or the department's supervisor add staff"))
    staff = Staff(
        id=new_id("stf"),
        property_id=ctx.principal.property_id,
        **body.model_dump(exclude={"department"}),
        department=department,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(staff)
    await ctx.session.flush()
    await configuration.touch(
        ctx.session, staff.property_id
    )  # dispatch and tokens read the cached directory
    return staff


async def update_staff(ctx: Context, staff: Staff, body: StaffUpdate) -> Staff:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "department" in changes and changes["department"] is not None:
        changes["department"] = str(changes["department"])
    principal = ctx.principal
    own_duty_only = principal.sub == staff.id and set(changes) <= {"on_duty"}
    if principal.sub == staff.id and changes.get("active") is False:
        raise Forbidden(_("you may not deactivate yourself"))
    target_department = changes.get("department", staff.department)
    target_role = changes.get("role", staff.role)
    if not own_duty_only and not (
        _may_manage(principal, staff.department, staff.role)
        and _may_manage(principal, target_department, target_role)
    ):
        raise Forbidden(_("you may not change this staff member"))
    if target_role != "manager" and target_department is None:
        raise ValidationFailed.on("department", _("staff and supervisors need a department"))
    for name, value in changes.items():
        setattr(staff, name, value)
    staff.updated_at = ctx.now
    await ctx.session.flush()
    await configuration.touch(
        ctx.session, staff.property_id
    )  # dispatch and tokens read the cached directory
    return staff


# --- owners ---------------------------------------------------------------------------------------


def may_read_owner_records(principal: Principal) -> bool:
    return principal.is_customer_service or principal.role in (Role.MANAGER, Role.ADMIN)


def shows_phone_of(principal: Principal, owner: Owner) -> bool:
    return principal.role is Role.OWNER and principal.sub == owner.id


async def get_owner(ctx: Context, owner_id: str) -> Owner:
    principal = ctx.principal
    owner = await ctx.session.get(Owner, owner_id)
    visible = owner is not None and owner.property_id == principal.property_id
    if visible and principal.role is Role.OWNER:
        visible = principal.sub == owner_id
    if not visible:
        raise NotFound(
            _("owner {owner_id} does not exist or is not visible to you", owner_id=owner_id)
        )
    if principal.role is not Role.OWNER and not may_read_owner_records(principal):
        raise Forbidden(_("owner records are kept by customer service"))
    assert owner is not None
    return owner


async def list_owners(
    ctx: Context, *, q: str | None, phone: str | None, limit: int, cursor: str | None
) -> tuple[list[Owner], str | None]:
    if not may_read_owner_records(ctx.principal):
        raise Forbidden(_("owner records are kept by customer service"))
    query = select(Owner).where(Owner.property_id == ctx.principal.property_id)
    if q:
        query = query.where(Owner.name.contains(q, autoescape=True))
    if phone:
        query = query.where(Owner.phone == phone)
    return await fetch_page(ctx.session, query, OWNER_ORDER, limit=limit, cursor=cursor)


def _require_owner_keeper(principal: Principal) -> None:
    if not may_read_owner_records(principal):
        raise Forbidden(_("owner records are kept by customer service"))


async def create_owner(ctx: Context, body: OwnerCreate) -> Owner:
    _require_owner_keeper(ctx.principal)
    owner = Owner(
        id=new_id("own"),
        property_id=ctx.principal.property_id,
        name=body.name,
        phone=body.phone,
        units=[u.model_dump() for u in body.units],
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(owner)
    await ctx.session.flush()
    await configuration.touch(ctx.session, ctx.principal.property_id)
    return owner


async def update_owner(ctx: Context, owner: Owner, body: OwnerUpdate) -> Owner:
    _require_owner_keeper(ctx.principal)
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(owner, name, value)
    owner.updated_at = ctx.now
    await ctx.session.flush()
    if "active" in changes:
        await configuration.touch(ctx.session, owner.property_id)
    return owner


async def reveal_phone(ctx: Context, owner: Owner, reason: str) -> Owner:
    """Customer service or the manager see the whole number; the audit log says who, when and why."""
    principal = ctx.principal
    if not (principal.is_customer_service or principal.role is Role.MANAGER):
        raise Forbidden(_("only customer service and the manager may reveal an owner's phone"))
    ctx.session.add(
        AuditEntry(
            id=new_id("aud"),
            property_id=principal.property_id,
            actor_type=principal.actor_type,
            actor_id=principal.sub,
            actor_role=principal.role,
            action="owner.phone_revealed",
            subject_type="owner",
            subject_id=owner.id,
            reason=reason,
            occurred_at=ctx.now,
        )
    )
    await ctx.session.flush()
    return owner
