"""Who a request runs as: the token says who it claims to be, the property's directory decides.

A token's `sub` must name an active person of the property the token names, whose role and department
agree with the token's (API.md, "Who I am"): unknown or inactive is 401, a contradiction 403. The
directory is read through the configuration cache (services/configuration.py), once per revision of the
property's configuration, so a warm request pays no extra round trip; every change of the directory
raises that revision (services/directory.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from workorders.domain.actors import Principal, Role
from workorders.errors import Forbidden, Label, Unauthorized, _
from workorders.models import Owner, Staff
from workorders.services import configuration

if TYPE_CHECKING:
    from workorders.services.configuration import Reader

DIRECTORY_KEY = "directory"


@dataclass(frozen=True)
class Person:
    """What the directory says about one id: an owner, or a staff member with role and department."""

    kind: str  # "owner" or "staff"
    role: str | None
    department: str | None
    active: bool
    # Staff only: what an order's assignee card shows (api/presenters.py), from the same read.
    name: str | None = None
    phone: str | None = None


async def _load(session: Reader, property_id: str) -> dict[str, Person]:
    people: dict[str, Person] = {}
    staff = await session.execute(
        select(Staff.id, Staff.role, Staff.department, Staff.active, Staff.name, Staff.phone).where(
            Staff.property_id == property_id
        )
    )
    for member_id, role, department, active, name, phone in staff:
        people[member_id] = Person("staff", role, department, active, name, phone)
    owners = await session.execute(
        select(Owner.id, Owner.active).where(Owner.property_id == property_id)
    )
    for owner_id, active in owners:
        people[owner_id] = Person("owner", None, None, active)
    return people


def check(claimed: Principal, person: Person | None) -> None:
    """Raise unless `person` (the directory's entry for the token's sub) bears the token out."""
    if person is None or not person.active:
        raise Unauthorized(_("the token names no active person of this property"))
    if claimed.role is Role.OWNER:
        if person.kind != "owner":
            raise Forbidden(_("the directory lists this person as staff, not as an owner"))
        return
    if person.kind != "staff":
        raise Forbidden(_("the directory lists this person as an owner, not as staff"))
    if claimed.role is Role.ADMIN:
        # Admins live in the identity provider; a named one must at least be staff of the property.
        return
    if person.role != str(claimed.role):
        raise Forbidden(
            _(
                "the directory lists this person as {role}, not {claimed}",
                role=person.role,
                claimed=claimed.role,
            )
        )
    if claimed.role is not Role.MANAGER and person.department != str(claimed.dept):
        raise Forbidden(
            _(
                "the directory lists this person in {department}, not {dept}",
                department=Label("queue", person.department),
                dept=claimed.dept,
            )
        )


def _people(snapshot: configuration.Snapshot, session: Reader) -> Awaitable[dict[str, Person]]:
    property_id = snapshot.property_id

    async def load(s: Reader) -> dict[str, Person]:
        return await _load(s, property_id)

    return snapshot.load(DIRECTORY_KEY, session, load)


def held_directory(
    cache: configuration.ConfigCache, property_id: str
) -> Mapping[str, Person] | None:
    """`directory` without a session, when this process holds the snapshot the request's token
    check has just verified (or trusted) with its directory loaded; None when `directory` must read."""
    snapshot = cache.held(property_id)
    return snapshot.loaded(DIRECTORY_KEY) if snapshot is not None else None


def resolve_held(cache: configuration.ConfigCache, claimed: Principal) -> Principal | None:
    """`resolve` without a session, when this process's cache alone can answer (it holds the
    property's directory, at a revision NOTIFY or SQLite's probe confirms): None when it cannot, and
    `resolve` must read."""
    snapshot = cache.confirmed(claimed.property_id)
    if snapshot is None:
        return None
    if claimed.sub is None:
        return claimed
    people: Mapping[str, Person] | None = snapshot.loaded(DIRECTORY_KEY)
    if people is None:
        return None
    check(claimed, people.get(claimed.sub))
    return claimed


async def resolve(session: Reader, claimed: Principal) -> Principal:
    """The principal to act as, once the directory has borne the token out."""
    try:
        snapshot = await configuration.snapshot(session, claimed.property_id)
    except LookupError:
        raise Unauthorized(_("the token names no property of this service")) from None
    if claimed.sub is None:
        return claimed  # manager and admin tokens may omit it (auth.py refuses it for the others)
    people = await _people(snapshot, session)
    check(claimed, people.get(claimed.sub))
    return claimed


async def directory(session: Reader, property_id: str) -> Mapping[str, Person]:
    """The property's directory as the request's token check found it: the snapshot that check has
    just verified is taken as it is (no round trip), and its directory is read only when that check
    did not need it (a token without `sub`)."""
    snapshot = configuration.of(session).held(property_id) or await configuration.snapshot(
        session, property_id
    )
    return await _people(snapshot, session)
