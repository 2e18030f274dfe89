"""The application: routers, problem+json for every error, request limits, metrics, workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from workorders import __version__, problems, routing_model
from workorders.api import appointments as appointments_api
from workorders.api import attachments as attachments_api
from workorders.api import desk as desk_pages
from workorders.api import devices as devices_api
from workorders.api import directory, health, return_visits, routing, schedules, sla, work_orders
from workorders.api import docs as docs_api
from workorders.api import events as events_api
from workorders.api import labels as labels_api
from workorders.api import me as me_api
from workorders.api import notifications as notifications_api
from workorders.api import properties as properties_api
from workorders.api import reports as reports_api
from workorders.api import stream_tickets as stream_tickets_api
from workorders.api import webhooks as webhooks_api
from workorders.api.deps import VerifiedTokens
from workorders.api.document import finish as finish_document
from workorders.api.methods import AllowedMethods
from workorders.api.presenters import FastJSON
from workorders.auth import TokenVerifier
from workorders.clock import Clock, SystemClock
from workorders.config import Settings, get_settings
from workorders.db import Database
from workorders.errors import (
    N_,
    BadRequest,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    Text,
    _,
)
from workorders.headers import SecurityHeaders
from workorders.i18n import negotiate
from workorders.limits import BodySizeLimit
from workorders.metrics import RequestMetrics
from workorders.rate_limits import RateLimiter
from workorders.services.fanout import Follower
from workorders.services.live import EventSignal
from workorders.workers.runner import Workers

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def _language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str | Text,
    detail: str | Text,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = problems.body(status, slug, title, detail, _language(request), **extensions)
    return FastJSON(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _problem_json(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return FastJSON(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return _problem_json(problems.of_error(exc, _language(request)), exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            request, 400, "malformed-json", BadRequest.title, problems.MALFORMED_JSON
        )
    return _problem_json(problems.of_validation(errors, _language(request)))


_HTTP_PROBLEMS: dict[int, tuple[str, str, Text]] = {
    404: ("not-found", NotFound.title, _("nothing is served at this path")),
    405: ("method-not-allowed", N_("Method not allowed"), _("this path does not take this method")),
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title, detail = _HTTP_PROBLEMS.get(
        exc.status_code, ("http-error", N_("HTTP error"), Text(str(exc.detail)))
    )
    return problem_response(
        request, exc.status_code, slug, title, detail, headers=dict(exc.headers or {})
    )


# What a database that cannot be reached raises, through each driver and the pool: a 503 the client
# may retry, never a 500. (SQLAlchemy wraps the drivers' errors; a refused connection may also
# surface raw, as an OSError, from asyncpg's connect.)
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    sa_exc.DisconnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    ConnectionError,
    OSError,
)
RETRY_AFTER_SECONDS = 5


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", type(exc).__name__)
    # A pooled connection the database dropped (a restart, a failover) has been discarded with every
    # connection as old: the very next try gets a fresh one.
    lost = isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    return problem_response(
        request,
        503,
        "unavailable",
        ServiceUnavailable.title,
        _("the database connection was lost; retry the request")
        if lost
        else _("the database cannot be reached; try again shortly"),
        headers={"Retry-After": "1" if lost else str(RETRY_AFTER_SECONDS)},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    # Rendered outside every middleware (Starlette's error layer): the safe headers are added here.
    return problem_response(
        request,
        500,
        "internal-error",
        ServiceError.title,
        _("an unexpected error; it has been logged"),
        headers={
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """Any other driver error: a connection the pool has just discarded (the database restarted or
    dropped it, whatever the driver called it) is a 503 to retry at once; anything else is a bug."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return await _unavailable(request, exc)
    return await _unexpected_error(request, exc)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with its 422 shape replaced by `Problem` and what it leaves out added
    (`api/document.py`: problem+json everywhere, 429 and 503, response headers, links, examples)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    from workorders.schemas import Problem

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    app.openapi_schema = finish_document(schema)
    return app.openapi_schema


# FastAPI's native OpenTelemetry, off (`Settings.opentelemetry`).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def _serve(app: FastAPI, *routers: APIRouter) -> None:
    """The routers' routes on the app's own list, as they are: each router carries its whole
    prefix, tags and dependencies (FastAPI applies them when a route is declared).

    Not `include_router`: FastAPI wraps an included router in a route of its own that, on every
    request, walks the router's routes for their version, swaps matching state in and out of the
    scope and only then tries each route's pattern. A read of one order spent 7% of its
    instructions there (bench/RESULTS.md, round 10). What
    `include_router` adds beyond the routes, an app's dependency overrides, the service does not
    use (a test replaces what it needs on `app.state`)."""
    for router in routers:
        app.router.routes.extend(router.routes)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, run_workers: bool = False
) -> FastAPI:
    settings = settings or get_settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The default routing model is built (or read from its cache) before the app serves, in a
        # thread: no request waits for training, and /readyz answers only once it can route.
        await asyncio.to_thread(routing_model.warm_default)
        app.state.db = Database(settings)
        app.state.rate_limiter = RateLimiter(settings)
        app.state.event_signal = EventSignal.of_process(app.state.db)
        await app.state.event_signal.start()
        app.state.follower = Follower(
            app.state.db,
            app.state.event_signal,
            poll=settings.feed_poll_interval.total_seconds(),
            heartbeat=settings.feed_heartbeat_interval.total_seconds(),
        )
        workers = Workers(app.state.db, settings, clock, signal=app.state.event_signal)
        if run_workers:
            workers.start()
        try:
            yield
        finally:
            await workers.stop()
            await app.state.follower.stop()
            await app.state.event_signal.stop()
            await app.state.db.dispose()
            await app.state.rate_limiter.close()

    app = FastAPI(
        title="Work-order routing service",
        version=__version__,
        description=(
            "Owners report problems; rules route them to engineering, security, cleaning or "
            "customer service; staff work them through a state machine; every change is an event."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.token_verifier = TokenVerifier(settings)
    app.state.verified_tokens = VerifiedTokens(app.state.token_verifier)
    # Routes are tried in order, each by its pattern: the probes and the work-order routes, which
    # carry nearly all the traffic, come first. No router-wide dependency: every `/v1` endpoint's
    # own dependencies begin with the bearer check (`deps.checked_request`, through its context or
    # its principal; tests/api/test_contract.py holds every route to it), and FastAPI would solve a
    # router's check again on each request beside the endpoint's.
    _serve(
        app,
        health.router,
        work_orders.router,
        directory.router,
        events_api.router,
        notifications_api.router,
        webhooks_api.router,
        routing.router,
        sla.router,
        schedules.router,
        return_visits.router,
        attachments_api.router,
        appointments_api.router,
        labels_api.router,
        me_api.router,
        properties_api.router,
        devices_api.router,
        reports_api.router,
        stream_tickets_api.router,
        events_api.stream_router,
    )
    app.include_router(docs_api.router)
    app.include_router(desk_pages.router)

    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(RequestMetrics)
    app.add_middleware(AllowedMethods)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        allowances=attachments_api.body_allowances(settings),
    )
    app.add_middleware(SecurityHeaders)
    # Outermost, so that a preflight is answered before anything asks for a token.
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-Match",
                "Last-Event-ID",
                "Accept-Language",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            max_age=600,
        )
    return app
