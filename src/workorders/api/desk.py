"""The customer-service desk and the manager's figures: pages served by the service, clients of `/v1`.

The pages are static HTML and a small script of our own; they hold the bearer token in
`sessionStorage` and call the API like any other client. The only server-side help is the language
of the first paint (`Accept-Language`) and, in development only, a sign-in that mints a token for a
person picked from the directory.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from workorders.auth import DEFAULT_PROPERTY, mint_token
from workorders.db import transaction
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Department
from workorders.errors import NotFound, _
from workorders.models import Owner, Staff

router = APIRouter(prefix="/desk", include_in_schema=False)

_ASSETS = files("workorders.desk")
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".txt": "text/plain",
    ".svg": "image/svg+xml",
}
# Pages load nothing from outside the service, and nothing may frame them.
_SECURITY = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _language(request: Request) -> str:
    """Chinese unless the browser prefers English over Chinese."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def _page(request: Request, name: str) -> HTMLResponse:
    html = (_ASSETS / "pages" / name).read_text(encoding="utf-8")
    html = html.replace(
        'lang="zh-CN"', 'lang="en"' if _language(request) == "en" else 'lang="zh-CN"'
    )
    return HTMLResponse(html, headers={**_SECURITY, "Cache-Control": "no-cache"})


@router.get("")
@router.get("/")
async def desk(request: Request) -> HTMLResponse:
    return _page(request, "desk.html")


@router.get("/figures")
async def figures(request: Request) -> HTMLResponse:
    return _page(request, "figures.html")


@router.get("/static/{name}")
async def asset(name: str) -> Response:
    suffix = name[name.rfind(".") :] if "." in name else ""
    resource = _ASSETS / "static" / name
    if "/" in name or suffix not in _TYPES or not resource.is_file():
        raise NotFound(_("no such asset"))
    return Response(
        resource.read_bytes(),
        media_type=_TYPES[suffix],
        headers={**_SECURITY, "Cache-Control": "no-cache"},
    )


# --- development sign-in --------------------------------------------------------------------------


class DevPerson(BaseModel):
    kind: Literal["staff", "owner"]
    id: str
    name: str
    role: str
    department: str | None = None


class DevTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["staff", "owner"]
    id: str


def _development_only(request: Request) -> None:
    if request.app.state.settings.is_production:
        raise NotFound(_("development sign-in exists only when WORKORDERS_ENV=development"))


@router.get("/dev/people")
async def dev_people(request: Request) -> dict[str, list[DevPerson]]:
    """The demo directory, to pick whom to sign in as (development only)."""
    _development_only(request)
    async with transaction(request.app.state.db.reader) as session:
        staff = (
            await session.execute(
                select(Staff)
                .where(Staff.property_id == DEFAULT_PROPERTY)
                .order_by(Staff.created_at)
            )
        ).scalars()
        owners = (
            await session.execute(
                select(Owner)
                .where(Owner.property_id == DEFAULT_PROPERTY)
                .order_by(Owner.created_at)
            )
        ).scalars()
        people = [
            DevPerson(kind="staff", id=s.id, name=s.name, role=s.role, department=s.department)
            for s in staff
        ] + [DevPerson(kind="owner", id=o.id, name=o.name, role="owner") for o in owners]
    return {"items": people}


@router.post("/dev/token")
async def dev_token(request: Request, body: DevTokenRequest) -> dict[str, str]:
    """A development token for one person of the directory (development only)."""
    _development_only(request)
    state = request.app.state
    async with transaction(state.db.reader) as session:
        if body.kind == "owner":
            owner = await session.get(Owner, body.id)
            if owner is None:
                raise NotFound(_("no such owner"))
            role, sub, dept, prop = Role.OWNER, owner.id, None, owner.property_id
        else:
            member = await session.get(Staff, body.id)
            if member is None:
                raise NotFound(_("no such staff member"))
            role = Role(member.role) if member.role in ("supervisor", "manager") else Role.STAFF
            dept = Department(member.department) if member.department else None
            sub, prop = member.id, member.property_id
            if role is Role.MANAGER:
                dept = None
    token = mint_token(
        state.settings, role=role, now=state.clock.now(), sub=sub, dept=dept, prop=prop
    )
    return {"token": token, "role": str(role)}
