"""The committed OpenAPI document as SDK generators read it: valid 3.1.0, every operation described,
and shaped so that the generated clients offer what the server accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

REPO = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((REPO / "openapi" / "openapi.json").read_text("utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
OPERATIONS = {
    operation["operationId"]: (path, method, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
}


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(
        option.get("type") == "null" for option in schema.get("anyOf", [])
    )


def test_the_committed_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)  # raises with the first problem it finds
    assert "itemSchema" not in json.dumps(DOCUMENT)  # an OpenAPI 3.2 keyword


def test_every_operation_has_a_summary_in_words() -> None:
    for operation_id, (_path, _method, operation) in OPERATIONS.items():
        summary = operation.get("summary", "")
        # FastAPI's fallback is the function's name in title case ("Get Sla Policy").
        fallback = " ".join(re.findall(r"[A-Z]?[a-z]+", operation_id[0].upper() + operation_id[1:]))
        assert summary and summary != fallback, operation_id
        assert len(summary.split()) >= 2, (operation_id, summary)


@pytest.mark.parametrize(
    "operation_id",
    [
        "createWorkOrder",
        "createWorkOrderComment",
        "createStaff",
        "createOwner",
        "createWebhookEndpoint",
        "createSchedule",
        "createSlaPolicy",
        "createRoutingRule",
    ],
)
def test_creates_have_valid_examples_in_chinese_and_english(operation_id: str) -> None:
    _path, _method, operation = OPERATIONS[operation_id]
    body = operation["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) >= {"zh", "en"}
    validator = Draft202012Validator({"components": DOCUMENT["components"], **body["schema"]})
    for example in body["examples"].values():
        errors = [e.message for e in validator.iter_errors(example["value"])]
        assert not errors, (operation_id, example["value"], errors)
    assert re.search(r"[\u4e00-\u9fff]", json.dumps(body["examples"]["zh"], ensure_ascii=False))


def test_errors_429_and_503_are_declared_everywhere_as_problems() -> None:
    for operation_id, (_path, _method, operation) in OPERATIONS.items():
        responses = operation["responses"]
        for status in ("429", "503"):
            assert status in responses, (operation_id, status)
        assert "Retry-After" in responses["429"]["headers"]
        assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
            responses["429"]["headers"]
        )
        for status, response in responses.items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"]


def test_etag_and_location_are_declared_where_they_are_sent() -> None:
    for operation_id in ("createWorkOrder", "getWorkOrder", "claimWorkOrder", "startWorkOrder"):
        _path, _method, operation = OPERATIONS[operation_id]
        ok = next(r for s, r in operation["responses"].items() if s.startswith("2"))
        assert "ETag" in ok["headers"], operation_id
    for operation_id, (_path, method, operation) in OPERATIONS.items():
        if "201" in operation["responses"]:
            assert method == "post"
            assert "Location" in operation["responses"]["201"]["headers"], operation_id


def test_creates_link_to_the_read_and_the_actions() -> None:
    links = OPERATIONS["createWorkOrder"][2]["responses"]["201"]["links"]
    for target in ("getWorkOrder", "claimWorkOrder", "startWorkOrder", "resolveWorkOrder"):
        link = next(v for v in links.values() if v["operationId"] == target)
        assert link["parameters"] == {"order_id": "$response.body#/id"}
    claim_links = OPERATIONS["claimWorkOrder"][2]["responses"]["200"]["links"]
    assert any(v["operationId"] == "startWorkOrder" for v in claim_links.values())
    for operation_id in ("createSchedule", "createWebhookEndpoint", "createSlaPolicy"):
        assert OPERATIONS[operation_id][2]["responses"]["201"]["links"], operation_id


def test_bodyless_actions_take_an_optional_plain_object() -> None:
    for action in ("claim", "start", "resume"):
        body = OPERATIONS[f"{action}WorkOrder"][2]["requestBody"]
        assert not body.get("required", False)
        assert body["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/NoBody"
        }
    assert SCHEMAS["NoBody"]["type"] == "object"
    assert SCHEMAS["NoBody"]["additionalProperties"] is False


@pytest.mark.parametrize(
    ("schema", "unclearable", "clearable"),
    [
        (
            "ScheduleUpdate",
            ["title", "rrule", "dtstart", "timezone", "checklist", "priority", "active"],
            ["category", "location", "dispatch", "assignee_id"],
        ),
        (
            "SlaPolicyUpdate",
            ["respond_within", "start_within", "resolve_within", "use_calendar"],
            [],
        ),
        ("WebhookEndpointUpdate", ["url", "disabled"], ["event_types", "description"]),
        ("SlaSettingsUpdate", ["return_visit_policy"], ["calendar"]),
    ],
)
def test_update_fields_are_nullable_only_where_null_clears(
    schema: str, unclearable: list[str], clearable: list[str]
) -> None:
    properties = SCHEMAS[schema]["properties"]
    for name in unclearable:
        assert not _nullable(properties[name]), (schema, name)
        assert "default" not in properties[name], (schema, name)
    for name in clearable:
        assert _nullable(properties[name]), (schema, name)
    assert not SCHEMAS[schema].get("required")


def test_problem_extensions_are_optional_and_never_null() -> None:
    problem = SCHEMAS["Problem"]
    for name in ("errors", "allowed_actions", "instance"):
        assert name not in problem["required"]
        assert not _nullable(problem["properties"][name])


def test_read_shapes_are_typed() -> None:
    read = SCHEMAS["WorkOrderRead"]["properties"]
    refs = json.dumps(read["preferred_time"])
    assert "TimeWindowRead" in refs
    assert set(SCHEMAS["TimeWindowRead"]["required"]) == {"start", "end"}
    assert "#/components/schemas/Category" in json.dumps(read["category"])
    assert read["channel"] == {"$ref": "#/components/schemas/Channel"}
    data = SCHEMAS["EventData"]
    assert data["type"] == "object" and data["additionalProperties"] is True
    assert {
        "number",
        "status",
        "previous_status",
        "queue",
        "priority",
        "assignee_id",
        "escalation_level",
        "version",
    } <= set(data["properties"])


def test_header_parameters_are_spelt_one_way() -> None:
    for operation_id, (_path, _method, operation) in OPERATIONS.items():
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header":
                name = parameter["name"]
                assert name == "-".join(w[:1].upper() + w[1:] for w in name.split("-")), (
                    operation_id,
                    name,
                )
                assert name in {"If-Match", "Idempotency-Key", "Accept-Language", "Last-Event-ID"}


def test_no_schema_has_a_field_named_like_itself() -> None:
    def squash(text: str) -> str:
        return text.replace("_", "").lower()

    for name, schema in SCHEMAS.items():
        for field in schema.get("properties", {}):
            assert squash(field) != squash(name), (name, field)
