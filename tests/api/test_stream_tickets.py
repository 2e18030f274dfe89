"""Stream tickets: a page opens the live stream with a single-use ticket instead of a header."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.api.test_event_stream import WAIT, messages, next_event, serving

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.conftest import Community, Person
    from workorders.clock import ManualClock
    from workorders.config import Settings


@pytest.fixture
async def server(settings: Settings, clock: ManualClock) -> AsyncIterator[str]:
    """A server per test, as in test_owner_story.py: a shared one's feed follower could outlive a
    test's stream at a position the next test's events (their `seq` restarted) never pass."""
    live = settings.model_copy(
        update={
            "feed_heartbeat_interval": timedelta(seconds=0.3),
            "feed_poll_interval": timedelta(seconds=0.1),
        }
    )
    async with serving(live, clock) as url:
        yield url


async def _ticket(http: httpx.AsyncClient, base: str, person: Person) -> str:
    response = await http.post(f"{base}/v1/stream-tickets", headers=person.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"ticket", "expires_at"}
    assert body["expires_at"].endswith("Z") or body["expires_at"].endswith("+00:00")
    return str(body["ticket"])


async def test_a_ticket_opens_the_stream_once_without_a_header(
    server: str, community: Community
) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        ticket = await _ticket(http, server, community.cs)
        url = f"{server}/v1/events/stream"
        async with http.stream(
            "GET", url, params={"ticket": ticket, "type": "work_order.created"}
        ) as response:
            assert response.status_code == 200
            stream = messages(response)
            created = await http.post(
                f"{server}/v1/work-orders",
                json={"description": "电梯困人了"},
                headers=community.owner.headers,
            )
            message = await next_event(stream)
            assert message.data is not None
            assert message.data["work_order_id"] == created.json()["id"]
            # Used up, even while the first stream is still open.
            again = await http.get(url, params={"ticket": ticket})
        assert again.status_code == 401
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["status"] == 401


async def test_an_expired_ticket_is_refused(
    server: str, community: Community, clock: ManualClock
) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        ticket = await _ticket(http, server, community.cs)
        clock.advance(timedelta(seconds=61))
        response = await http.get(f"{server}/v1/events/stream", params={"ticket": ticket})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_bearer_token_in_the_query_string_is_never_accepted(
    server: str, community: Community
) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        url = f"{server}/v1/events/stream"
        as_ticket = await http.get(url, params={"ticket": community.cs.token[:128]})
        as_token = await http.get(url, params={"access_token": community.cs.token})
        no_ticket = await http.post(f"{server}/v1/stream-tickets")
    assert as_ticket.status_code == 401
    assert as_token.status_code == 401
    assert no_ticket.status_code == 401


async def test_a_ticket_sees_only_what_its_caller_may_see(
    server: str, community: Community
) -> None:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        ticket = await _ticket(http, server, community.neighbour)
        url = f"{server}/v1/events/stream"
        async with http.stream(
            "GET", url, params={"ticket": ticket, "type": "work_order.created"}
        ) as response:
            assert response.status_code == 200
            stream = messages(response)
            await http.post(
                f"{server}/v1/work-orders",
                json={"description": "别人家的漏水"},
                headers=community.owner.headers,
            )
            mine = await http.post(
                f"{server}/v1/work-orders",
                json={"description": "我家的灯坏了"},
                headers=community.neighbour.headers,
            )
            message = await next_event(stream)
    assert message.data is not None
    assert message.data["work_order_id"] == mine.json()["id"]
