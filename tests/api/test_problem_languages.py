"""Problems in the caller's language (Chinese by default, English on request), field messages in plain
words with JSON paths, and refusals that say who can."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from babel.messages.pofile import read_po

import workorders
from workorders import i18n
from workorders.errors import ServiceError

if TYPE_CHECKING:
    import httpx

    from tests.conftest import Community, FileOrder

EN = {"Accept-Language": "en"}
# What pydantic's own words look like: none of it may reach a client.
VALIDATOR_WORDS = re.compile(r"String should|Input should|Field required|pattern|Value error|\^")


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    return body


async def test_a_validation_problem_in_both_languages(
    client: httpx.AsyncClient, community: Community
) -> None:
    body = {
        "description": "   ",
        "location": {"room": "x" * 41},
        "contact_phone": "12ab",
        "preferred_time": {"start": "yesterday", "end": "2026-12-01T08:00:00Z"},
        "colour": "red",
    }
    zh = _problem(
        await client.post("/v1/work-orders", json=body, headers=community.owner.headers), 422
    )
    en = _problem(
        await client.post("/v1/work-orders", json=body, headers=community.owner.headers | EN), 422
    )
    assert zh["type"] == en["type"] == "/problems/validation-error"
    assert zh["title"] == "请求内容有误"
    assert en["title"] == "The request is not valid"
    by_field = {e["field"]: e["message"] for e in en["errors"]}
    assert by_field == {
        "description": "must not be blank",
        "location.room": "must have at most 40 characters",
        "contact_phone": "must be a phone number, e.g. 13812345678",
        "preferred_time.start": "must be an RFC 3339 date-time, e.g. 2026-12-01T08:00:00Z",
        "colour": "is not a field of this request",
    }
    zh_by_field = {e["field"]: e["message"] for e in zh["errors"]}
    assert set(zh_by_field) == set(by_field)
    assert zh_by_field["description"] == "不能为空白"
    assert zh_by_field["location.room"] == "最多 40 个字符"
    assert "location.room：最多 40 个字符" in zh["detail"]
    assert "location.room: must have at most 40 characters" in en["detail"]
    for problem in (zh, en):
        assert not VALIDATOR_WORDS.search(str(problem)), problem


async def test_list_positions_are_json_paths(
    client: httpx.AsyncClient, community: Community
) -> None:
    response = await client.post(
        "/v1/owners",
        json={
            "name": "王芳",
            "phone": "13812345678",
            "units": [
                {"building": "3", "unit": "1", "room": "1"},
                {"building": "3", "unit": "1", "room": 7},
            ],
        },
        headers=community.cs.headers | EN,
    )
    problem = _problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["units[1].room"]
    assert problem["errors"][0]["message"] == "must be a string"
    listed = await client.get(
        "/v1/work-orders?status=queued&status=lost", headers=community.cs.headers | EN
    )
    problem = _problem(listed, 422)
    assert [e["field"] for e in problem["errors"]] == ["status[1]"]
    assert problem["errors"][0]["message"].startswith("must be one of ")


@pytest.mark.parametrize(
    ("header", "title"),
    [
        (None, "未找到"),
        ("en", "Not found"),
        ("en-GB,en;q=0.9", "Not found"),
        ("fr-FR, en;q=0.5", "Not found"),
        ("zh-TW", "未找到"),
        ("en;q=0, zh-CN", "未找到"),
        ("klingon", "未找到"),
    ],
)
async def test_the_language_is_negotiated(
    client: httpx.AsyncClient, community: Community, header: str | None, title: str
) -> None:
    headers = community.cs.headers | ({"Accept-Language": header} if header else {})
    problem = _problem(await client.get("/v1/work-orders/wo_missing", headers=headers), 404)
    assert problem["title"] == title
    assert "wo_missing" in problem["detail"]


async def test_an_owner_cancelling_work_in_progress_is_told_customer_service_can(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    c = community
    oid = (await file_order(c.owner, "电梯按钮失灵，按了没反应"))["id"]
    for action in ("claim", "start"):
        response = await client.post(
            f"/v1/work-orders/{oid}/{action}", json={}, headers=c.engineer.headers
        )
        assert response.status_code == 200
    path = f"/v1/work-orders/{oid}/cancel"
    zh = _problem(await client.post(path, json={"reason": "不修了"}, headers=c.owner.headers), 403)
    en = _problem(
        await client.post(path, json={"reason": "不修了"}, headers=c.owner.headers | EN), 403
    )
    assert zh["detail"] == "工单已是「处理中」状态，您不能再自行取消；客服可以为您取消，请联系客服"
    assert en["detail"] == (
        "you can no longer cancel this work order yourself now that it is In progress; "
        "customer service can cancel it for you"
    )
    assert en["who_can"] == ["cs_supervisor", "supervisor", "manager"]
    # Staff are told who, by name of role, in their language.
    cleaner = _problem(
        await client.post(
            f"/v1/work-orders/{oid}/resolve", json={"resolution": "好了"}, headers=c.cleaner.headers
        ),
        404,
    )
    assert cleaner["title"] == "未找到"
    cs = _problem(await client.post(path, json={"reason": "重复"}, headers=c.cs.headers), 403)
    assert cs["detail"] == "工单为「处理中」状态时您不能取消；客服主管、工程维修主管或经理可以"
    cs_en = _problem(
        await client.post(path, json={"reason": "重复"}, headers=c.cs.headers | EN), 403
    )
    assert cs_en["detail"] == (
        "you may not cancel this work order while it is In progress; a customer-service "
        "supervisor, the Engineering supervisor, or the manager can"
    )


async def test_a_wrong_status_is_said_with_labels(
    client: httpx.AsyncClient, community: Community, file_order: FileOrder
) -> None:
    oid = (await file_order(community.owner, "厨房水管漏水"))["id"]
    path = f"/v1/work-orders/{oid}/confirm"
    zh = _problem(await client.post(path, json={}, headers=community.owner.headers), 409)
    assert zh["title"] == "当前状态下不能执行此操作"
    assert zh["detail"] == "工单当前状态为「已受理」，不能确认"
    assert zh["allowed_actions"] == ["cancel"]
    en = _problem(await client.post(path, json={}, headers=community.owner.headers | EN), 409)
    assert en["detail"] == "cannot confirm a work order that is Accepted"


async def test_unauthenticated_and_unknown_paths_follow_the_language(
    client: httpx.AsyncClient,
) -> None:
    zh = _problem(await client.get("/v1/work-orders"), 401)
    assert zh["title"] == "需要身份验证"
    en = _problem(await client.get("/v1/work-orders", headers=EN), 401)
    assert en["detail"] == "send Authorization: Bearer <token>"
    assert _problem(await client.get("/v1/nothing-here", headers=EN), 404)["title"] == "Not found"


async def test_the_body_limit_answers_in_the_language(
    client: httpx.AsyncClient, community: Community
) -> None:
    big = {"description": "水" * 300_000}
    zh = _problem(
        await client.post("/v1/work-orders", json=big, headers=community.owner.headers), 413
    )
    assert zh["title"] == "请求内容过大"
    en = _problem(
        await client.post("/v1/work-orders", json=big, headers=community.owner.headers | EN), 413
    )
    assert en["title"] == "Request body too large"


# --- the catalog ------------------------------------------------------------------------------------

SOURCE = Path(workorders.__file__).parent
ERRORS = {cls.__name__ for cls in ServiceError.__subclasses__()} | {
    "ServiceError",
    "ConcurrentChange",
    "InvalidTransition",
    "IdempotencyInProgress",
    "IdempotencyKeyReused",
    "FieldError",
    "UnsupportedMediaType",
    "RateLimited",
}


def test_no_problem_is_raised_with_words_the_catalog_cannot_translate() -> None:
    """Every message given to the error family is marked (`_(…)`), never a bare or f-string."""
    bare: list[str] = []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = 1 if name in ("FieldError", "on") else 0
            if name == "on" and getattr(node.func.value, "id", None) != "ValidationFailed":  # type: ignore[attr-defined]
                continue
            if name not in ERRORS | {"on"} or len(node.args) <= position:
                continue
            if isinstance(node.args[position], ast.Constant | ast.JoinedStr):
                bare.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert not bare, bare


def test_every_marked_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as file:
        template = read_po(file)
    translations = i18n._translations(i18n.ZH)
    placeholders = re.compile(r"\{[^{}]*\}")
    for message in template:
        if not message.id:
            continue
        assert message.id in translations, message.id
        assert sorted(placeholders.findall(translations[message.id])) == sorted(
            placeholders.findall(str(message.id))
        ), message.id


def test_the_committed_template_has_every_marked_message() -> None:
    """`messages.pot` is what `pybabel extract -F babel.cfg` finds now (README: refreshing it)."""
    from babel.messages.extract import extract_from_dir

    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(SOURCE), method_map=[("**.py", "python")]
        )
        if isinstance(message, str)
    }
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as file:
        committed = {str(m.id) for m in read_po(file) if m.id}
    assert found == committed
