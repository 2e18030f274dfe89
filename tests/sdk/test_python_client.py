"""The generated Python client drives the service unedited: every role's story, every error a typed
`Problem`, and the generated package passes `mypy --strict`."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.sdk.conftest import BIN, REPO
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Department

if TYPE_CHECKING:
    from pathlib import Path

    from tests.sdk.conftest import LiveServer


def _client(sdk: Any, server: LiveServer, token: str) -> Any:
    return sdk.AuthenticatedClient(
        base_url=server.base_url, token=token, raise_on_unexpected_status=True
    )


def _people(sdk: Any, server: LiveServer) -> tuple[Any, Any, Any]:
    """An admin who puts an owner and an engineer in the directory; their three clients."""
    from workorders_client.api.owners import create_owner
    from workorders_client.api.staff import create_staff
    from workorders_client.models import OwnerCreate, OwnerUnit, StaffCreate, StaffCreateRole

    admin = _client(sdk, server, server.token(Role.ADMIN))
    suffix = uuid.uuid4().hex[:4]
    owner = create_owner.sync(
        client=admin,
        body=OwnerCreate(
            name=f"李女士{suffix}",
            phone="13912345678",
            units=[OwnerUnit(building="3", room="1502", unit="2")],
        ),
    )
    engineer = create_staff.sync(
        client=admin,
        body=StaffCreate(
            name=f"王师傅{suffix}",
            role=StaffCreateRole.STAFF,
            department=sdk.models.Department.ENGINEERING,
        ),
    )
    assert owner is not None and engineer is not None
    assert not isinstance(owner, sdk.models.Problem), owner
    assert not isinstance(engineer, sdk.models.Problem), engineer
    return (
        admin,
        _client(sdk, server, server.token(Role.OWNER, sub=owner.id)),
        _client(
            sdk, server, server.token(Role.STAFF, sub=engineer.id, dept=Department.ENGINEERING)
        ),
    )


def test_owner_and_engineer_stories(live_server: LiveServer, sdk: Any) -> None:
    from workorders_client.api.work_orders import (
        claim_work_order,
        confirm_work_order,
        create_work_order,
        create_work_order_comment,
        get_work_order,
        resolve_work_order,
        start_work_order,
    )
    from workorders_client.models import (
        CommentCreate,
        ConfirmBody,
        Problem,
        ResolveBody,
        Status,
        WorkOrderCreate,
        WorkOrderRead,
    )

    _admin, owner, engineer = _people(sdk, live_server)

    # The owner files, reads, comments.
    filed = create_work_order.sync_detailed(
        client=owner, body=WorkOrderCreate(description="厨房水管漏水，地上都是水")
    )
    assert filed.status_code == 201
    order = filed.parsed
    assert isinstance(order, WorkOrderRead)
    assert filed.headers["Location"] == f"/v1/work-orders/{order.id}"
    assert order.queue == sdk.models.Queue.ENGINEERING
    read = get_work_order.sync_detailed(order.id, client=owner)
    assert isinstance(read.parsed, WorkOrderRead)
    assert read.headers["ETag"] == f'"{read.parsed.version}"'
    comment = create_work_order_comment.sync(
        order.id, client=owner, body=CommentCreate(body="师傅下午能来吗？")
    )
    assert not isinstance(comment, Problem) and comment is not None
    assert comment.body == "师傅下午能来吗？"

    # Confirming too early: a typed 409 with what the owner may do instead.
    early = confirm_work_order.sync_detailed(order.id, client=owner, body=ConfirmBody(rating=5))
    assert early.status_code == 409
    assert isinstance(early.parsed, Problem)
    assert early.parsed.type_.endswith("invalid-transition") or early.parsed.status == 409
    assert isinstance(early.parsed.allowed_actions, list)

    # The engineer claims without a body, starts with the ETag as If-Match, resolves.
    claimed = claim_work_order.sync_detailed(order.id, client=engineer)
    assert claimed.status_code == 200, claimed.content
    assert isinstance(claimed.parsed, WorkOrderRead)
    assert claimed.parsed.status == Status.ASSIGNED
    etag = claimed.headers["ETag"]

    stale = start_work_order.sync_detailed(order.id, client=engineer, if_match='"1"')
    assert stale.status_code == 412
    assert isinstance(stale.parsed, Problem) and stale.parsed.status == 412

    started = start_work_order.sync_detailed(order.id, client=engineer, if_match=etag)
    assert started.status_code == 200, started.content
    assert isinstance(started.parsed, WorkOrderRead)
    assert started.parsed.status == Status.IN_PROGRESS
    resolved = resolve_work_order.sync_detailed(
        order.id,
        client=engineer,
        body=ResolveBody(resolution="更换了角阀"),
        if_match=started.headers["ETag"],
    )
    assert isinstance(resolved.parsed, WorkOrderRead), resolved.content
    assert resolved.parsed.status == Status.RESOLVED

    # The owner confirms with a rating.
    confirmed = confirm_work_order.sync(
        order.id, client=owner, body=ConfirmBody(rating=5, comment="谢谢")
    )
    assert isinstance(confirmed, WorkOrderRead)
    assert confirmed.status == Status.CLOSED


def test_errors_come_back_as_typed_problems(sdk: Any, live_server: LiveServer) -> None:
    from workorders_client.api.work_orders import create_work_order, get_work_order
    from workorders_client.models import Problem, WorkOrderCreate

    _admin, owner, _engineer = _people(sdk, live_server)
    missing = get_work_order.sync_detailed("wo_missing", client=owner)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, Problem) and missing.parsed.status == 404

    stranger = sdk.AuthenticatedClient(base_url=live_server.base_url, token="not-a-token")
    unauthenticated = get_work_order.sync_detailed("wo_missing", client=stranger)
    assert unauthenticated.status_code == 401
    assert isinstance(unauthenticated.parsed, Problem)

    invalid = create_work_order.sync_detailed(client=owner, body=WorkOrderCreate(description=""))
    assert invalid.status_code == 422
    assert isinstance(invalid.parsed, Problem)
    assert invalid.parsed.errors and invalid.parsed.errors[0].field == "description"


def test_admin_adds_a_webhook_endpoint(sdk: Any, live_server: LiveServer) -> None:
    from workorders_client.api.webhooks import create_webhook_endpoint, get_webhook_endpoint
    from workorders_client.models import (
        Problem,
        WebhookEndpointCreate,
        WebhookEndpointCreated,
        WebhookEndpointRead,
    )

    admin = _client(sdk, live_server, live_server.token(Role.ADMIN))
    created = create_webhook_endpoint.sync_detailed(
        client=admin,
        body=WebhookEndpointCreate(
            url="http://127.0.0.1:9/hooks", event_types=["work_order.*"], description="客服系统"
        ),
    )
    assert created.status_code == 201
    assert isinstance(created.parsed, WebhookEndpointCreated)
    assert created.parsed.secret.startswith("whsec_")
    assert created.headers["Location"].endswith(created.parsed.id)
    again = get_webhook_endpoint.sync(created.parsed.id, client=admin)
    assert isinstance(again, WebhookEndpointRead)

    owner = _client(sdk, live_server, live_server.token(Role.OWNER, sub="own_nobody"))
    refused = create_webhook_endpoint.sync_detailed(
        client=owner, body=WebhookEndpointCreate(url="http://127.0.0.1:9/hooks")
    )
    assert refused.status_code in (401, 403)
    assert isinstance(refused.parsed, Problem)


def test_too_many_orders_is_a_typed_429(sdk: Any, request: pytest.FixtureRequest) -> None:
    rate_limited_server: LiveServer = request.getfixturevalue("rate_limited_server")
    from workorders_client.api.work_orders import create_work_order
    from workorders_client.models import Problem, WorkOrderCreate, WorkOrderRead

    _admin, owner, _engineer = _people(sdk, rate_limited_server)
    for _ in range(2):
        ok = create_work_order.sync_detailed(
            client=owner, body=WorkOrderCreate(description="路灯不亮")
        )
        assert isinstance(ok.parsed, WorkOrderRead), ok.content
    limited = create_work_order.sync_detailed(
        client=owner, body=WorkOrderCreate(description="路灯不亮")
    )
    assert limited.status_code == 429
    assert isinstance(limited.parsed, Problem)
    assert limited.parsed.type_.endswith("rate-limited")
    assert int(limited.headers["Retry-After"]) > 0


def test_generated_package_passes_mypy_strict(generated_client: Path) -> None:
    cache = REPO / "build" / ".mypy_cache_sdk"
    result = subprocess.run(
        [
            str(BIN / "mypy") if (BIN / "mypy").exists() else sys.executable,
            *([] if (BIN / "mypy").exists() else ["-m", "mypy"]),
            "--strict",
            "--cache-dir",
            str(cache),
            "workorders_client",
        ],
        cwd=generated_client,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
