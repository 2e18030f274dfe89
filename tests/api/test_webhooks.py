"""Webhook endpoints and delivery: signed to the Standard Webhooks spec, at least once, in order per
order, retried on schedule, disabled when gone, recoverable."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.api.test_contract import assert_problem
from tests.api.webhook_receiver import Receiver
from workorders.workers.deliveries import DeliveryWorker

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from tests.conftest import Community, FileOrder
    from workorders.clock import ManualClock
    from workorders.config import Settings

HOOK = "http://127.0.0.1:9/hooks/crm"
OTHER = "http://127.0.0.1:9/hooks/other"


@pytest.fixture
def open_settings(app: Any) -> Iterator[Settings]:
    """The app's settings with WORKORDERS_WEBHOOK_ALLOW_PRIVATE_URLS, for a receiver on loopback."""
    saved = app.state.settings
    app.state.settings = saved.model_copy(update={"webhook_allow_private_urls": True})
    yield app.state.settings
    app.state.settings = saved


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def worker(
    app: Any, open_settings: Settings, clock: ManualClock, receiver: Receiver
) -> AsyncIterator[DeliveryWorker]:
    async with receiver.client() as http:
        # jitter 0.5: each retry exactly on its schedule.
        yield DeliveryWorker(app.state.db, open_settings, clock, http=http, jitter=lambda: 0.5)


async def add_endpoint(
    client: httpx.AsyncClient,
    community: Community,
    receiver: Receiver,
    url: str = HOOK,
    **fields: Any,
) -> dict[str, Any]:
    fields.setdefault("event_types", ["work_order.*"])
    response = await client.post(
        "/v1/webhook-endpoints", json={"url": url, **fields}, headers=community.admin.headers
    )
    assert response.status_code == 201, response.text
    endpoint = response.json()
    receiver.secrets[url] = [endpoint["secret"]]
    return endpoint


async def drain(worker: DeliveryWorker) -> None:
    """Run the worker until nothing is due now."""
    while await worker.run_once():
        pass


async def log_of(client: httpx.AsyncClient, community: Community, endpoint_id: str) -> list[dict]:
    response = await client.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=community.admin.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- administering endpoints ----------------------------------------------------------------------


async def test_endpoint_lifecycle_and_secret_shown_once(
    client: httpx.AsyncClient, community: Community, receiver: Receiver, open_settings: Settings
) -> None:
    endpoint = await add_endpoint(
        client, community, receiver, event_types=["work_order.*"], description="客服系统"
    )
    assert endpoint["secret"].startswith("whsec_")
    assert endpoint["event_types"] == ["work_order.*"]
    assert endpoint["disabled"] is False
    path = f"/v1/webhook-endpoints/{endpoint['id']}"

    read = (await client.get(path, headers=community.admin.headers)).json()
    assert "secret" not in read
    listed = (await client.get("/v1/webhook-endpoints", headers=community.admin.headers)).json()
    assert [e["id"] for e in listed["items"]] == [endpoint["id"]]

    changed = await client.patch(
        path, json={"event_types": ["work_order.resolved"]}, headers=community.admin.headers
    )
    assert changed.json()["event_types"] == ["work_order.resolved"]
    rotated = await client.post(f"{path}/rotate-secret", headers=community.admin.headers)
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != endpoint["secret"]

    assert (await client.delete(path, headers=community.admin.headers)).status_code == 204
    assert_problem(await client.get(path, headers=community.admin.headers), 404, "not-found")


async def test_only_the_admin_configures_endpoints(
    client: httpx.AsyncClient, community: Community, open_settings: Settings
) -> None:
    for person in (community.manager, community.cs, community.owner):
        response = await client.post(
            "/v1/webhook-endpoints", json={"url": HOOK}, headers=person.headers
        )
        assert_problem(response, 403, "forbidden")
        listed = await client.get("/v1/webhook-endpoints", headers=person.headers)
        assert_problem(listed, 403, "forbidden")
    unknown = await client.post(
        "/v1/webhook-endpoints",
        json={"url": HOOK, "secret": "mine"},
        headers=community.admin.headers,
    )
    assert_problem(unknown, 422, "validation-error")


REFUSED_URLS = (
    "http://127.0.0.1/hook",
    "http://2130706433/hook",
    "http://0177.0.0.1/hook",
    "http://0x7f.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.8/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[fd12::1]/hook",
    "http://localhost/hook",
    "ftp://example.com/hook",
    "https://user:pw@example.com/hook",
)


async def test_urls_to_private_addresses_are_refused(
    client: httpx.AsyncClient, community: Community
) -> None:
    for url in REFUSED_URLS:
        response = await client.post(
            "/v1/webhook-endpoints", json={"url": url}, headers=community.admin.headers
        )
        problem = assert_problem(response, 422, "validation-error")
        assert problem["errors"][0]["field"] == "url", url


# --- delivering -------------------------------------------------------------------------------------


async def test_delivery_is_signed_thin_and_verified_by_both_libraries(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    await add_endpoint(client, community, receiver)
    order = await file_order(community.owner, "厨房水管漏水", contact_phone="13812345678")
    await drain(worker)

    assert len(receiver.calls) == 1  # verified by both libraries inside the receiver
    call = receiver.calls[0]
    feed = (
        await client.get(
            "/v1/events", params={"type": "work_order.created"}, headers=community.cs.headers
        )
    ).json()["items"]
    assert call.webhook_id == feed[0]["id"]
    assert call.body["type"] == "work_order.created"
    assert call.body["timestamp"].endswith("Z")
    data = call.body["data"]
    assert data["event_id"] == feed[0]["id"]
    assert data["work_order_id"] == order["id"]
    assert data["status"] == order["status"]
    raw = str(call.body)
    for private in ("林晓", "13812345678", "厨房水管漏水"):
        assert private not in raw


async def test_event_type_filters_and_wildcards(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    everything = "http://127.0.0.1:9/hooks/all"
    await add_endpoint(client, community, receiver, HOOK, event_types=["work_order.*"])
    await add_endpoint(client, community, receiver, OTHER, event_types=["work_order.claimed"])
    await add_endpoint(client, community, receiver, everything, event_types=None)
    order = await file_order(community.owner, "客厅灯不亮了")
    claimed = await client.post(
        f"/v1/work-orders/{order['id']}/claim", json={}, headers=community.engineer.headers
    )
    assert claimed.status_code == 200, claimed.text
    await drain(worker)

    assert [c.body["type"] for c in receiver.calls if c.url == HOOK] == [
        "work_order.created",
        "work_order.claimed",
    ]
    assert [c.body["type"] for c in receiver.calls if c.url == OTHER] == ["work_order.claimed"]
    assert {c.body["type"] for c in receiver.calls if c.url == everything} >= {
        "work_order.created",
        "work_order.claimed",
    }


async def test_a_failed_delivery_is_retried_with_the_same_webhook_id(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
) -> None:
    endpoint = await add_endpoint(client, community, receiver)
    receiver.script[HOOK] = [httpx.Response(500, text="try later")]
    await file_order(community.owner, "电梯异响")
    await drain(worker)
    assert [c.status for c in receiver.calls] == [500]

    clock.advance(timedelta(seconds=4))  # the first retry is due after 5 s
    await drain(worker)
    assert len(receiver.calls) == 1
    clock.advance(timedelta(seconds=2))
    await drain(worker)

    assert [c.status for c in receiver.calls] == [500, 200]
    assert receiver.calls[0].webhook_id == receiver.calls[1].webhook_id
    [delivery] = await log_of(client, community, endpoint["id"])
    assert delivery["status"] == "succeeded"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
    assert delivery["attempts"][0]["error"] == "HTTP 500"
    assert delivery["attempts"][0]["response_body"] == "try later"
    assert all(a["duration_ms"] >= 0 for a in delivery["attempts"])


async def test_retry_after_is_honoured(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
) -> None:
    await add_endpoint(client, community, receiver)
    receiver.script[HOOK] = [httpx.Response(429, headers={"Retry-After": "120"})]
    await file_order(community.owner, "楼道太吵")
    await drain(worker)
    clock.advance(timedelta(seconds=60))
    await drain(worker)
    assert len(receiver.calls) == 1
    clock.advance(timedelta(seconds=61))
    await drain(worker)
    assert [c.status for c in receiver.calls] == [429, 200]


async def test_deliveries_of_one_order_go_out_in_order(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
) -> None:
    await add_endpoint(client, community, receiver)
    receiver.script[HOOK] = [httpx.Response(503)]
    order = await file_order(community.owner, "卫生间漏水")
    for action in ("claim", "start"):
        response = await client.post(
            f"/v1/work-orders/{order['id']}/{action}", json={}, headers=community.engineer.headers
        )
        assert response.status_code == 200, response.text
    await drain(worker)
    # The later events wait behind the failed first one.
    assert [c.body["type"] for c in receiver.calls] == ["work_order.created"]

    clock.advance(timedelta(seconds=6))
    await drain(worker)
    assert [(c.body["type"], c.status) for c in receiver.calls] == [
        ("work_order.created", 503),
        ("work_order.created", 200),
        ("work_order.claimed", 200),
        ("work_order.started", 200),
    ]


async def test_gone_disables_the_endpoint_and_says_so(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = await add_endpoint(client, community, receiver)
    receiver.script[HOOK] = [httpx.Response(410)]
    await file_order(community.owner, "门禁卡失灵")
    await drain(worker)

    read = await client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}", headers=community.admin.headers
    )
    assert read.json()["disabled"] is True
    assert "410" in read.json()["disabled_reason"]
    events = await client.get(
        "/v1/events", params={"type": "webhook_endpoint.*"}, headers=community.admin.headers
    )
    assert [(e["type"], e["data"]["endpoint_id"]) for e in events.json()["items"]] == [
        ("webhook_endpoint.disabled", endpoint["id"])
    ]

    await file_order(community.owner, "门禁卡又失灵了")
    await drain(worker)
    assert len(receiver.calls) == 1

    enabled = await client.patch(
        f"/v1/webhook-endpoints/{endpoint['id']}",
        json={"disabled": False},
        headers=community.admin.headers,
    )
    assert enabled.json()["disabled"] is False


async def test_an_endpoint_failing_for_five_days_is_disabled(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
) -> None:
    receiver.verify = False  # the clock moves days ahead of the verifiers' wall clock
    endpoint = await add_endpoint(client, community, receiver)
    receiver.script[HOOK] = [httpx.Response(500)] * 100
    for _day in range(5):
        await file_order(community.owner, "垃圾没人清")
        await drain(worker)
        clock.advance(timedelta(days=1))
        read = await client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}", headers=community.admin.headers
        )
        assert read.json()["disabled"] is False
    await file_order(community.owner, "垃圾还是没人清")
    await drain(worker)

    read = (
        await client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=community.admin.headers)
    ).json()
    assert read["disabled"] is True
    assert "5 days" in read["disabled_reason"]
    log = await log_of(client, community, endpoint["id"])
    assert {d["status"] for d in log} == {"failed"}


async def test_recover_and_retry_send_again(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
) -> None:
    receiver.verify = False
    endpoint = await add_endpoint(client, community, receiver)
    started = clock.now()
    receiver.script[HOOK] = [httpx.Response(500)] * 8
    await file_order(community.owner, "空调不制冷")
    for _attempt in range(10):  # the whole schedule: 8 attempts over about 28 hours
        await drain(worker)
        clock.advance(timedelta(hours=11))
    [delivery] = await log_of(client, community, endpoint["id"])
    assert delivery["status"] == "failed"
    assert delivery["attempt_count"] == 8
    assert len(receiver.calls) == 8

    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    recovered = await client.post(
        f"{path}/recover", json={"since": started.isoformat()}, headers=community.admin.headers
    )
    assert recovered.status_code == 202
    assert recovered.json() == {"requeued": 1}
    await drain(worker)
    assert [c.status for c in receiver.calls[8:]] == [200]

    retried = await client.post(
        f"{path}/deliveries/{delivery['id']}/retry", headers=community.admin.headers
    )
    assert retried.status_code == 202
    await drain(worker)
    assert len(set(receiver.ids())) == 1
    assert len(receiver.calls) == 10


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = await add_endpoint(client, community, receiver)
    rotated = await client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=community.admin.headers
    )
    receiver.secrets[HOOK] = [endpoint["secret"], rotated.json()["secret"]]
    await file_order(community.owner, "水压太低")
    await drain(worker)
    assert len(receiver.calls) == 1
    assert len(receiver.calls[0].headers["webhook-signature"].split(" ")) == 2


async def test_a_worker_killed_after_sending_leads_to_a_redelivery_with_the_same_id(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
) -> None:
    endpoint = await add_endpoint(client, community, receiver)
    await file_order(community.owner, "地库积水")
    await worker.fan_out()
    [sent] = await worker.claim(10)
    await worker.send(sent)  # ... and the worker dies before recording the outcome
    assert len(receiver.calls) == 1

    await drain(worker)  # the lease still holds: nobody sends it meanwhile
    assert len(receiver.calls) == 1
    clock.advance(worker.lease + timedelta(seconds=1))
    await drain(worker)

    assert receiver.ids() == [sent.message_id, sent.message_id]
    [delivery] = await log_of(client, community, endpoint["id"])
    assert delivery["status"] == "succeeded"


async def test_the_address_is_checked_again_when_sending(
    app: Any,
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = await add_endpoint(client, community, receiver)
    monkeypatch.setattr(
        worker, "settings", worker.settings.model_copy(update={"webhook_allow_private_urls": False})
    )
    await file_order(community.owner, "路灯坏了")
    await drain(worker)
    assert receiver.calls == []
    [delivery] = await log_of(client, community, endpoint["id"])
    assert "loopback" in delivery["attempts"][0]["error"]


async def test_slow_receivers_are_cut_off_and_redirects_not_followed(
    client: httpx.AsyncClient,
    community: Community,
    file_order: FileOrder,
    receiver: Receiver,
    worker: DeliveryWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint = await add_endpoint(client, community, receiver)
    monkeypatch.setattr(
        worker,
        "settings",
        worker.settings.model_copy(update={"webhook_timeout": timedelta(seconds=0.05)}),
    )
    receiver.delay = 0.5
    await file_order(community.owner, "大门打不开")
    await drain(worker)
    receiver.delay = 0
    receiver.script[HOOK] = [httpx.Response(302, headers={"Location": "http://10.0.0.1/"})]
    await file_order(community.neighbour, "车位被占")
    await drain(worker)

    log = await log_of(client, community, endpoint["id"])
    errors = sorted(d["attempts"][0]["error"] for d in log)
    assert errors[0] == "HTTP 302"
    assert errors[1].startswith("no answer within")
    assert {c.url for c in receiver.calls} == {HOOK}  # the redirect was not followed
