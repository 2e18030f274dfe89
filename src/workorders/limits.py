"""Refuse request bodies over the configured size with 413, before anything parses them."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from workorders import problems
from workorders.errors import BadRequest, PayloadTooLarge, Text, _
from workorders.i18n import negotiate

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Pure ASGI middleware. A declared `Content-Length` over the limit is refused at once; a body
    without one (chunked) is read up to the limit and refused as soon as it goes past it."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, allowances: Sequence[tuple[str, int]] = ()
    ) -> None:
        """`allowances`: (path pattern, limit) pairs for the few routes that take more than JSON
        does (uploads); every other path keeps `max_bytes`."""
        self.app = app
        self.max_bytes = max_bytes
        self.allowances = [(re.compile(pattern), limit) for pattern, limit in allowances]

    def _limit_for(self, path: str) -> int:
        for pattern, limit in self.allowances:
            if pattern.fullmatch(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        lang = negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(
                    send, 400, "bad-request", _("Content-Length is not a number"), lang
                )
                return
            if int(declared) > max_bytes:
                await self._refuse_too_large(send, max_bytes, lang)
                return
            await self.app(scope, receive, send)
            return
        if headers.get(b"transfer-encoding") is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await self._refuse_too_large(send, max_bytes, lang)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse_too_large(self, send: Send, max_bytes: int, lang: str) -> None:
        detail = _("the body is larger than {most} bytes", most=max_bytes)
        await self._refuse(send, 413, "payload-too-large", detail, lang)

    @staticmethod
    async def _refuse(send: Send, status: int, slug: str, detail: Text, lang: str) -> None:
        title = PayloadTooLarge.title if status == 413 else BadRequest.title
        body = json.dumps(problems.body(status, slug, title, detail, lang)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
