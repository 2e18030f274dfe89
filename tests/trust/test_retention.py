"""Retention (PIPL): contact numbers of orders closed longer than the retention period are erased."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from workorders.models import WorkOrder
from workorders.workers.runner import Workers, jobs

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community
    from workorders.clock import ManualClock


async def test_contacts_of_long_closed_orders_are_erased_and_the_orders_kept(
    client: httpx.AsyncClient, app: Any, clock: ManualClock, community: Community, file_order: Any
) -> None:
    old = await file_order(community.owner, "厨房水管漏水", contact_phone="13812345678")
    path = f"/v1/work-orders/{old['id']}"
    for person, action, body in [
        (community.engineer, "claim", {}),
        (community.engineer, "start", {}),
        (community.engineer, "resolve", {"resolution": "换了阀门"}),
        (community.owner, "confirm", {"rating": 5}),
    ]:
        response = await client.post(f"{path}/{action}", json=body, headers=person.headers)
        assert response.status_code == 200, response.text
    cancelled = await file_order(community.owner, "门禁坏了", contact_phone="13812345678")
    response = await client.post(
        f"/v1/work-orders/{cancelled['id']}/cancel",
        json={"reason": "好了"},
        headers=community.owner.headers,
    )
    assert response.status_code == 200
    open_order = await file_order(community.owner, "路灯坏了", contact_phone="13812345678")

    [job] = [j for j in jobs(app.state.settings) if j.name == "contact-retention"]
    runner = Workers(app.state.db, app.state.settings, clock)
    clock.advance(app.state.settings.contact_retention - timedelta(days=1))
    await runner.run_once(job)
    async with app.state.db.reader() as session:
        assert (await session.get(WorkOrder, old["id"])).contact_phone == "13812345678"
    clock.advance(timedelta(days=2))
    await runner.run_once(job)
    async with app.state.db.reader() as session:
        erased = await session.get(WorkOrder, old["id"])
        assert erased.contact_phone is None
        assert erased.status == "closed" and erased.rating_score == 5 and erased.resolved_at
        assert (await session.get(WorkOrder, cancelled["id"])).contact_phone is None
        assert (await session.get(WorkOrder, open_order["id"])).contact_phone == "13812345678"
