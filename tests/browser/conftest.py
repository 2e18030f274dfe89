"""The desk in a real browser: Debian's Chromium driven by Playwright, against a real `workorders serve`.

The service runs as a subprocess on a free port with a temporary SQLite database holding the demo
community; the tests sign in through the page like a person would. Without `/usr/bin/chromium` the tests
are skipped, unless WORKORDERS_TEST_REQUIRE_BROWSER is set (CI sets it), in which case they fail.
Screenshots of every page land in `build/screenshots/` for a person to look at.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.history import add_history
from workorders.cli import cmd_seed_demo
from workorders.config import Settings

CHROMIUM = os.environ.get("WORKORDERS_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("WORKORDERS_TEST_REQUIRE_BROWSER", "") not in ("", "0")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
# Flags for a browser that must not reach anything but the service under test.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    missing = _browser_missing()
    if missing is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"WORKORDERS_TEST_REQUIRE_BROWSER is set but {missing}")
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Service:
    url: str
    database: Path
    people: dict[str, dict[str, Any]]
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def client(self, name: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers(name), timeout=10)


# Module scope, not session: Playwright's sync API keeps an event loop of its own in this thread while
# it runs, and the async tests that come after this module need the thread to themselves again.
@pytest.fixture(scope="module")
def service(chromium_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    workdir = tmp_path_factory.mktemp("desk")
    database = workdir / "desk.db"
    env = {
        **os.environ,
        "WORKORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "WORKORDERS_ENV": "development",
    }
    # Seeded in this process (it migrates first; a thread of its own, as the test session's event
    # loop is running), served by a real `workorders serve`.
    seed_settings = Settings(database_url=env["WORKORDERS_DATABASE_URL"])
    with contextlib.redirect_stdout(io.StringIO()), ThreadPoolExecutor(1) as pool:
        pool.submit(cmd_seed_demo, argparse.Namespace(), seed_settings).result()
        pool.submit(asyncio.run, add_history(seed_settings)).result()
    command = [sys.executable, "-m", "workorders"]
    port = _free_port()
    log = (workdir / "serve.log").open("w")
    server = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError((workdir / "serve.log").read_text())
            time.sleep(0.1)
        people = {p["name"]: p for p in httpx.get(f"{url}/desk/dev/people").json()["items"]}
        tokens = {
            name: httpx.post(f"{url}/desk/dev/token", json={"kind": p["kind"], "id": p["id"]})
            .raise_for_status()
            .json()["token"]
            for name, p in people.items()
        }
        yield Service(url, database, people, tokens)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(chromium_ready: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_desk(browser: Any, service: Service) -> Iterator[Any]:
    """Open a page signed in as a person of the demo directory, through the development sign-in."""
    contexts: list[Any] = []

    def open_as(name: str, path: str = "/desk", *, phone: bool = False, lang: str = "zh-CN") -> Any:
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = browser.new_context(viewport=viewport, locale=lang, is_mobile=phone)
        contexts.append(context)
        # Nothing but the service: any request elsewhere fails the page.
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(service.url) else route.abort()
            ),
        )
        page = context.new_page()
        page.set_default_timeout(5000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        page.goto(f"{service.url}{path}")
        page.click(f"#people button[data-person='{service.people[name]['id']}']")
        page.wait_for_selector("#nav:not([hidden])")
        return page

    yield open_as
    for context in contexts:
        context.close()


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


__all__ = ["SCREENSHOTS", "Service", "shoot"]
