"""Creates that honour `Idempotency-Key` (API.md, Conventions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Header

from workorders.api.presenters import FastJSON, jsonable, reply
from workorders.services import idempotency

if TYPE_CHECKING:
    from fastapi import Response
    from pydantic import BaseModel

    from workorders.services.context import Context

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Repeat a create safely (kept at least 24 h)"),
]

# What a create produces: the response body (a model, or plain data from a presenter) and the new
# resource's path.
Created = tuple[Any, str]


async def create_once(
    ctx: Context,
    key: str | None,
    *,
    operation: str,
    body: BaseModel,
    create: Callable[[], Awaitable[Created]],
    extra_headers: Callable[[Any], dict[str, str]] | None = None,
) -> Response:
    """Run `create` unless this caller already sent this key; then answer what was answered then."""
    reservation = None
    if key is not None:
        outcome = await idempotency.reserve(
            ctx, key, operation, body.model_dump(mode="json", exclude_unset=True)
        )
        if isinstance(outcome, idempotency.StoredResponse):
            return FastJSON(
                outcome.body,
                status_code=outcome.status,
                headers=outcome.headers | {"Idempotent-Replayed": "true"},
            )
        reservation = outcome
    resource, location = await create()
    headers = {"Location": location} | (extra_headers(resource) if extra_headers else {})
    if reservation is None:
        # Nothing to keep: serialized once, straight to JSON.
        return reply(resource, status_code=201, headers=headers)
    payload = jsonable(resource)
    reservation.remember(201, payload, headers)
    await ctx.session.flush()
    return FastJSON(payload, status_code=201, headers=headers)
