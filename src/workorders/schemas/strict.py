"""Field shapes the OpenAPI document must state exactly, so that generated clients offer what the
server accepts and nothing else.

- `Unclearable[T]`: a field of a partial update that may be left out but not set to null. The server
  still answers an explicit null (422 "cannot be cleared"); the document does not offer null.
- `StrictDatetime`: an RFC 3339 string only (pydantic would also take a number as a Unix time).
- `StrictBool` (pydantic's): `true` or `false` only, never `0`, `1` or `"yes"`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BeforeValidator, Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from workorders.errors import _

T = TypeVar("T")


def _drop_default(schema: dict[str, Any]) -> None:
    # The default is "absent", not null: stating `default: null` would offer null again.
    schema.pop("default", None)


def absent(**kwargs: Any) -> Any:
    """`Field(None, ...)` for an optional, non-nullable field: no `default: null` in the schema.
    Constraints belong on the inner type (`Unclearable[Annotated[str, Field(max_length=…)]]`):
    here they would be applied to an explicit null too."""
    return Field(None, json_schema_extra=_drop_default, **kwargs)


Unclearable = Annotated[T | SkipJsonSchema[None], "unclearable"]


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _text_only(value: Any) -> Any:
    # Pydantic would read `0`, `0.5` or `"1700000000"` as a Unix time: not a date-time here.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError(_("must be an RFC 3339 date-time, e.g. 2026-12-01T08:00:00Z"))
    return value


StrictDatetime = Annotated[AwareDatetime, BeforeValidator(_text_only)]

__all__ = ["StrictBool", "StrictDatetime", "Unclearable", "absent"]
