"""Dependencies as `Annotated` aliases: who is asking, the request's transaction, and lookups."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.base import SecurityBase
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from workorders.auth import TokenVerifier
from workorders.config import Settings
from workorders.db import Database, transaction
from workorders.domain.actors import Principal
from workorders.errors import Unauthorized, _
from workorders.models import WorkOrder
from workorders.rate_limits import client_address
from workorders.refusals import refuse_control_characters
from workorders.services import principals, work_orders
from workorders.services.access import OrderFields
from workorders.services.context import Asker, Context
from workorders.services.principals import Person

_bearer = HTTPBearer(auto_error=False, description="A JWT: `workorders token --help`")


class VerifiedTokens:
    """Tokens this process has verified, kept until they expire: a client sends the same token with
    every request, and checking its signature and claims each time cost more CPU than reading an
    order. Only what `TokenVerifier` accepted is kept, under the whole token (signature included), and
    never past its `exp`; the directory still bears the principal out on every request."""

    def __init__(self, verifier: TokenVerifier, size: int = 10_000) -> None:
        self.verifier = verifier
        self.size = size
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        held = self._verified.get(token)
        if held is not None:
            if time.time() < held[1]:
                return held[0]
            del self._verified[token]
        principal = await self.verifier.verify(token)
        # Verified just now, so its claims are sound and `exp` is there (the verifier requires it).
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        if len(self._verified) >= self.size:
            # The oldest entry goes: dicts keep their insertion order.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, float(expires))
        return principal


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_database(request: Request) -> Database:
    return request.app.state.db


async def get_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The token's principal, borne out by the directory; refusals count against the caller's address.
    Called by the dependencies that take the bearer header (`checked_request`, the live stream's).

    The directory comes from the configuration cache: when the cache alone can answer (the directory
    loaded, at a revision PostgreSQL's NOTIFY or SQLite's probe confirms) no connection is taken at
    all; otherwise it is read on a connection of the reader engine (autocommit), without a session
    around the one read."""
    state = request.app.state
    limiter = state.rate_limiter
    address = client_address(request)
    await limiter.refuse_if_exhausted("auth_failure", address)
    try:
        if credentials is None:
            raise Unauthorized(_("send Authorization: Bearer <token>"))
        claimed = await state.verified_tokens.verify(credentials.credentials)
        principal = principals.resolve_held(state.db.config, claimed)
        if principal is None:
            async with state.db.read_engine.connect() as connection:
                principal = await principals.resolve(connection, claimed)
    except Unauthorized:
        await limiter.hit("auth_failure", address)
        raise
    await limiter.on_request(request, principal, credentials.credentials)
    return principal


class BearerCheck(SecurityBase):
    """Every `/v1` call's check: who is asking first (401 comes before 422, API.md), then no control
    character in its path, query or the headers the service reads. Its endpoints' principal too
    (`CurrentPrincipal`): one dependency, not a principal dependency under a check dependency.

    It is the bearer scheme itself (the same `HTTPBearer` scheme in the OpenAPI document, which FastAPI
    finds by a dependency being a `SecurityBase`), not a dependency on `HTTPBearer`: FastAPI solves
    every dependency of an endpoint's tree on each request, again for each place it appears (a cache
    hit included), and the check appears up to three times in an endpoint's tree (the `/v1` routers'
    dependency, the context's, the order's); its solving cost more CPU than the work it did."""

    def __init__(self, bearer: HTTPBearer) -> None:
        self.bearer = bearer
        self.model = bearer.model
        self.scheme_name = bearer.scheme_name

    async def __call__(self, request: Request) -> Principal:
        principal = await get_principal(request, await self.bearer(request))
        await refuse_control_characters(request)
        return principal


checked_request = BearerCheck(_bearer)

CurrentPrincipal = Annotated[Principal, Depends(checked_request)]


def _context(request: Request, principal: Principal, session: AsyncSession) -> Context:
    state = request.app.state
    return Context(
        session=session, principal=principal, now=state.clock.now(), settings=state.settings
    )


# The request's session and its context are one dependency, not a session dependency under a
# context dependency: FastAPI's solving of each dependency cost more CPU than the work it did.
async def reading_context(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Context]:
    async with transaction(request.app.state.db.reader) as session:
        yield _context(request, principal, session)


async def writing_context(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Context]:
    """The request's transaction: committed when the endpoint returns, before the response is sent,
    so a client never hears "created" about something that then fails to commit."""
    async with transaction(request.app.state.db.request_writer) as session:
        yield _context(request, principal, session)


@dataclass(frozen=True, slots=True)
class Filer:
    """Who files a new order: the create endpoint opens the order's session itself (`session()`)
    around its work. A generator dependency (`scope="function"`) did the same for FastAPI to enter and
    leave, through an anyio cancel scope, two more context managers and a cancellation checkpoint of
    its own: ~8% of a create's CPU in process and 2% of its instructions (bench/RESULTS.md, round
    30), on the endpoint that carries most of the writes. What comes before the body is checked
    (the bearer check, 401 before 422) is still this dependency's."""

    request: Request
    principal: Principal

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Context]:
        """A new order's session. On PostgreSQL, without an `Idempotency-Key`, it runs in
        autocommit: filing reads, then writes the order, its events and its number in one statement
        (its own transaction), so no `BEGIN`/`COMMIT` round trips and, above all, no wait for this
        process between taking the number counter's row lock and committing (every other filer of
        the property queues on that lock: bench/RESULTS.md, round 5). A filing that must hold a lock
        until its write (automatic dispatch's queue turn) begins a transaction there
        (`db.in_one_transaction`). In autocommit the order is committed by its statement: a failure
        after it (building the response) answers 500 without undoing the order, which a client that
        must not file twice avoids with a key. With a key, the key's record and the order are one
        transaction; on SQLite filing holds the write lock anyway. Either way the block's end
        commits, before the endpoint returns and so before the response is sent."""
        request = self.request
        db = request.app.state.db
        autocommit = db.dialect == "postgresql" and "idempotency-key" not in request.headers
        # PostgreSQL's reader sessions are autocommit: each statement commits itself, and a
        # transaction begun inside (`db.in_one_transaction`) is committed when the block ends.
        async with transaction(db.reader if autocommit else db.request_writer) as session:
            yield _context(request, self.principal, session)


async def filer(request: Request, principal: CurrentPrincipal) -> Filer:
    return Filer(request, principal)


@dataclass(frozen=True, slots=True)
class Reading:
    """A request that reads rows only to present them: its statements run on `connection`, one of
    the reader engine's (no session's transaction, execute and close around them: readers run in
    autocommit on both databases); `people` is the directory of the
    caller's property, which presenting needs (an order's assignee card)."""

    ctx: Asker
    connection: AsyncConnection
    people: Mapping[str, Person]


async def reading_rows(request: Request, principal: CurrentPrincipal) -> AsyncIterator[Reading]:
    """As `reading_order`, for a page of orders: a caller sees its own property's alone."""
    db = request.app.state.db
    people = await _directory(db, principal.property_id)
    async with db.read_engine.connect() as connection:
        yield Reading(_asker(request, principal), connection, people)


async def _directory(db: Database, property_id: str) -> Mapping[str, Person]:
    """The property's directory, looked up before a connection is taken, so that a reading request
    holds one connection at a time: usually held by the token check (no session, no statement;
    making a session was 3% of a read's instructions), else read on a session of its own."""
    people = principals.held_directory(db.config, property_id)
    if people is None:
        async with db.reader() as session:
            people = await principals.directory(session, property_id)
    return people


def _asker(request: Request, principal: Principal) -> Asker:
    state = request.app.state
    return Asker(principal, state.clock.now(), state.settings)


ReadContext = Annotated[Context, Depends(reading_context, scope="function")]
ReadRows = Annotated[Reading, Depends(reading_rows, scope="function")]
WriteContext = Annotated[Context, Depends(writing_context, scope="function")]
NewOrderFiler = Annotated[Filer, Depends(filer)]

OrderId = Annotated[str, Path(max_length=64, description="The work order's id (`wo_…`)")]


async def _order_for_reading(ctx: ReadContext, order_id: OrderId) -> WorkOrder:
    return await work_orders.get_visible(ctx, order_id)


async def _order_for_writing(ctx: WriteContext, order_id: OrderId) -> WorkOrder:
    return await work_orders.get_visible(ctx, order_id)


# Resolved before the body is validated, so an order the caller cannot see is a 404 even when the
# body is also wrong (API.md: 404 comes before 422).
VisibleOrder = Annotated[WorkOrder, Depends(_order_for_reading)]
VisibleOrderForUpdate = Annotated[WorkOrder, Depends(_order_for_writing)]


@dataclass(frozen=True, slots=True)
class OrderAt:
    """An order the caller may see, and the request's context it was read in."""

    ctx: Context
    order: WorkOrder


@dataclass(frozen=True, slots=True)
class RowAt:
    """An order the caller may see as its table's row (to present it, not to change it), who asked
    and when, and the directory of the order's property (for its assignee's card)."""

    ctx: Asker
    order: OrderFields
    people: Mapping[str, Person]


# The order and the request's context as one dependency, for the hot endpoints (reading one order,
# the actions): `VisibleOrder` beside `ReadContext` made FastAPI solve the context's dependency tree
# twice per request (a cached dependency's own dependencies are solved again before the cache is
# looked at). The check comes first (401 before 422), the order before the body (404 before 422).
async def reading_order(request: Request, principal: CurrentPrincipal, order_id: OrderId) -> RowAt:
    """Reading one order writes nothing: its row (not an ORM instance: it is only presented) is
    read on a connection of the reader engine, not through a session (in autocommit on both
    databases), and the connection is back in the pool before the
    order is presented. What presenting reads besides, the directory, is looked up here too
    (usually held by the token check: no statement), so that nothing is left open for after the
    endpoint: a plain dependency, not a generator FastAPI has to enter and exit."""
    db = request.app.state.db
    async with db.read_engine.connect() as connection:
        order = await work_orders.read_visible(connection, principal, order_id)
    return RowAt(_asker(request, principal), order, await _directory(db, order.property_id))


async def writing_order(
    request: Request, principal: CurrentPrincipal, order_id: OrderId
) -> AsyncIterator[OrderAt]:
    """As `writing_context`: committed when the endpoint returns, before the response is sent."""
    async with transaction(request.app.state.db.request_writer) as session:
        ctx = _context(request, principal, session)
        yield OrderAt(ctx, await work_orders.get_visible(ctx, order_id))


ReadOrder = Annotated[RowAt, Depends(reading_order)]
WriteOrder = Annotated[OrderAt, Depends(writing_order, scope="function")]
