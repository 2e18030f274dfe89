"""Filing under a configuration this process has not yet heard has changed: on PostgreSQL the
statement that writes the order checks the property's revision itself (no read of its own first), so
a replica whose cache is behind writes nothing, places the order again under the current
configuration and files it then; numbers stay gap-free and a queue's automatic turn is taken once.
The replica here never hears the edit at all (its cache forgets nothing), which NOTIFY only makes
rarer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.test_dispatch import LEAK, _set, _turns
from tests.api.test_routing_rules import FIRST_ANY_WATER
from workorders.app import create_app
from workorders.db import Database
from workorders.domain.dispatch import Strategy
from workorders.domain.taxonomy import Channel, Kind
from workorders.models import Event, NumberCounter, WorkOrder
from workorders.services import configuration, filing
from workorders.services.configuration import Snapshot

if TYPE_CHECKING:
    from tests.conftest import Community, Person
    from workorders.clock import ManualClock
    from workorders.config import Settings


@asynccontextmanager
async def deaf_replica(
    settings: Settings, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """Another app instance (a replica) whose configuration cache is never told of an edit."""
    other = create_app(settings, clock=clock)
    async with (
        other.router.lifespan_context(other),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://b") as b,
    ):
        monkeypatch.setattr(other.state.db.config, "invalidate", lambda property_id=None: None)
        yield b


async def _file(b: httpx.AsyncClient, person: Person, text: str) -> dict[str, Any]:
    response = await b.post("/v1/work-orders", json={"description": text}, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _next(number: str) -> str:
    prefix, count = number.rsplit("-", 1)
    return f"{prefix}-{int(count) + 1:04d}"


async def test_a_replica_behind_on_the_rules_files_under_the_new_ones_without_a_gap(
    client: httpx.AsyncClient,
    community: Community,
    settings: Settings,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = community
    async with deaf_replica(settings, clock, monkeypatch) as b:
        before = await _file(b, c.owner, "厨房水龙头滴水")  # b now holds the rules
        assert before["queue"] == "engineering"

        created = await client.post(
            "/v1/routing-rules", json=FIRST_ANY_WATER, headers=c.manager.headers
        )
        assert created.status_code == 201, created.text

        after = await _file(b, c.owner, "厨房水龙头滴水")
        assert after["queue"] == "cleaning"
        assert after["number"] == _next(before["number"])
        again = await _file(b, c.owner, "厨房水龙头滴水")  # b holds the new rules now
        assert again["queue"] == "cleaning"
        assert again["number"] == _next(after["number"])

    listed = await client.get("/v1/work-orders?limit=50", headers=c.manager.headers)
    numbers = sorted(o["number"] for o in listed.json()["items"])
    assert len(numbers) == len(set(numbers)) == 3


async def test_a_replica_behind_takes_an_automatic_queues_turn_once(
    client: httpx.AsyncClient,
    community: Community,
    settings: Settings,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = community
    first, second = _turns(c)
    await _set(client, c.eng_supervisor, "engineering", "round_robin")
    async with deaf_replica(settings, clock, monkeypatch) as b:
        assert (await _file(b, c.owner, LEAK))["assignee_id"] == first.id  # b holds the dispatch
        # Any configuration edit moves the revision: b's snapshot is behind from here on.
        await _set(client, c.eng_supervisor, "engineering", "round_robin")

        assert (await _file(b, c.owner, LEAK))["assignee_id"] == second.id
        assert (await _file(b, c.owner, LEAK))["assignee_id"] == first.id


async def test_a_checked_filing_under_a_moved_revision_writes_nothing(
    db: Database, clock: ManualClock
) -> None:
    """Either database: the statements that write a checked filing write nothing at all (no number
    taken, no order, no event) when the property's revision is not the snapshot's any more."""
    async with db.writer() as session:
        current = await configuration.snapshot(session, "default", verify=True)
        behind = Snapshot(current.property_id, current.revision - 1, current.name, current.timezone)
        what = filing.Filing(description="厨房水龙头滴水", title=None, channel=Channel.PHONE)
        where = filing.Placement(
            queue="engineering",
            triage=False,
            priority="normal",
            category=None,
            kind=Kind.REPAIR,
            routing={},
            dispatch=Strategy.MANUAL,
        )
        with pytest.raises(filing.StaleConfiguration):
            await filing.file(session, behind, None, clock.now(), what, where, check_revision=True)
        for table in (NumberCounter, WorkOrder, Event):
            assert await session.scalar(select(func.count()).select_from(table)) == 0, table

        # The same filing under the current revision is written, numbered from 1.
        order = await filing.file(session, current, None, clock.now(), what, where)
        assert order.number is not None and order.number.endswith("-0001")
        await session.commit()
    async with db.reader() as session:
        events = (await session.scalars(select(Event.data))).all()
    assert [data["number"] for data in events] == [order.number]
