"""Issue 10: the authorization matrix. Every route declares who may call it (api/access.py); every
route with an id runs as nine identities, and each cell is checked against the expected outcome.

Cells: `2` success; `N` 404 (not visible); `F` 403; `X` seen but refused now (403, 409 or 422: the
role or the order's status); `S` allowed by role, the state may refuse (2xx, 409 or 422). A token
unknown to the directory gets 401 everywhere. For the order's actions the expected cell follows the
order's own `allowed_actions` for that caller, so what a client is told it may do is what it may do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

from PIL import Image

from tests.api.test_sla import run
from tests.trust import SUMMARY
from workorders.api.access import ACCESS, Rule
from workorders.domain.taxonomy import CATEGORIES
from workorders.workers import clock as clock_jobs

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import httpx

    from tests.conftest import Community, MakeToken

IDENTITIES = (
    "owner_a",
    "owner_b",
    "other_dept",
    "dept_staff",
    "supervisor",
    "cs",
    "manager",
    "admin",
)
EXPECT = {
    "2": lambda s: 200 <= s < 300,
    "N": lambda s: s == 404,
    "F": lambda s: s == 403,
    "X": lambda s: s in (403, 409, 422),
    "S": lambda s: 200 <= s < 300 or s in (409, 422),
}
ACTION_BODIES: dict[str, dict[str, Any]] = {
    "route": {"queue": "security"},
    "decline": {"reason": "x"},
    "hold": {"reason": "x"},
    "cancel": {"reason": "x"},
    "escalate": {"reason": "x"},
    "reopen": {"reason": "x"},
    "resolve": {"resolution": "x"},
}
ACTIONS = [
    "route", "assign", "claim", "decline", "start", "hold", "resume", "resolve", "confirm",
    "reopen", "cancel", "escalate",
]  # fmt: skip


def _operations(app: Any) -> dict[str, tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    return {
        op["operationId"]: (method.upper(), path, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    }


def test_every_route_declares_who_may_call_it(app: Any) -> None:
    operations = _operations(app)
    assert not set(operations) - set(ACCESS), f"no access rule: {set(operations) - set(ACCESS)}"
    assert not set(ACCESS) - set(operations), f"rule for no route: {set(ACCESS) - set(operations)}"
    for operation, (_method, path, spec) in operations.items():
        if ACCESS[operation] is Rule.PUBLIC:
            assert not path.startswith("/v1"), operation
        else:
            assert spec.get("security"), f"{operation} does not ask for a token"


@dataclass
class Row:
    operation: str
    cells: str  # one code per identity, in IDENTITIES order
    body: dict[str, Any] | None = None
    fresh: bool = False  # the call changes the resource: a new one for each identity
    upload: bool = False  # a multipart photo instead of a JSON body
    # Path parameters made by another maker than their name's (an order someone works on).
    makers: dict[str, str] | None = None


@dataclass
class World:
    ids: dict[str, str]
    make: dict[str, Callable[[], Awaitable[dict[str, str]]]]


async def test_every_id_route_as_every_identity(
    app: Any, client: httpx.AsyncClient, community: Community, token: MakeToken, file_order: Any
) -> None:
    c = community
    people = {
        "owner_a": c.owner.headers,
        "owner_b": c.neighbour.headers,
        "other_dept": c.guard.headers,
        "dept_staff": c.engineer.headers,
        "supervisor": c.eng_supervisor.headers,
        "cs": c.cs.headers,
        "manager": c.manager.headers,
        "admin": c.admin.headers,
    }
    ghost = {"Authorization": f"Bearer {token('staff', 'stf_not_in_directory', 'engineering')}"}
    admin, manager = c.admin.headers, c.manager.headers
    counter = iter(range(10_000))

    async def created(path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (path, response.text)
        return response.json()["id"]

    async def order() -> dict[str, str]:
        filed = await file_order(
            c.owner, "厨房水管漏水", category="plumbing", contact_phone="13812345678"
        )
        if "order" in shared:  # the shared order has the comment the comment routes read
            return {"order_id": filed["id"], "comment_id": "cmt_none", "index": "0"}
        comment = await created(
            f"/v1/work-orders/{filed['id']}/comments", {"body": "什么时候来"}, c.owner.headers
        )
        return {"order_id": filed["id"], "comment_id": comment, "index": "0"}

    async def rule() -> dict[str, str]:
        body = {
            "name": f"规则{next(counter)}",
            "when": {"keywords": ["水"]},
            "then": {"queue": "cleaning"},
        }
        return {"rule_id": await created("/v1/routing-rules", body, admin)}

    async def schedule() -> dict[str, str]:
        body = {
            "title": "水泵巡检",
            "queue": "engineering",
            "rrule": "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
            "dtstart": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            "checklist": ["压力"],
        }
        return {"schedule_id": await created("/v1/schedules", body, manager)}

    pairs = iter([(p, cat) for cat in CATEGORIES for p in ("low", "normal", "high", "urgent")])

    async def policy() -> dict[str, str]:
        for priority, category in pairs:
            body = {"priority": priority, "category": category, "respond_within": "PT1H",
                    "start_within": "PT2H", "resolve_within": "P1D"}  # fmt: skip
            response = await client.post("/v1/sla-policies", json=body, headers=manager)
            if response.status_code == 201:
                return {"policy_id": response.json()["id"]}
        raise AssertionError("no category left for a policy")

    async def endpoint() -> dict[str, str]:
        body = {"url": "https://93.184.216.34/hook"}
        return {
            "endpoint_id": await created("/v1/webhook-endpoints", body, admin),
            "delivery_id": "dlv_none",
        }

    async def directory() -> dict[str, str]:
        return {
            "owner_id": c.owner.id or "",
            "staff_id": c.engineer.id or "",
            "queue": "engineering",
        }

    async def visit() -> dict[str, str]:
        """A resolved order left unconfirmed: it closes by itself and gets a return visit."""
        filed = await file_order(c.owner, "卫生间下水道堵了", category="plumbing")
        for action, body in (("claim", {}), ("start", {}), ("resolve", {"resolution": "疏通完毕"})):
            response = await client.post(
                f"/v1/work-orders/{filed['id']}/{action}", json=body, headers=c.engineer.headers
            )
            assert response.status_code == 200, response.text
        clock = app.state.clock
        clock.advance(app.state.settings.auto_close_after + timedelta(minutes=1))
        await run(app, clock_jobs.close_unconfirmed)
        await run(app, clock_jobs.open_return_visits)
        pending = await client.get(
            "/v1/return-visits", params={"status": "pending"}, headers=c.cs.headers
        )
        [found] = [v for v in pending.json()["items"] if v["work_order_id"] == filed["id"]]
        return {"visit_id": found["id"]}

    def photo() -> bytes:
        buffer = BytesIO()
        Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
        return buffer.getvalue()

    async def attachment() -> dict[str, str]:
        order_id = shared["order"]["order_id"]
        response = await client.post(
            f"/v1/work-orders/{order_id}/attachments",
            files={"file": ("leak.png", photo(), "image/png")},
            headers=c.owner.headers,
        )
        assert response.status_code == 201, response.text
        return {"attachment_id": response.json()["id"]}

    async def device() -> dict[str, str]:
        body = {"platform": "ios", "token": f"apns-{next(counter)}"}
        return {"device_id": await created("/v1/devices", body, c.owner.headers)}

    async def models() -> dict[str, str]:
        listed = await client.get("/v1/routing/models", headers=manager)
        assert listed.status_code == 200, listed.text
        return {"version": listed.json()["items"][0]["version"]}

    async def prop() -> dict[str, str]:
        return {"property_id": "default"}

    async def visit_order() -> dict[str, str]:
        """An order assigned to the engineer: one a visit can be arranged for. (Assigned by the
        supervisor: the engineer's own claims would soon reach their `max_open`.)"""
        filed = await file_order(c.owner, "卧室空调不制冷", category="air_conditioning")
        response = await client.post(
            f"/v1/work-orders/{filed['id']}/assign",
            json={"assignee_id": c.engineer.id},
            headers=c.eng_supervisor.headers,
        )
        assert response.status_code == 200, response.text
        return {"order_id": filed["id"]}

    async def appointment() -> dict[str, str]:
        """A visit the engineer proposed on such an order, waiting for the owner's answer."""
        ids = await visit_order()
        start = app.state.clock.now() + timedelta(days=2)
        body = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
        response = await client.post(
            f"/v1/work-orders/{ids['order_id']}/appointments", json=body, headers=c.engineer.headers
        )
        assert response.status_code == 201, response.text
        return ids | {"appointment_id": response.json()["id"]}

    makers = {
        "attachment_id": attachment, "device_id": device, "version": models, "property_id": prop,
        "order_id": order, "rule_id": rule, "schedule_id": schedule, "policy_id": policy,
        "endpoint_id": endpoint, "owner_id": directory, "staff_id": directory,
        "queue": directory, "visit_id": visit, "comment_id": order, "index": order,
        "delivery_id": endpoint, "visit_order": visit_order, "appointment_id": appointment,
    }  # fmt: skip
    shared: dict[str, dict[str, str]] = {}
    seen_order = await order()
    shared["order"] = seen_order
    allowed = {}
    for who, headers in people.items():
        response = await client.get(f"/v1/work-orders/{seen_order['order_id']}", headers=headers)
        allowed[who] = (
            set(response.json()["allowed_actions"]) if response.status_code == 200 else None
        )

    def action_cells(action: str) -> str:
        return "".join(
            "N" if allowed[who] is None else ("2" if action in allowed[who] else "X")
            for who in IDENTITIES
        )

    bodies = ACTION_BODIES | {"assign": {"assignee_id": c.engineer2.id}}
    visible = "2NN22222"
    rows = [
        Row("getWorkOrder", visible),
        Row("listWorkOrderEvents", visible),
        Row("listWorkOrderComments", visible),
        Row("getWorkOrderComment", visible),
        Row("listWorkOrderFollowUps", visible),
        Row("createWorkOrderComment", "2NN2222F", {"body": "好的"}),
        Row(
            "createWorkOrderFollowUp",
            "FNN2222F",
            {"queue": "cleaning", "description": "擦干走廊"},
            fresh=True,
        ),
        # The order is no scheduled task: it has no checklist item to tick, whoever asks.
        Row("checkWorkOrderChecklistItem", "NNNNNNNN", {"result": "passed"}),
        *[Row(f"{a}WorkOrder", action_cells(a), bodies.get(a, {}), fresh=True) for a in ACTIONS],
        Row("getOwner", "2NFFF222"),
        Row("updateOwner", "FNFFF222", {"name": "林晓"}),
        Row("revealOwner", "FNFFF22F", {"reason": "回访"}),
        Row("getStaff", "FF222222"),
        Row("updateStaff", "FFF22F22", {"on_duty": True}),
        Row("getRoutingRule", "FFFFFF22"),
        Row("updateRoutingRule", "FFFFFF22", {"enabled": True}, fresh=True),
        Row("deleteRoutingRule", "FFFFFF22", fresh=True),
        Row("getSchedule", "NNN22N22"),
        Row("updateSchedule", "NNNF2N22", {"active": False}, fresh=True),
        Row("deleteSchedule", "NNNF2N22", fresh=True),
        Row("getSlaPolicy", "FF222222"),
        Row("updateSlaPolicy", "FFFFFF22", {"respond_within": "PT2H"}, fresh=True),
        Row("deleteSlaPolicy", "FFFFFF22", fresh=True),
        Row("getWebhookEndpoint", "FFFFFFF2"),
        Row("updateWebhookEndpoint", "FFFFFFF2", {"description": "CRM"}, fresh=True),
        Row("deleteWebhookEndpoint", "FFFFFFF2", fresh=True),
        Row("listWebhookDeliveries", "FFFFFFF2"),
        Row("retryWebhookDelivery", "FFFFFFFN"),
        Row(
            "recoverWebhookEndpoint",
            "FFFFFFF2",
            {"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()},
        ),
        Row("rotateWebhookEndpointSecret", "FFFFFFF2", fresh=True),
        Row("getReturnVisit", "FFFFF22F"),
        Row("completeReturnVisit", "FFFFF22F", {"outcome": "satisfied"}, fresh=True),
        Row("setQueueDispatch", "FFFF2F22", {"strategy": "claim"}, fresh=True),
        Row("listQueueWorkOrders", "22222222"),  # each sees only the orders they may see
        Row("listWorkOrderAttachments", visible),
        Row("createWorkOrderAttachment", "2NN2222F", upload=True),
        Row("getAttachment", visible),
        Row("getAttachmentThumbnail", visible),
        Row("getProperty", "FFFFFFF2"),
        Row("updateProperty", "FFFFFFF2", {"name": "默认小区"}),
        # The owner's own device; nobody else's device exists for them, and the admin has no sub.
        Row("deleteDevice", "2NNNNNNF", fresh=True),
        Row("activateRoutingModel", "FFFFFF2F"),
        # Visits: the assignee and the supervisor propose and withdraw, the owner (or customer
        # service on their behalf) accepts or asks for another time; the manager watches.
        Row("listWorkOrderAppointments", visible),
        Row("getWorkOrderAppointment", visible),
        Row(
            "createWorkOrderAppointment",
            "FNN22FFF",
            {  # ahead of the clock however far the return visits' row moved it
                "start": (app.state.clock.now() + timedelta(days=10)).isoformat(),
                "end": (app.state.clock.now() + timedelta(days=10, hours=2)).isoformat(),
            },
            fresh=True,
            makers={"order_id": "visit_order"},
        ),
        Row("acceptWorkOrderAppointment", "2NNFF2FF", {}, fresh=True),
        Row("declineWorkOrderAppointment", "2NNFF2FF", {"message": "周末在家"}, fresh=True),
        Row("withdrawWorkOrderAppointment", "FNN22FFF", {}, fresh=True),
    ]
    operations = _operations(app)
    id_routes = {op for op, (_m, path, _s) in operations.items() if "{" in path}
    assert id_routes == {r.operation for r in rows}, id_routes ^ {r.operation for r in rows}

    failures = []
    checked = 0
    for row in rows:
        method, template, _spec = operations[row.operation]
        names = re.findall(r"{(\w+)}", template)
        for who in (*IDENTITIES, "ghost"):
            params: dict[str, str] = {}
            for name in names:
                maker = makers[(row.makers or {}).get(name, name)]
                expected = "1" if who == "ghost" else row.cells[IDENTITIES.index(who)]
                # Only a call that may succeed changes the resource; the others share one.
                if row.fresh and expected in "2S":
                    params |= await maker()
                else:
                    params |= (
                        shared.setdefault(maker.__name__, await maker())
                        if maker.__name__ not in shared
                        else shared[maker.__name__]
                    )
            path = template.format(**{n: params[n] for n in names})
            headers = ghost if who == "ghost" else people[who]
            if row.upload:
                files = {"file": ("leak.png", photo(), "image/png")}
                response = await client.request(method, path, files=files, headers=headers)
            else:
                response = await client.request(method, path, json=row.body, headers=headers)
            checked += 1
            expected = "1" if who == "ghost" else row.cells[IDENTITIES.index(who)]
            ok = (
                response.status_code == 401
                if expected == "1"
                else EXPECT[expected](response.status_code)
            )
            if not ok:
                failures.append(
                    f"{row.operation} as {who}: expected {expected}, got {response.status_code} {response.text[:120]}"
                )
    line = (
        f"access matrix [{app.state.db.dialect}]: {len(rows)} id routes x "
        f"{len(IDENTITIES) + 1} identities = {checked} cells, {len(failures)} wrong"
    )
    SUMMARY.append(line)
    print(line)
    assert not failures, "\n".join(failures)
