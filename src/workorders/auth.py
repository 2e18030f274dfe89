"""Bearer tokens: PyJWT verification into a `Principal`, and development tokens for `workorders token`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt

from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import Department
from workorders.errors import Unauthorized, _

if TYPE_CHECKING:
    from datetime import datetime

    from workorders.config import Settings

DEFAULT_PROPERTY = "default"
# Roles whose tokens must name the person (the directory id) they belong to.
_NEEDS_SUB = frozenset({Role.OWNER, Role.STAFF, Role.SUPERVISOR})
_NEEDS_DEPT = frozenset({Role.STAFF, Role.SUPERVISOR})


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise Unauthorized(_("the token's role claim is missing or unknown")) from None
    sub = claims.get("sub")
    if sub is not None and (not isinstance(sub, str) or not sub):
        raise Unauthorized(_("the token's sub claim must be a non-empty string"))
    if role in _NEEDS_SUB and sub is None:
        raise Unauthorized(_("a {role} token must carry a sub claim", role=role))
    dept: Department | None = None
    if role in _NEEDS_DEPT:
        try:
            dept = Department(str(claims.get("dept")))
        except ValueError:
            raise Unauthorized(
                _("a {role} token must carry a known dept claim", role=role)
            ) from None
    prop = claims.get("prop") or DEFAULT_PROPERTY
    if not isinstance(prop, str):
        raise Unauthorized(_("the token's prop claim must be a string"))
    return Principal(role=role, property_id=prop, sub=sub, dept=dept)


# Keys of an identity provider sign with these; HS256 is the development secret's alone, so that a
# token can never pass an HMAC check keyed with a public key (algorithm confusion).
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "PS256"})
_REFUSED = _("the token is not valid")


class TokenVerifier:
    """Checks a bearer token's signature and claims; knows nothing of the directory.

    Tokens signed with HS256 are checked with `WORKORDERS_JWT_SECRET` (development tokens, and
    deployments that share a secret); RS256/ES256 tokens with the configured public key
    (`WORKORDERS_JWT_PUBLIC_KEY`, PEM) or with the key the identity provider's JWKS
    (`WORKORDERS_JWT_JWKS_URL`) publishes under the token's `kid`, cached by PyJWKClient.
    """

    def __init__(self, settings: Settings, jwks_client: jwt.PyJWKClient | None = None) -> None:
        self.settings = settings
        self.public_key = settings.jwt_public_key
        self.jwks_client = jwks_client
        if jwks_client is None and settings.jwt_jwks_url:
            self.jwks_client = jwt.PyJWKClient(
                settings.jwt_jwks_url,
                cache_keys=True,
                lifespan=int(settings.jwt_jwks_cache.total_seconds()),
                timeout=5,
            )

    async def _key(self, token: str, algorithm: str) -> Any:
        if algorithm not in self.settings.jwt_algorithms:
            raise Unauthorized(_REFUSED)
        if algorithm in HMAC_ALGORITHMS:
            return self.settings.jwt_secret
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise Unauthorized(_REFUSED)
        if self.public_key:
            return self.public_key
        if self.jwks_client is not None:
            try:
                # PyJWKClient fetches with blocking I/O when the key is not cached yet.
                found = await asyncio.to_thread(self.jwks_client.get_signing_key_from_jwt, token)
            except jwt.PyJWKClientError:
                raise Unauthorized(_REFUSED) from None
            return found.key
        raise Unauthorized(_REFUSED)

    async def verify(self, token: str) -> Principal:
        """The principal the token claims to be; the directory has the last word (principals.py).

        A refusal never repeats the JWT library's words: they would tell a prober what to fix."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError:
            raise Unauthorized(_REFUSED) from None
        if not isinstance(algorithm, str):
            raise Unauthorized(_REFUSED)
        key = await self._key(token, algorithm)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "iat", "role"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(_("the token has expired")) from None
        except jwt.InvalidTokenError:
            raise Unauthorized(_REFUSED) from None
        return principal_from_claims(claims)


def decode_token(token: str, settings: Settings) -> Principal:
    """`TokenVerifier(settings).verify` for synchronous callers (the development secret only)."""
    return asyncio.run(TokenVerifier(settings).verify(token))


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
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
