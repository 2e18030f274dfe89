"""The command line, the demo community and the metrics endpoint."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from workorders.cli import YOUNG_GENERATION, app_without_workers, main
from workorders.models import Owner, Staff, WorkOrder
from workorders.services import demo

if TYPE_CHECKING:
    import httpx
    import pytest

    from workorders.config import Settings
    from workorders.db import Database


async def test_demo_community_has_every_department_and_orders_in_several_statuses(
    db: Database, settings: Settings, clock: object
) -> None:
    async with db.writer() as session, session.begin():
        assert not await demo.is_seeded(session)
        await demo.seed(session, settings, clock.now())
    async with db.reader() as session, session.begin():
        assert await demo.is_seeded(session)
        departments = set((await session.execute(select(Staff.department))).scalars())
        statuses = set((await session.execute(select(WorkOrder.status))).scalars())
        owners = await session.scalar(select(func.count()).select_from(Owner))
    assert departments == {None, "engineering", "security", "cleaning", "customer_service"}
    assert {"closed", "assigned", "queued", "triage"} <= statuses
    assert owners == 3


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'workorders_http_requests_total{method="GET",route="/healthz",status="200"}' in (
        response.text
    )


def test_token_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "staff", "--dept", "engineering", "--sub", "stf_1"]) == 0
    assert capsys.readouterr().out.count(".") == 2  # header.claims.signature
    assert main(["token", "--role", "staff", "--sub", "stf_1"]) == 2
    assert "dept" in capsys.readouterr().err


def test_a_served_app_is_frozen_out_of_the_collectors_way() -> None:
    """`serve`'s factory freezes what it built (gc.freeze): full collections under load walked it all;
    and its young generation outgrows the objects of the requests in flight."""
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        app = app_without_workers()
        assert gc.get_freeze_count() > 0
        # Frozen: in no generation a collection walks.
        assert not any(o is app for g in (0, 1, 2) for o in gc.get_objects(generation=g))
        assert gc.get_threshold() == (YOUNG_GENERATION, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
