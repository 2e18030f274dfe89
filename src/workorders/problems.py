"""Problem documents (RFC 9457) in the caller's language, and the validator's errors in plain words.

A problem's `title`, `detail` and each `errors[].message` are said in the language `Accept-Language`
asks for (i18n.py). Pydantic's own messages never reach a client: they are written for programmers
(`String should match pattern '^\\+?[0-9]…'`) and in English only. Each error *type* has a sentence
here instead, and each location becomes the JSON path a form can map its fields to: `location.room`,
`units[0].room`, `status[1]`, never `body.units.0.room`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from workorders.errors import N_, FieldError, OneOf, ServiceError, Text, ValidationFailed, _
from workorders.i18n import say
from workorders.refusals import CONTROL_ERROR, CONTROL_TEXT

# One sentence per pydantic error type; `{…}` names a value of the error's context.
_BY_TYPE: Mapping[str, str] = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a field of this request"),
    "string_type": N_("must be a string"),
    "string_too_short": N_("must have at least {min_length} characters"),
    "string_too_long": N_("must have at most {max_length} characters"),
    "string_pattern_mismatch": N_("is not in the expected format"),
    "too_short": N_("must have at least {min_length} items"),
    "too_long": N_("must have at most {max_length} items"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "literal_error": N_("must be one of {expected}"),
    "enum": N_("must be one of {expected}"),
    "datetime_type": N_("must be an RFC 3339 date-time, e.g. 2026-12-01T08:00:00Z"),
    "datetime_parsing": N_("must be an RFC 3339 date-time, e.g. 2026-12-01T08:00:00Z"),
    "datetime_from_date_parsing": N_("must be an RFC 3339 date-time, e.g. 2026-12-01T08:00:00Z"),
    "timezone_aware": N_("must carry its offset from UTC, e.g. Z or +08:00"),
    "date_type": N_("must be a date, e.g. 2026-12-01"),
    "date_parsing": N_("must be a date, e.g. 2026-12-01"),
    "date_from_datetime_parsing": N_("must be a date, e.g. 2026-12-01"),
    "time_delta_type": N_("must be an ISO 8601 duration, e.g. PT4H"),
    "time_delta_parsing": N_("must be an ISO 8601 duration, e.g. PT4H"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "list_type": N_("must be a list"),
    "set_type": N_("must be a list"),
    "tuple_type": N_("must be a list"),
    "url_type": N_("must be a URL"),
    "url_parsing": N_("must be a URL"),
    "url_scheme": N_("must be a URL"),
    "url_too_long": N_("is too long for a URL"),
    "uuid_type": N_("must be a UUID"),
    "uuid_parsing": N_("must be a UUID"),
    "json_invalid": N_("is not valid JSON"),
    "union_tag_invalid": N_("has an unknown {discriminator}"),
    "union_tag_not_found": N_("needs {discriminator}"),
    "none_required": N_("must be null"),
    "unclearable": N_("cannot be cleared"),
}
_INVALID = N_("is not valid")
# Patterns whose meaning can be said (schemas/core.py); any other one is "not in the expected format".
_BY_PATTERN: Mapping[str, str] = {
    r"\S": N_("must not be blank"),
    r"^\+?[0-9][0-9 -]{4,18}[0-9]$": N_("must be a phone number, e.g. 13812345678"),
}
# Steps of a location that name a type pydantic tried (a union's member, a validator), not a field.
_TYPE_STEPS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "tuple", "set"})


def json_path(location: Sequence[Any]) -> str:
    """`("units", 0, "room")` -> `units[0].room`."""
    path = ""
    for step in location:
        if isinstance(step, int):
            path += f"[{step}]"
        elif path:
            path += f".{step}"
        else:
            path = str(step)
    return path


def _field(error: Mapping[str, Any]) -> str:
    location = list(error.get("loc", ()))
    source = (
        location.pop(0) if location and location[0] in ("body", "query", "path", "header") else None
    )
    steps = [
        step
        for step in location
        if isinstance(step, int)
        or (
            not (step in _TYPE_STEPS or any(c in str(step) for c in "[(,"))
            and not str(step).startswith(("function-", "lax-", "json-"))
        )
    ]
    context = error.get("ctx") or {}
    if error.get("type") == CONTROL_ERROR and context.get("path"):
        steps += list(context["path"])
    return json_path(steps) or (str(source) if source and source != "body" else "body")


def _message(error: Mapping[str, Any]) -> Text:
    kind = str(error.get("type", ""))
    context = dict(error.get("ctx") or {})
    if kind == CONTROL_ERROR:
        return CONTROL_TEXT
    if kind in ("value_error", "assertion_error"):
        # A validator's own words: a `Text` when it marked them, else said as written.
        reason = context.get("error")
        said = reason.args[0] if isinstance(reason, Exception) and reason.args else reason
        return said if isinstance(said, Text) else Text(str(said or _INVALID))
    if kind == "string_pattern_mismatch" and context.get("pattern") in _BY_PATTERN:
        return Text(_BY_PATTERN[context["pattern"]])
    if kind in ("enum", "literal_error"):
        # pydantic lists the choices in English ("'a', 'b' or 'c'"): each language lists them anew.
        choices = re.findall(r"'[^']*'|-?\d+", str(context.get("expected", "")))
        context["expected"] = OneOf(tuple(choices)) if choices else context.get("expected", "")
    template = _BY_TYPE.get(kind, _INVALID)
    try:
        template.format(**context)
    except (KeyError, IndexError, ValueError):
        return Text(_INVALID)
    return Text(template, {k: v for k, v in context.items() if f"{{{k}}}" in template})


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """The validator's errors as `{field, message}` a client can show next to its form's fields."""
    return [FieldError(_field(error), _message(error)) for error in errors]


def body(
    status: int,
    slug: str,
    title: str | Text,
    detail: str | Text,
    lang: str,
    **extensions: Any,
) -> dict[str, Any]:
    """The problem document in `lang` (extensions left out when None)."""
    document: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": say(title if isinstance(title, Text) else Text(title), lang),
        "status": status,
        "detail": say(detail, lang),
    }
    return document | {k: v for k, v in extensions.items() if v is not None}


def of_error(exc: ServiceError, lang: str) -> dict[str, Any]:
    extensions = dict(exc.extensions)
    if isinstance(exc, ValidationFailed):
        extensions["errors"] = [
            {"field": e.field, "message": say(e.message, lang)} for e in exc.errors
        ]
    return body(exc.status, exc.slug, exc.title, exc.text, lang, **extensions)


def of_validation(errors: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """FastAPI's request validation errors as the one 422 problem."""
    return of_error(ValidationFailed.of(field_errors(errors)), lang)


MALFORMED_JSON = _("the body is not valid JSON")
