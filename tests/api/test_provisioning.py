"""A property starts with its defaults: filing there needs no seeding on the request path."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from tests.conftest import MakeToken
from workorders.db import Database
from workorders.models import SlaPolicy, SlaSettings
from workorders.services import properties


async def test_a_provisioned_property_has_its_deadline_policies(
    client: httpx.AsyncClient, db: Database, token: MakeToken
) -> None:
    async with db.writer() as session, session.begin():
        await properties.provision(session, "p_new", "新园", "Asia/Shanghai", datetime.now(UTC))
    async with db.reader() as session, session.begin():
        settings = await session.get(SlaSettings, "p_new")
        policies = await session.scalar(
            select(func.count()).select_from(SlaPolicy).where(SlaPolicy.property_id == "p_new")
        )
    assert settings is not None
    assert policies == 4
    manager = {"Authorization": f"Bearer {token('manager', prop='p_new')}"}
    listed = await client.get("/v1/sla-policies", headers=manager)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == 4
