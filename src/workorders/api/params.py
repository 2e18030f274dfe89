"""Query and header parameters shared by the routers, so that every list pages the same way."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (max 200)")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the last page")]
# Header names are spelt as on the wire, in one casing (`If-Match`, `Idempotency-Key`,
# `Accept-Language`), so that every generated client names them alike.
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=64,
        description='The ETag (`"<version>"`) last read; a stale one gets 412, `*` matches any',
    ),
]
AcceptLanguage = Annotated[
    str | None,
    Header(
        alias="Accept-Language",
        max_length=200,
        description="Language of labels and problem texts: `zh-CN` (default) or `en`",
    ),
]
