"""Query and header parameters shared by the routers, so that every list pages the same way."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query

Limit = Annotated[int, Query(ge=1, le=200, description="Page size (max 200)")]
Cursor = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the last page")]
IfMatch = Annotated[
    str | None, Header(description='The ETag (`"<version>"`) last read; a stale one gets 412')
]
