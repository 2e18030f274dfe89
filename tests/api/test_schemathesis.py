"""Schemathesis against a live server, as an owner, an engineer and a manager: every phase (examples,
coverage, fuzzing, and stateful testing that follows the document's `links` from a create into the
workflows), bounded by `tests/api/schemathesis.toml`.

Every operation must answer as the document says: never a 500, only declared status codes,
problem+json for errors, bodies and headers that match their schemas, invalid input refused. The
rules JSON Schema cannot say are listed, with their reasons, in schemathesis.toml. The figures of each
run (cases, links covered, failures) are written to build/schemathesis-<role>.txt.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.conftest import GENEROUS_LIMITS
from tests.sdk.conftest import REPO, LiveServer, _serve
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Department

if TYPE_CHECKING:
    from collections.abc import Iterator

CONFIG = Path(__file__).with_name("schemathesis.toml")
DOCUMENT = REPO / "openapi" / "openapi.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Schemathesis sends bad tokens on purpose: the suite's generous limits keep its hundreds of
    # refusals from tripping the failed-authentication limit (the limits have tests of their own).
    yield from _serve(
        tmp_path_factory.mktemp("schemathesis"), WORKORDERS_RATE_LIMITS=GENEROUS_LIMITS
    )


def _token(server: LiveServer, role: str) -> str:
    """A token for a real person of the directory (the directory wins over the token's claims)."""
    admin = {"Authorization": f"Bearer {server.token(Role.ADMIN)}"}
    if role == "owner":
        response = httpx.post(
            f"{server.base_url}/v1/owners",
            json={
                "name": "测试业主",
                "phone": "13812345678",
                "units": [{"building": "1", "room": "101"}],
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
        return server.token(Role.OWNER, sub=response.json()["id"])
    department = {"engineer": "engineering", "manager": None}[role]
    response = httpx.post(
        f"{server.base_url}/v1/staff",
        json={
            "name": f"测试{role}",
            "role": "staff" if role == "engineer" else "manager",
            "department": department,
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    if role == "engineer":
        return server.token(Role.STAFF, sub=response.json()["id"], dept=Department.ENGINEERING)
    return server.token(Role.MANAGER, sub=response.json()["id"])


# Per role: the unit phases over every operation, then stateful testing from the creates this role
# may make (stateful testing over all 70 operations spreads its scenarios too thin to get far).
RUNS = {
    "owner": [("examples,fuzzing", None), ("stateful", "^/v1/work-orders")],
    "engineer": [("examples,fuzzing", None), ("stateful", "^/v1/work-orders")],
    "manager": [
        ("examples,coverage,fuzzing", None),
        ("stateful", "^/v1/(work-orders|schedules|sla-policies|routing-rules)"),
    ],
}


def _schemathesis(server: LiveServer, token: str, phases: str, paths: str | None) -> str:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(DOCUMENT),
        "--url",
        server.base_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        phases,
        # One worker: several threads drawing at once trip a CPython 3.11 race in `ast`
        # ("AST constructor recursion depth mismatch") inside hypothesis.
        "--workers",
        "1",
        "--seed",
        "20261201",
        "--warnings",
        "off",
        *(["--include-path-regex", paths] if paths else []),
    ]
    env = os.environ | {"PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    output = result.stdout + result.stderr
    # Reproduction commands can carry bodies of 100 KB: cut lines so the failures stay readable.
    readable = "\n".join(line[:400] for line in output.splitlines())
    assert result.returncode == 0, readable[-20000:]
    return output


def _figures(output: str) -> list[str]:
    wanted = ("Examples (", "Coverage (", "Fuzzing (", "Stateful (", "Scenarios:", "API Links:")
    lines = [line.strip() for line in output.splitlines() if any(w in line for w in wanted)]
    cases = re.search(r"\d+ generated, .*", output)
    result = re.search(r"=+ (.*) in [\d.]+s =+", output)
    lines.append(f"Test cases: {cases.group(0) if cases else '?'}")
    lines.append(f"Result: {result.group(1) if result else '?'}")
    return lines


@pytest.mark.parametrize("role", list(RUNS))
def test_every_operation_keeps_its_contract(server: LiveServer, role: str) -> None:
    token = _token(server, role)
    report: list[str] = []
    outputs = []
    for phases, paths in RUNS[role]:
        output = _schemathesis(server, token, phases, paths)
        outputs.append(output)
        report += [f"[{phases}{' on ' + paths if paths else ''}]", *_figures(output)]
    (REPO / "build").mkdir(exist_ok=True)
    (REPO / "build" / f"schemathesis-{role}.txt").write_text("\n".join(report) + "\n", "utf-8")
    links = re.search(r"API Links:\s+(\d+) covered", outputs[-1])
    assert links is not None and int(links.group(1)) > 0, "\n".join(report)
