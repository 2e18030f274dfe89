"""The desk's pages over plain HTTP (no browser): language, headers, assets, development sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from workorders.app import create_app
from workorders.config import Settings


def _client(settings: Settings) -> httpx.AsyncClient:
    # The page routes read no database, so the app runs without its lifespan here.
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(transport=transport, base_url="http://desk")


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        env="production",
        jwt_secret="a-production-secret-that-is-long-enough-0123456789",
        database_url="sqlite+aiosqlite:///:memory:",
        allow_sqlite_in_production=True,
    )
    async with _client(settings) as client:
        yield client


async def test_development_sign_in_does_not_exist_in_production(
    production: httpx.AsyncClient,
) -> None:
    people = await production.get("/desk/dev/people")
    token = await production.post("/desk/dev/token", json={"kind": "staff", "id": "stf_x"})
    assert people.status_code == 404
    assert token.status_code == 404
    assert people.headers["content-type"] == "application/problem+json"


async def test_pages_are_chinese_by_default_and_english_when_asked(
    production: httpx.AsyncClient,
) -> None:
    default = await production.get("/desk")
    english = await production.get("/desk", headers={"Accept-Language": "en-US,en;q=0.9"})
    prefers_chinese = await production.get(
        "/desk/figures", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    )
    assert default.status_code == english.status_code == prefers_chinese.status_code == 200
    assert '<html lang="zh-CN">' in default.text
    assert '<html lang="en">' in english.text
    assert '<html lang="zh-CN">' in prefers_chinese.text


async def test_pages_load_only_what_the_service_serves(production: httpx.AsyncClient) -> None:
    page = await production.get("/desk/figures")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "://" not in page.text  # no absolute URL to anywhere
    for asset in ("chart.umd.min.js", "common.js", "desk.js", "figures.js", "desk.css"):
        response = await production.get(f"/desk/static/{asset}")
        assert response.status_code == 200, asset
    licence = await production.get("/desk/static/chart.js-LICENSE.txt")
    assert "MIT" in licence.text or "Permission is hereby granted" in licence.text
    assert (await production.get("/desk/static/..%2Fpages%2Fdesk.html")).status_code == 404
    assert (await production.get("/desk/static/missing.js")).status_code == 404
