"""Bearer tokens: PyJWT verification into a `Principal`, and development tokens for `workorders token`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt

from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import Department
from workorders.errors import Unauthorized

if TYPE_CHECKING:
    from datetime import datetime

    from workorders.config import Settings

DEFAULT_PROPERTY = "default"
# Roles whose tokens must name the person (the directory id) they belong to.
_NEEDS_SUB = frozenset({Role.OWNER, Role.STAFF, Role.SUPERVISOR})
_NEEDS_DEPT = frozenset({Role.STAFF, Role.SUPERVISOR})


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims.get("role"))
    except ValueError:
        raise Unauthorized("the token's role claim is missing or unknown") from None
    sub = claims.get("sub")
    if sub is not None and (not isinstance(sub, str) or not sub):
        raise Unauthorized("the token's sub claim must be a non-empty string")
    if role in _NEEDS_SUB and sub is None:
        raise Unauthorized(f"a {role} token must carry a sub claim")
    dept: Department | None = None
    if role in _NEEDS_DEPT:
        try:
            dept = Department(claims.get("dept"))
        except ValueError:
            raise Unauthorized(f"a {role} token must carry a known dept claim") from None
    prop = claims.get("prop") or DEFAULT_PROPERTY
    if not isinstance(prop, str):
        raise Unauthorized("the token's prop claim must be a string")
    return Principal(role=role, property_id=prop, sub=sub, dept=dept)


def decode_token(token: str, settings: Settings) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=list(settings.jwt_algorithms),
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the token is not valid: {exc}") from None
    return principal_from_claims(claims)


def mint_token(
    settings: Settings,
    *,
    role: Role,
    now: datetime,
    sub: str | None = None,
    dept: Department | None = None,
    prop: str | None = None,
    ttl: timedelta | None = None,
) -> str:
    """A development token signed with the configured key. Refused in production."""
    if settings.is_production:
        raise RuntimeError("development tokens cannot be minted when WORKORDERS_ENV=production")
    claims: dict[str, Any] = {
        "role": str(role),
        "iat": int(now.timestamp()),
        "exp": int((now + (ttl or settings.dev_token_ttl)).timestamp()),
        "prop": prop or DEFAULT_PROPERTY,
    }
    if sub is not None:
        claims["sub"] = sub
    if dept is not None:
        claims["dept"] = str(dept)
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    # Validate before signing so that a token that would be refused is never printed.
    principal_from_claims(claims)
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithms[0])
