"""Test fixtures: the same suite against SQLite and, when it answers, PostgreSQL.

Each backend gets a database of its own for the run (a temporary SQLite file; a freshly created
PostgreSQL database, dropped at the end), built by the real migrations. Tests are isolated by emptying
every table after each one. Set WORKORDERS_TEST_REQUIRE_POSTGRES=1 (CI does) to fail instead of skipping
when PostgreSQL does not answer.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import delete

from workorders.app import create_app
from workorders.auth import mint_token
from workorders.clock import ManualClock
from workorders.config import Settings
from workorders.db import Base, Database
from workorders.domain import routing
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Department
from workorders.migrate import upgrade
from workorders.models import Property
from workorders.services import sla

POSTGRES_SERVER = os.environ.get("WORKORDERS_TEST_POSTGRES", "postgres@127.0.0.1:5432")
REQUIRE_POSTGRES = os.environ.get("WORKORDERS_TEST_REQUIRE_POSTGRES", "") not in ("", "0")
BACKENDS = ("sqlite", "postgresql")


async def _postgres_answers() -> str | None:
    try:
        connection = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres", timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    failure = await _postgres_answers()
    if failure is not None:
        message = f"PostgreSQL at {POSTGRES_SERVER} does not answer ({failure}): SQLite only"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    name = f"workorders_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(f"postgresql://{POSTGRES_SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{POSTGRES_SERVER}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def unsure_router(monkeypatch: pytest.MonkeyPatch) -> None:
    """The router as it is when its model cannot place a request: what no rule matches is filed into
    triage, for customer service to place. The packaged model is sure of almost every request (it
    sends vague ones to customer service itself), so a test that needs an order in triage asks for
    this rather than for words the next corpus may teach it."""
    monkeypatch.setattr(routing, "route", functools.partial(routing.route, threshold=1.1))


# The suite's own traffic must not trip the production defaults; the limit tests set low ones.
GENEROUS_LIMITS = (
    "create_order=100000/hour;request=100000/minute;auth_failure=100000/minute;comment=100000/hour"
)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        db_pool_size=30,
        db_max_overflow=10,
        rate_limits=GENEROUS_LIMITS,
    )


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture(scope="session")
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[Any]:
    database = Database(settings)
    await upgrade(database.write_engine)
    await database.dispose()
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def db(app: Any, clock: ManualClock) -> AsyncIterator[Database]:
    """The app's database, emptied (all but the `default` property) after the test, and the
    configuration this process cached from it forgotten. The `default` property gets its default
    deadline policies and settings again, as provisioning gave them (the request path never seeds)."""
    clock.set(datetime.now(UTC))
    yield app.state.db
    async with app.state.db.writer() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == Property.__tablename__:
                await session.execute(delete(table).where(table.c.id != "default"))
            else:
                await session.execute(delete(table))
        await sla.seed_defaults(session, "default", datetime.now(UTC))
    # Rows went without `configuration.touch`: what this process cached of them goes too.
    app.state.db.config.invalidate()


@pytest.fixture
async def client(app: Any, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@dataclass
class Person:
    id: str | None
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Community:
    """A small community: every role, every department, two owners."""

    admin: Person
    manager: Person
    cs: Person
    cs_supervisor: Person
    engineer: Person
    engineer2: Person
    eng_supervisor: Person
    guard: Person
    sec_supervisor: Person
    cleaner: Person
    owner: Person
    neighbour: Person


MakeToken = Callable[..., str]


@pytest.fixture
def token(settings: Settings) -> MakeToken:
    def make(
        role: str, sub: str | None = None, dept: str | None = None, prop: str | None = None
    ) -> str:
        return mint_token(
            settings,
            role=Role(role),
            now=datetime.now(UTC),
            sub=sub,
            dept=Department(dept) if dept else None,
            prop=prop,
        )

    return make


@pytest.fixture
async def community(client: httpx.AsyncClient, token: MakeToken) -> Community:
    admin = Person(None, token("admin"))

    async def staff(name: str, dept: str | None, role: str) -> Person:
        response = await client.post(
            "/v1/staff",
            json={"name": name, "department": dept, "role": role},
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        member = response.json()["id"]
        token_role = {"supervisor": "supervisor", "manager": "manager"}.get(role, "staff")
        return Person(member, token(token_role, member, dept if role != "manager" else None))

    async def owner(name: str, phone: str, room: str) -> Person:
        response = await client.post(
            "/v1/owners",
            json={"name": name, "phone": phone, "units": [{"building": "3", "room": room}]},
            headers=admin.headers,
        )
        assert response.status_code == 201, response.text
        member = response.json()["id"]
        return Person(member, token("owner", member))

    return Community(
        admin=admin,
        manager=await staff("王经理", None, "manager"),
        cs=await staff("赵客服", "customer_service", "staff"),
        cs_supervisor=await staff("李主管", "customer_service", "supervisor"),
        engineer=await staff("刘师傅", "engineering", "staff"),
        engineer2=await staff("陈师傅", "engineering", "staff"),
        eng_supervisor=await staff("张主管", "engineering", "supervisor"),
        guard=await staff("周保安", "security", "staff"),
        sec_supervisor=await staff("孙主管", "security", "supervisor"),
        cleaner=await staff("郑保洁", "cleaning", "staff"),
        owner=await owner("林晓", "13812345678", "1502"),
        neighbour=await owner("黄海", "13987654321", "1601"),
    )


FileOrder = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def file_order(client: httpx.AsyncClient) -> FileOrder:
    async def file(person: Person, description: str, **fields: Any) -> dict[str, Any]:
        response = await client.post(
            "/v1/work-orders", json={"description": description, **fields}, headers=person.headers
        )
        assert response.status_code == 201, response.text
        return response.json()

    return file


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how each database backend fared, so a run that skipped PostgreSQL cannot pass unnoticed."""
    outcomes: dict[str, Counter[str]] = {backend: Counter() for backend in BACKENDS}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            for backend in BACKENDS:
                if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
                    outcomes[backend][outcome] += 1
    from tests.trust import SUMMARY

    if SUMMARY:
        terminalreporter.section("authorization matrix")
        for line in SUMMARY:
            terminalreporter.write_line(line)
    terminalreporter.section("database backends")
    for backend, counts in outcomes.items():
        summary = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "no tests"
        terminalreporter.write_line(f"{backend}: {summary}")
