"""Production refuses unsafe settings; development tokens follow the token rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from workorders.auth import decode_token, mint_token
from workorders.config import DEV_JWT_SECRET, Settings
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Department
from workorders.errors import Unauthorized

STRONG = "s" * 48
POSTGRES = "postgresql+asyncpg://svc@db/workorders"


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="development secret"):
        Settings(env="production", database_url=POSTGRES)


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ValidationError, match="shorter than 32 bytes"):
        Settings(env="production", database_url=POSTGRES, jwt_secret="short")


def test_production_refuses_sqlite_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="SQLite"):
        Settings(env="production", jwt_secret=STRONG, database_url="sqlite+aiosqlite:///x.db")
    allowed = Settings(
        env="production",
        jwt_secret=STRONG,
        database_url="sqlite+aiosqlite:///x.db",
        allow_sqlite_in_production=True,
    )
    assert allowed.is_production


def test_production_with_safe_settings_starts_and_refuses_dev_tokens() -> None:
    settings = Settings(env="production", jwt_secret=STRONG, database_url=POSTGRES)
    with pytest.raises(RuntimeError, match="production"):
        mint_token(settings, role=Role.MANAGER, now=datetime.now(UTC))


def test_development_tokens_round_trip() -> None:
    settings = Settings(jwt_secret=DEV_JWT_SECRET)
    token = mint_token(
        settings,
        role=Role.STAFF,
        now=datetime.now(UTC),
        sub="stf_1",
        dept=Department.ENGINEERING,
    )
    principal = decode_token(token, settings)
    assert (principal.role, principal.sub, principal.dept, principal.property_id) == (
        Role.STAFF,
        "stf_1",
        Department.ENGINEERING,
        "default",
    )


def test_tokens_that_would_be_refused_are_never_minted() -> None:
    with pytest.raises(Unauthorized):
        mint_token(Settings(), role=Role.STAFF, now=datetime.now(UTC), sub="stf_1")
