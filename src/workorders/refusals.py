"""Clean refusals of what the service will not take in: control characters, unreachable databases.

Control characters (NUL and the other C0 characters but tab, line feed and carriage return, and DEL)
have no business in any text of this service; PostgreSQL refuses NUL outright, which used to surface
as a 500. Bodies are checked by the `RequestBody` base (schemas/core.py); paths, queries and the
headers the service reads by `refuse_control_characters`, a dependency of every `/v1` route.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from fastapi import Request

from workorders.errors import FieldError, ValidationFailed, _

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_ERROR = "control_character"
CONTROL_TEXT = _("contains a control character (NUL and other C0 characters are refused)")
CONTROL_MESSAGE = str(CONTROL_TEXT)
# The request headers the service reads (beyond Authorization, which the token check parses).
READ_HEADERS = ("idempotency-key", "if-match", "last-event-id", "accept-language", "authorization")


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def first_control_path(
    value: Any, path: tuple[str | int, ...] = ()
) -> tuple[str | int, ...] | None:
    """The path (keys, and list indexes as ints) of the first string under `value` holding a control
    character."""
    if isinstance(value, str):
        return path if has_control(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and has_control(key):
                return (*path, key)
            found = first_control_path(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = first_control_path(item, (*path, index))
            if found is not None:
                return found
    return None


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_READ_HEADER_NAMES = frozenset(name.encode() for name in READ_HEADERS)


def _clean(scope: MutableMapping[str, Any]) -> bool:
    """Whether the request certainly holds no control character where the service reads, judged on
    the raw request without parsing it: the decoded path (every path parameter is part of it), a
    query with no percent escape, the raw values of the headers the service reads. A query with
    escapes is not judged here."""
    query: bytes = scope.get("query_string", b"")
    return (
        not has_control(scope["path"])
        and b"%" not in query
        and _CONTROL_BYTES.search(query) is None
        and not any(
            name in _READ_HEADER_NAMES and _CONTROL_BYTES.search(value) is not None
            for name, value in scope["headers"]
        )
    )


async def refuse_control_characters(request: Request) -> None:
    """422 naming the path parameter, query parameter or header that holds a control character.
    The request is looked at as it came first (`_clean`): parsing its query and headers for every
    request cost more than the check."""
    if _clean(request.scope):
        return
    errors = [
        FieldError(name, CONTROL_TEXT)
        for name, value in request.path_params.items()
        if isinstance(value, str) and has_control(value)
    ]
    errors += [
        FieldError(name, CONTROL_TEXT)
        for name, value in request.query_params.multi_items()
        if has_control(name) or has_control(value)
    ]
    errors += [
        FieldError(name, CONTROL_TEXT)
        for name in READ_HEADERS
        if has_control(request.headers.get(name, ""))
    ]
    if errors:
        raise ValidationFailed.of(errors)
