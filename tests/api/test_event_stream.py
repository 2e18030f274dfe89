"""The live stream: Server-Sent Events from real `serve` instances on 127.0.0.1.

Two apps, each with its own Database (engines, pools) and its own LISTEN connection, share nothing in
memory but the database: an event committed through one reaches a client connected to the other. On
PostgreSQL the poll interval is set to a minute, so only NOTIFY can bring it in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from workorders.app import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.conftest import Community, Person
    from workorders.clock import ManualClock
    from workorders.config import Settings

WAIT = 10.0


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: dict[str, Any] | None = None
    comments: list[str] = field(default_factory=list)


async def messages(response: httpx.Response) -> AsyncIterator[Message]:
    """The SSE wire format, message by message."""
    current = Message()
    async for line in response.aiter_lines():
        if line == "":
            yield current
            current = Message()
        elif line.startswith(":"):
            current.comments.append(line[1:].strip())
        else:
            name, _, value = line.partition(": ")
            if name == "data":
                current.data = json.loads(value)
            elif name in ("id", "event"):
                setattr(current, name, value)


async def next_event(stream: AsyncIterator[Message]) -> Message:
    async with asyncio.timeout(WAIT):
        async for message in stream:
            if message.event is not None:
                return message
    raise AssertionError("the stream ended")


async def file_on(http: httpx.AsyncClient, base: str, person: Person, description: str) -> str:
    """An order filed by `person` through the server at `base`; its id."""
    response = await http.post(
        f"{base}/v1/work-orders", json={"description": description}, headers=person.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@contextlib.asynccontextmanager
async def serving(settings: Settings, clock: ManualClock) -> AsyncIterator[str]:
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(WAIT):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def two_servers(settings: Settings, clock: ManualClock) -> AsyncIterator[tuple[str, str]]:
    """Two servers of this test alone. Servers shared by a module's tests would keep a feed position
    across the tables being emptied between tests: on SQLite the next event's `seq` starts again
    at 1, behind that position, and a stream would wait for it in vain."""
    live = settings.model_copy(
        update={
            "feed_heartbeat_interval": timedelta(seconds=0.3),
            "feed_poll_interval": timedelta(seconds=0.1 if settings.is_sqlite else 60),
        }
    )
    async with serving(live, clock) as first, serving(live, clock) as second:
        yield first, second


async def test_an_event_committed_through_one_server_reaches_a_stream_on_another(
    two_servers: tuple[str, str], community: Community
) -> None:
    watched, other = two_servers
    async with httpx.AsyncClient(timeout=WAIT) as http:
        await file_on(http, other, community.owner, "连接之前的报修")
        async with http.stream(
            "GET", f"{watched}/v1/events/stream", headers=community.cs.headers
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = messages(response)
            created = await file_on(http, other, community.owner, "电梯困人了")
            message = await next_event(stream)

    assert message.event == "work_order.created"
    assert message.data is not None
    assert message.data["work_order_id"] == created  # not the one filed before
    assert message.id


async def test_the_stream_resumes_after_last_event_id_and_beats(
    two_servers: tuple[str, str], community: Community
) -> None:
    watched, other = two_servers
    url = f"{watched}/v1/events/stream"
    params = {"type": "work_order.*"}

    async def file(description: str) -> str:
        return await file_on(http, other, community.owner, description)

    async with httpx.AsyncClient(timeout=WAIT) as http:
        async with http.stream("GET", url, params=params, headers=community.owner.headers) as r:
            stream = messages(r)
            first = await file("第一个报修")
            seen = await next_event(stream)
            assert seen.data is not None
            assert seen.data["work_order_id"] == first
            async with asyncio.timeout(WAIT):
                async for message in stream:
                    if "keep-alive" in message.comments:
                        break

        second = await file("断线期间的报修")
        headers = community.owner.headers | {"Last-Event-ID": str(seen.id)}
        async with http.stream("GET", url, params=params, headers=headers) as r:
            resumed = await next_event(messages(r))
    assert resumed.data is not None
    assert resumed.data["work_order_id"] == second


async def test_a_bad_last_event_id_is_refused_before_the_stream_opens(
    two_servers: tuple[str, str], community: Community
) -> None:
    watched, _ = two_servers
    async with httpx.AsyncClient(timeout=WAIT) as http:
        response = await http.get(
            f"{watched}/v1/events/stream",
            headers=community.cs.headers | {"Last-Event-ID": "garbage"},
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_owners_stream_carries_no_staff_only_words(
    two_servers: tuple[str, str], community: Community
) -> None:
    """The follower renders each event once per audience: the owner's copy has no decline reason."""
    watched, other = two_servers
    reason = "这家业主太难缠，不想去"
    async with httpx.AsyncClient(timeout=WAIT) as http:

        async def act(person: Any, order_id: str, action: str, body: dict[str, Any]) -> None:
            response = await http.post(
                f"{other}/v1/work-orders/{order_id}/{action}", json=body, headers=person.headers
            )
            assert response.status_code == 200, response.text

        filed = await http.post(
            f"{other}/v1/work-orders",
            json={"description": "厨房水龙头一直滴水", "category": "plumbing"},
            headers=community.owner.headers,
        )
        assert filed.status_code == 201, filed.text
        order_id = filed.json()["id"]
        url = f"{watched}/v1/events/stream"
        params = {"type": "work_order.declined"}
        async with (
            http.stream("GET", url, params=params, headers=community.owner.headers) as mine,
            http.stream("GET", url, params=params, headers=community.cs.headers) as desk,
        ):
            await act(community.engineer, order_id, "claim", {})
            await act(community.engineer, order_id, "decline", {"reason": reason})
            owners = await next_event(messages(mine))
            staff = await next_event(messages(desk))

    assert owners.event == staff.event == "work_order.declined"
    assert staff.data is not None and reason in json.dumps(staff.data, ensure_ascii=False)
    assert owners.data is not None and reason not in json.dumps(owners.data, ensure_ascii=False)


async def test_streams_of_one_principal_each_get_the_event_and_another_principal_only_its_own(
    two_servers: tuple[str, str], community: Community
) -> None:
    """The follower works out what a stream wants once per distinct principal and filter: both of
    customer service's screens get the owner's order, and the neighbour's stream on the same server
    gets only the neighbour's own order, filed after it."""
    watched, other = two_servers
    async with (
        httpx.AsyncClient(timeout=WAIT) as http,
        http.stream(
            "GET", f"{watched}/v1/events/stream", headers=community.cs.headers
        ) as first_screen,
        http.stream(
            "GET", f"{watched}/v1/events/stream", headers=community.cs.headers
        ) as second_screen,
        http.stream(
            "GET", f"{watched}/v1/events/stream", headers=community.neighbour.headers
        ) as neighbours,
    ):
        screens = [messages(first_screen), messages(second_screen)]
        neighbour = messages(neighbours)
        owners = await file_on(http, other, community.owner, "楼道灯不亮")
        for screen in screens:
            message = await next_event(screen)
            assert message.data is not None
            assert message.data["work_order_id"] == owners
        theirs = await file_on(http, other, community.neighbour, "阳台下水道堵了")
        seen = await next_event(neighbour)  # the owner's order, filed first, never reaches it
        assert seen.data is not None
        assert seen.data["work_order_id"] == theirs
