"""Response headers every answer carries: no sniffing, no referrer, nothing personal kept in caches."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
# Every `/v1` answer may carry personal data (names, phones, addresses): no cache may keep it.
_PERSONAL = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Pure ASGI middleware; it also drops any `server` header a layer below might have added."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        personal = scope.get("path", "").startswith("/v1")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower()
                    not in (b"server", b"x-content-type-options", b"referrer-policy")
                    and not (personal and name.lower() == b"cache-control")
                ]
                headers.extend(_ALWAYS)
                if personal:
                    headers.append(_PERSONAL)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)
