"""`Allow` that names every method of a path, and `OPTIONS` answered.

Starlette tries the routes one by one: when `GET /v1/work-orders` and `POST /v1/work-orders` are two
routes, a `DELETE` there is refused by the first one alone, so its `Allow` names one method. This
middleware asks every route whether it serves the path and answers:

- a 405 gets `Allow` with all of them (plus `HEAD` with `GET`, and `OPTIONS`);
- `OPTIONS` on a path that exists gets 204 with the same `Allow`. A CORS preflight (`OPTIONS` with
  `Origin` and `Access-Control-Request-Method`) is left to the CORS middleware and the router.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some route serves at this request's path; empty when no route has the path.

    Each method is put to the routes as a probe (`BaseRoute.matches`), which works the same for plain
    routes and for FastAPI's included routers."""
    methods = [
        method
        for method in ORDER[:-1]
        if any(
            route.matches(dict(scope, method=method))[0] is Match.FULL
            for route in app.router.routes
        )
    ]
    return [*methods, "OPTIONS"] if methods else []


class AllowedMethods:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and not _is_preflight(scope):
            allow = allowed_methods(scope["app"], scope)
            if allow:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 204,
                        "headers": [(b"allow", ", ".join(allow).encode("latin-1"))],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allow = allowed_methods(scope["app"], scope)
                if allow:
                    headers = MutableHeaders(scope=message)
                    headers["Allow"] = ", ".join(allow)
            await send(message)

        await self.app(scope, receive, send_with_allow)


def _is_preflight(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return "origin" in headers and "access-control-request-method" in headers
