"""Who is acting: the principal a request runs as, derived from its token's claims."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workorders.domain.taxonomy import Department


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"


class ActorType(StrEnum):
    """How an actor appears on events and on an order's `reporter`."""

    OWNER = "owner"
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    role: Role
    property_id: str
    sub: str | None = None
    dept: Department | None = None

    @property
    def actor_type(self) -> ActorType:
        return ActorType.OWNER if self.role is Role.OWNER else ActorType.STAFF

    @property
    def is_department_staff(self) -> bool:
        """Staff or supervisor of a department (customer service included)."""
        return self.role in (Role.STAFF, Role.SUPERVISOR) and self.dept is not None

    @property
    def is_customer_service(self) -> bool:
        return self.is_department_staff and self.dept is Department.CUSTOMER_SERVICE

    @property
    def sees_whole_property(self) -> bool:
        """Customer service, the manager and the admin see every order of the property."""
        return self.is_customer_service or self.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_staff_side(self) -> bool:
        """Anyone on the property company's side (everyone but owners)."""
        return self.role is not Role.OWNER
