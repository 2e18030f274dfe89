"""`/docs` (Swagger UI) and `/redoc`, served entirely by the service.

The assets are vendored in `static/` with their licences (see its README): the pages load where
there is no internet, or no reliable route to a CDN. The pages hold no inline script, so a strict
Content-Security-Policy (`script-src 'self'`) does not break them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse

from workorders.errors import NotFound, _

STATIC = Path(__file__).with_name("static")
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "swagger-ui.LICENSE": "text/plain; charset=utf-8",
    "swagger-ui.NOTICE": "text/plain; charset=utf-8",
    "swagger-ui-bundle.js.LICENSE.txt": "text/plain; charset=utf-8",
    "redoc.LICENSE": "text/plain; charset=utf-8",
    "redoc.standalone.js.LICENSE.txt": "text/plain; charset=utf-8",
}

# Swagger UI reads the document's address from the page (`data-url`), so this script is a file.
SWAGGER_INIT = """\
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    tryItOutEnabled: false,
    persistAuthorization: false
  });
});
"""

# A favicon of our own (an empty one): browsers ask for it, and nothing should be fetched elsewhere.
_FAVICON = "data:,"

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{_FAVICON}">
{head}
</head>
<body style="margin:0">
{body}
</body>
</html>
"""


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = _root(request)
    return HTMLResponse(
        _page(
            f"{request.app.title}: API",
            f'<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css">',
            f'<div id="swagger-ui" data-url="{root}/openapi.json"></div>\n'
            f'<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>\n'
            f'<script src="{root}/docs/assets/swagger-init.js"></script>',
        )
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    root = _root(request)
    return HTMLResponse(
        _page(
            f"{request.app.title}: API",
            "",
            f'<redoc spec-url="{root}/openapi.json" hide-download-button="false"></redoc>\n'
            f'<script src="{root}/docs/assets/redoc.standalone.js"></script>',
        )
    )


@router.get("/docs/assets/swagger-init.js")
async def swagger_init() -> PlainTextResponse:
    return PlainTextResponse(
        SWAGGER_INIT,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/docs/assets/{name}")
async def asset(name: Annotated[str, PathParam(max_length=64)]) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(_("no documentation asset {name!r}", name=name))
    return FileResponse(
        STATIC / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
