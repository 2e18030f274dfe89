"""One error family. Services raise these; one handler in `app.py` renders them as problem+json.

Each class carries its HTTP status and the slug of its problem `type`, so a caller can branch on the type
without parsing prose. The prose itself is said in the caller's language: details and field messages are
`Text`, an English message id with its values (written `_("no owner {owner_id}", owner_id=…)`, the
gettext way), rendered by `i18n.say` from the catalogs in `locale/` when the answer is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Text:
    """Words for a client, said later in its language: an English message id and its values. A value
    may be a `Text` or a `Label` itself; `str()` is the English."""

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.values:
            return self.msgid
        return self.msgid.format(**{k: _english(v) for k, v in self.values.items()})


def _english(value: Any) -> str:
    # A tuple of texts is a list said one after the other (`ValidationFailed.of`).
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Label:
    """A value shown by its label in the caller's language: a status, queue, priority, kind, category or
    action (`Label("status", "in_progress")` is 处理中 or "In progress")."""

    field: str
    value: object  # a str or StrEnum; None (no queue yet) is said as it is

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class OneOf:
    """Alternatives said as a list ("customer service, the manager or …", 客服、经理或…)."""

    items: tuple[Any, ...]

    def __str__(self) -> str:
        words = [str(item) for item in self.items]
        return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _(msgid: str, /, **values: Any) -> Text:
    """Mark a message for the catalogs (`pybabel extract` finds `_`) and bind its values."""
    return Text(msgid, values)


def N_(msgid: str) -> str:  # noqa: N802 - the name gettext's tools look for
    """Mark a constant message (a problem's title) for the catalogs; it is translated when said."""
    return msgid


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str | Text


class ServiceError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = N_("Internal server error")

    def __init__(self, detail: str | Text, **extensions: Any) -> None:
        self.text = detail if isinstance(detail, Text) else Text(detail)
        super().__init__(str(self.text))
        self.detail = str(self.text)  # the English, for logs and tests
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"


class BadRequest(ServiceError):
    status = 400
    slug = "bad-request"
    title = N_("Malformed request")


class Unauthorized(ServiceError):
    status = 401
    slug = "unauthorized"
    title = N_("Authentication required")

    def __init__(self, detail: str | Text) -> None:
        super().__init__(detail)
        self.headers["WWW-Authenticate"] = 'Bearer realm="workorders"'


class Forbidden(ServiceError):
    status = 403
    slug = "forbidden"
    title = N_("Not allowed")


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = N_("Not found")


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = N_("Conflict")


class ConcurrentChange(Conflict):
    slug = "concurrent-change"
    title = N_("Changed by someone else")


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = N_("Action not allowed in this status")

    def __init__(self, detail: str | Text, allowed_actions: Sequence[str]) -> None:
        super().__init__(detail, allowed_actions=list(allowed_actions))


class IdempotencyInProgress(Conflict):
    slug = "idempotency-in-progress"
    title = N_("A request with this Idempotency-Key is still running")


class PreconditionFailed(ServiceError):
    status = 412
    slug = "precondition-failed"
    title = N_("If-Match does not match the current version")


class PayloadTooLarge(ServiceError):
    status = 413
    slug = "payload-too-large"
    title = N_("Request body too large")


class ValidationFailed(ServiceError):
    status = 422
    slug = "validation-error"
    title = N_("The request is not valid")

    def __init__(self, detail: str | Text, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)

    @classmethod
    def on(cls, field: str, message: str | Text) -> ValidationFailed:
        return cls.of([FieldError(field, message)])

    @classmethod
    def of(cls, errors: Sequence[FieldError]) -> ValidationFailed:
        """The detail names each field with its message ("description: must not be blank")."""
        each = tuple(_("{field}: {message}", field=e.field, message=e.message) for e in errors)
        return cls(Text("{fields}", {"fields": each}), errors)


class IdempotencyKeyReused(ValidationFailed):
    slug = "idempotency-key-reused"
    title = N_("Idempotency-Key already used with a different body")


class ServiceUnavailable(ServiceError):
    status = 503
    slug = "unavailable"
    title = N_("Service unavailable")
