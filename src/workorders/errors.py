"""One error family. Services raise these; one handler in `app.py` renders them as problem+json.

Each class carries its HTTP status and the slug of its problem `type`, so a caller can branch on the type
without parsing prose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ServiceError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"


class BadRequest(ServiceError):
    status = 400
    slug = "bad-request"
    title = "Malformed request"


class Unauthorized(ServiceError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer realm="workorders"'


class Forbidden(ServiceError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ConcurrentChange(Conflict):
    slug = "concurrent-change"
    title = "Changed by someone else"


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = "Action not allowed in this status"

    def __init__(self, detail: str, allowed_actions: Sequence[str]) -> None:
        super().__init__(detail, allowed_actions=list(allowed_actions))


class IdempotencyInProgress(Conflict):
    slug = "idempotency-in-progress"
    title = "A request with this Idempotency-Key is still running"


class PreconditionFailed(ServiceError):
    status = 412
    slug = "precondition-failed"
    title = "If-Match does not match the current version"


class PayloadTooLarge(ServiceError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class ValidationFailed(ServiceError):
    status = 422
    slug = "validation-error"
    title = "The request is not valid"

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail, errors=[{"field": e.field, "message": e.message} for e in errors])

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class IdempotencyKeyReused(ValidationFailed):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key already used with a different body"


class ServiceUnavailable(ServiceError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"
