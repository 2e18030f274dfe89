"""Two languages: the label catalogue, `Accept-Language` negotiation, and labels of one order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

from tests.api.test_contract import assert_problem
from workorders.domain.lifecycle import Status
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue
from workorders.i18n import labels_for, negotiate

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder


async def test_every_label_in_both_languages(
    client: httpx.AsyncClient, community: Community
) -> None:
    response = await client.get("/v1/labels", headers=community.owner.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"zh-CN", "en"}
    expected = {
        "status": {str(s) for s in Status},
        "queue": {str(q) for q in Queue},
        "priority": {str(p) for p in Priority},
        "kind": {str(k) for k in Kind},
        "category": set(CATEGORIES),
    }
    for language in ("zh-CN", "en"):
        assert {field: set(labels) for field, labels in body[language].items()} == expected
    assert body["zh-CN"]["queue"]["engineering"] == "工程维修"
    assert body["en"]["queue"]["engineering"] == "Engineering"
    assert body["zh-CN"]["status"]["queued"] == "已受理"
    assert body["en"]["category"]["plumbing"] == "Plumbing"
    # No English label is left in Chinese.
    assert not any(
        "\u4e00" <= ch <= "\u9fff"
        for labels in body["en"].values()
        for label in labels.values()
        for ch in label
    )
    assert_problem(await client.get("/v1/labels"), 401)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("EN-gb", "en"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("zh-Hant-HK", "zh-CN"),
        ("fr, en;q=0.5", "en"),
        ("de", "zh-CN"),
        ("zh-CN;q=0.2, en;q=0.8", "en"),
        ("en;q=0, zh", "zh-CN"),
        ("*", "zh-CN"),
        ("en;q=bogus, zh", "zh-CN"),
    ],
)
def test_negotiate(header: str | None, language: str) -> None:
    assert negotiate(header) == language


async def test_labels_for_an_order(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    order = await file_order(community.owner, "厨房水管漏水", category="plumbing")
    assert labels_for(order, "en") == {
        "status": "Accepted",
        "queue": "Engineering",
        "priority": {"urgent": "Urgent", "high": "High", "normal": "Normal", "low": "Low"}[
            order["priority"]
        ],
        "kind": "Repair",
        "category": "Plumbing",
    }
    chinese = labels_for(order, "zh-CN")
    assert chinese["queue"] == "工程维修" and chinese["category"] == "给排水"
    assert chinese["status"] == order["status_label"]
    # A row (anything with the attributes) works as well as a dict.
    row = SimpleNamespace(
        status=Status.CLOSED,
        queue=Queue.SECURITY,
        priority="urgent",
        kind="incident",
        category="noise",
    )
    assert labels_for(row, "en") == {
        "status": "Completed",
        "queue": "Security",
        "priority": "Urgent",
        "kind": "Incident",
        "category": "Noise",
    }
    assert labels_for(row, "zh-CN")["category"] == "噪音扰民"
    # Unknown values show as they are, a missing category as null, an unknown language as Chinese.
    odd = {"status": "queued", "queue": "engineering", "priority": "low", "kind": "repair"}
    assert labels_for(odd | {"category": "made_up"}, "en")["category"] == "made_up"
    assert labels_for(odd | {"category": None}, "en")["category"] is None
    assert labels_for(odd | {"category": None}, "fr")["queue"] == "工程维修"
