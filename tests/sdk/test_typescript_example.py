"""The TypeScript example (`examples/typescript/story.ts`) type-checks against the types
openapi-typescript makes of the committed document, and runs under node against a live server.

The example is copied to a temporary folder with freshly generated types, and compiled by tsc with
`strict` and `noEmitOnError`: one tsc run is both the type check (`tsc --noEmit`'s verdict) and the
build node runs (node 20 cannot run TypeScript by itself). Skipped only when node is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.sdk.conftest import DOCUMENT, REPO
from workorders.domain.actors import Role
from workorders.domain.taxonomy import Department

if TYPE_CHECKING:
    from pathlib import Path

    from tests.sdk.conftest import LiveServer

EXAMPLE = REPO / "examples" / "typescript"
NODE_MODULES = REPO / "node_modules"


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, env=env, timeout=180
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def node_tooling() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the TypeScript example cannot run")
    if not (NODE_MODULES / ".package-lock.json").exists():
        _run(["npm", "ci", "--no-audit", "--no-fund"], REPO)  # the versions package-lock.json pins
    return NODE_MODULES / ".bin"


def _directory(server: LiveServer) -> tuple[str, str]:
    import httpx

    admin = {"Authorization": f"Bearer {server.token(Role.ADMIN)}"}
    owner = httpx.post(
        f"{server.base_url}/v1/owners",
        json={"name": "张先生", "phone": "13712345678"},
        headers=admin,
    )
    engineer = httpx.post(
        f"{server.base_url}/v1/staff",
        json={"name": "赵师傅", "role": "staff", "department": "engineering"},
        headers=admin,
    )
    assert owner.status_code == engineer.status_code == 201, (owner.text, engineer.text)
    return owner.json()["id"], engineer.json()["id"]


def test_typescript_example_type_checks_and_runs(
    node_tooling: Path, live_server: LiveServer, tmp_path: Path
) -> None:
    for name in ("story.ts", "tsconfig.json", "package.json"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    _run([str(node_tooling / "openapi-typescript"), str(DOCUMENT), "-o", "openapi.ts"], tmp_path)
    _run([str(node_tooling / "tsc"), "-p", "."], tmp_path)

    owner_id, engineer_id = _directory(live_server)
    env = os.environ | {
        "WORKORDERS_URL": live_server.base_url,
        "OWNER_TOKEN": live_server.token(Role.OWNER, sub=owner_id),
        "ENGINEER_TOKEN": live_server.token(
            Role.STAFF, sub=engineer_id, dept=Department.ENGINEERING
        ),
    }
    output = _run(["node", "dist/story.js"], tmp_path, env=env)
    final = json.loads(output.strip().splitlines()[-1])
    assert final["status"] == "closed"
    assert final["rating"] == 5
