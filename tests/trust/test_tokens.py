"""Issue 10, finding 1: tokens are believed only as far as the property's directory bears them out."""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.api.test_contract import assert_problem
from workorders.auth import TokenVerifier
from workorders.config import Settings
from workorders.db import new_id
from workorders.models import Property, Staff
from workorders.services import configuration

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, MakeToken
    from workorders.db import Database


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_made_up_staff_id_is_refused_everywhere(
    client: httpx.AsyncClient, community: Community, token: MakeToken, file_order: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    ghost = bearer(token("staff", "stf_made_up", "customer_service"))
    for method, path, body in [
        ("GET", f"/v1/work-orders/{order['id']}", None),
        ("POST", f"/v1/owners/{community.owner.id}/reveal", {"reason": "x"}),
        ("POST", f"/v1/work-orders/{order['id']}/comments", {"body": "hi"}),
        ("POST", f"/v1/work-orders/{order['id']}/cancel", {"reason": "x"}),
        ("POST", "/v1/work-orders", {"description": "漏水"}),
    ]:
        response = await client.request(method, path, json=body, headers=ghost)
        assert_problem(response, 401, "unauthorized")


async def test_staff_of_another_property_cannot_pose_as_this_ones(
    client: httpx.AsyncClient, community: Community, token: MakeToken, db: Database
) -> None:
    async with db.writer() as session, session.begin():
        session.add(Property(id="elsewhere", name="别处", timezone="Asia/Shanghai"))
        await session.flush()
        stranger = new_id("stf")
        session.add(
            Staff(
                id=stranger,
                property_id="elsewhere",
                name="外人",
                department="customer_service",
                role="staff",
            )
        )
        await configuration.touch(session, "elsewhere")
    own = bearer(token("staff", stranger, "customer_service", prop="elsewhere"))
    assert (await client.get("/v1/owners", headers=own)).status_code == 200
    posing = bearer(token("staff", stranger, "customer_service"))
    assert_problem(await client.get("/v1/owners", headers=posing), 401)


async def test_role_or_department_contradicting_the_directory_is_forbidden(
    client: httpx.AsyncClient, community: Community, token: MakeToken, file_order: Any
) -> None:
    order = await file_order(community.owner, "厨房水管漏水")
    # The engineer is staff in the directory: a supervisor token for them may not assign.
    promoted = bearer(token("supervisor", community.engineer.id, "engineering"))
    response = await client.post(
        f"/v1/work-orders/{order['id']}/assign",
        json={"assignee_id": community.engineer2.id},
        headers=promoted,
    )
    assert_problem(response, 403)
    moved = bearer(token("staff", community.engineer.id, "customer_service"))
    assert_problem(await client.get("/v1/owners", headers=moved), 403)
    # A manager token carrying an owner's id reveals nothing.
    manager_owner = bearer(token("manager", community.owner.id))
    reveal = await client.post(
        f"/v1/owners/{community.neighbour.id}/reveal", json={"reason": "x"}, headers=manager_owner
    )
    assert_problem(reveal, 403)
    # An owner token for a staff member is no owner either.
    assert_problem(
        await client.get("/v1/work-orders", headers=bearer(token("owner", community.cs.id))), 403
    )


async def test_a_property_that_does_not_exist_is_unauthenticated(
    client: httpx.AsyncClient, token: MakeToken, db: Database
) -> None:
    nowhere = bearer(token("manager", prop="nowhere"))
    assert_problem(await client.get("/v1/sla-policies", headers=nowhere), 401)
    admin = bearer(token("admin", prop="nowhere"))
    created = await client.post(
        "/v1/staff", json={"name": "甲", "department": "cleaning", "role": "staff"}, headers=admin
    )
    assert_problem(created, 401)


async def test_deactivation_refuses_the_next_request(
    client: httpx.AsyncClient, community: Community
) -> None:
    assert (
        await client.get("/v1/work-orders", headers=community.engineer.headers)
    ).status_code == 200
    response = await client.patch(
        f"/v1/staff/{community.engineer.id}",
        json={"active": False},
        headers=community.admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert_problem(await client.get("/v1/work-orders", headers=community.engineer.headers), 401)
    response = await client.patch(
        f"/v1/owners/{community.owner.id}", json={"active": False}, headers=community.cs.headers
    )
    assert response.status_code == 200, response.text
    assert_problem(await client.get("/v1/work-orders", headers=community.owner.headers), 401)
    await client.patch(
        f"/v1/owners/{community.owner.id}", json={"active": True}, headers=community.cs.headers
    )
    assert (await client.get("/v1/work-orders", headers=community.owner.headers)).status_code == 200


async def test_the_401_detail_does_not_repeat_the_jwt_library(
    client: httpx.AsyncClient, community: Community
) -> None:
    now = int(datetime.now(UTC).timestamp())
    forged = jwt.encode(
        {"role": "manager", "iat": now, "exp": now + 60}, "not-the-key-not-the-key-not-the-key"
    )
    english = bearer(forged) | {"Accept-Language": "en"}
    problem = assert_problem(await client.get("/v1/work-orders", headers=english), 401)
    assert problem["detail"] == "the token is not valid"
    chinese = assert_problem(await client.get("/v1/work-orders", headers=bearer(forged)), 401)
    assert chinese["detail"] == "令牌无效"
    garbage = assert_problem(await client.get("/v1/work-orders", headers=bearer("a.b.c")), 401)
    assert "Invalid" not in garbage["detail"] and "decod" not in garbage["detail"].lower()


# --- identity providers ------------------------------------------------------------------------


def _claims(**extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "role": "manager",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    } | extra


def _pem(private_key: Any) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


async def test_tokens_signed_by_a_configured_public_key() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    verifier = TokenVerifier(Settings(jwt_public_key=_pem(rsa_key)))
    principal = await verifier.verify(jwt.encode(_claims(), rsa_key, algorithm="RS256"))
    assert principal.role == "manager"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Exception, match="not valid"):
        await verifier.verify(jwt.encode(_claims(), other, algorithm="RS256"))
    # The public key is never taken as an HMAC secret (algorithm confusion).
    with pytest.raises(Exception, match="not valid"):
        await verifier.verify(jwt.encode(_claims(), "x" * 64, algorithm="HS512"))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_verifier = TokenVerifier(Settings(jwt_public_key=_pem(ec_key)))
    assert (
        await ec_verifier.verify(jwt.encode(_claims(), ec_key, algorithm="ES256"))
    ).role == "manager"


class _Jwks(http.server.BaseHTTPRequestHandler):
    document: bytes = b""
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *_args: Any) -> None:
        pass


async def test_tokens_verified_with_the_identity_providers_jwks() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    _Jwks.document = json.dumps(
        {"keys": [public | {"kid": "k1", "use": "sig", "alg": "RS256"}]}
    ).encode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        verifier = TokenVerifier(Settings(jwt_jwks_url=url))
        token = jwt.encode(_claims(), key, algorithm="RS256", headers={"kid": "k1"})
        for _ in range(3):
            assert (await verifier.verify(token)).role == "manager"
        assert _Jwks.hits == 1  # the keys are cached
        unknown = jwt.encode(_claims(), key, algorithm="RS256", headers={"kid": "nope"})
        with pytest.raises(Exception, match="not valid"):
            await verifier.verify(unknown)
    finally:
        server.shutdown()
        await asyncio.to_thread(thread.join)


async def test_a_warm_directory_costs_no_query(
    app: Any, client: httpx.AsyncClient, community: Community, file_order: Any
) -> None:
    from sqlalchemy import event

    order = await file_order(community.owner, "厨房水管漏水")
    path = f"/v1/work-orders/{order['id']}"
    assert (await client.get(path, headers=community.owner.headers)).status_code == 200
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engines = {app.state.db.read_engine.sync_engine, app.state.db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", seen)
    try:
        for _ in range(3):
            assert (await client.get(path, headers=community.owner.headers)).status_code == 200
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", seen)
    directory_reads = [s for s in statements if re.search(r"FROM (staff|owners)\b", s)]
    assert directory_reads == [], directory_reads
    if app.state.db.dialect == "postgresql":
        # NOTIFY keeps the cache trusted: not even the property's revision is read.
        assert not [s for s in statements if "config_revision" in s]
