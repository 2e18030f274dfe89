"""The error responses each operation declares; `app.openapi` gives them the problem+json schema."""

from __future__ import annotations

from typing import Any

_DESCRIPTIONS = {
    400: "Malformed request (not JSON, or not UTF-8)",
    401: "Missing, malformed or expired bearer token",
    403: "Authenticated, but this caller may not do this",
    404: "Not found, or not visible to this caller",
    409: "Invalid transition from the current status, or a concurrent change",
    412: "If-Match does not match the current version",
    413: "Request body too large",
    422: "Validation failed: the body or parameters are not valid",
    503: "The database is not reachable or not migrated",
}

# Every /v1 operation can answer these.
COMMON = (400, 401, 413, 422)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": _DESCRIPTIONS[status]} for status in sorted({*COMMON, *statuses})
    }
