"""Liveness, readiness and metrics: unauthenticated, outside `/v1`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from workorders.api.responses import problems
from workorders.errors import ServiceUnavailable, _
from workorders.migrate import current_revisions, head_revisions

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    revision: str


@router.get("/healthz", operation_id="getHealth", summary="The process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="getReadiness",
    summary="The database answers and is migrated to the code's revision",
    responses={503: problems(503)[503]},
)
async def readyz(request: Request) -> Readiness:
    db = request.app.state.db
    try:
        async with db.read_engine.connect() as connection:
            revisions = await connection.run_sync(current_revisions)
    except Exception as exc:
        raise ServiceUnavailable(
            _("the database does not answer: {error}", error=type(exc).__name__)
        ) from None
    heads = head_revisions()
    if revisions != heads:
        have, need = ", ".join(sorted(revisions)) or "none", ", ".join(sorted(heads))
        raise ServiceUnavailable(
            _("the database is at revision {have}, the code needs {need}", have=have, need=need)
        )
    return Readiness(status="ready", database=db.dialect, revision=", ".join(sorted(revisions)))


@router.get(
    "/metrics",
    operation_id="getMetrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
