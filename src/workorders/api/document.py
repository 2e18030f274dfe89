"""What FastAPI's OpenAPI document leaves out, added in one place, so that generated SDKs and stateful
testing get the whole contract:

- every error is problem+json; 429 and 503 on every operation, with `Retry-After` (and `RateLimit-*`);
- the headers responses carry: `ETag` on a work order, `Location` on a create;
- `links` from each create to the operations on what it created (`$response.body#/id`);
- valid OpenAPI 3.1.0 (no 3.2 `itemSchema` on the event stream);
- a summary for each operation, and request examples in Chinese and English.
"""

from __future__ import annotations

import re
from typing import Any

from workorders.api.examples import REQUEST_EXAMPLES, SUMMARIES

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_INTEGER_HEADER = {"schema": {"type": "integer", "minimum": 0}}
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The order\'s version, `"<version>"`: send it back as `If-Match`',
        "schema": {"type": "string", "examples": ['"3"']},
    },
    "Location": {
        "description": "The path of what was created",
        "schema": {"type": "string", "examples": ["/v1/work-orders/wo_01J…"]},
    },
    "Retry-After": {"description": "Seconds to wait before trying again", **_INTEGER_HEADER},
    "RateLimit-Limit": {"description": "Requests allowed in the window", **_INTEGER_HEADER},
    "RateLimit-Remaining": {"description": "Requests left in the window", **_INTEGER_HEADER},
    "RateLimit-Reset": {"description": "Seconds until the window resets", **_INTEGER_HEADER},
}

ALWAYS = {
    "429": {
        "description": "Too many requests: wait `Retry-After` seconds",
        "headers": ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
    },
    "503": {
        "description": "The database is not reachable or not migrated: try again later",
        "headers": ["Retry-After"],
    },
}

# The operations whose success answers are one work order, served with its ETag.
_WORK_ORDER_REF = "#/components/schemas/WorkOrderRead"


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    operations = {
        operation["operationId"]: (path, method, operation)
        for path, methods in schema.get("paths", {}).items()
        for method, operation in methods.items()
    }
    for operation_id, (path, _method, operation) in operations.items():
        if operation_id in SUMMARIES:
            operation["summary"] = SUMMARIES[operation_id]
        _errors(operation)
        _success_headers(operation)
        _request_examples(operation_id, operation)
        if path == "/v1/events/stream":
            _event_stream(operation)
    _links(schema, operations)
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, extra in ALWAYS.items():
        response = responses.setdefault(status, {"description": extra["description"]})
        response["headers"] = {name: _ref(name) for name in extra["headers"]}
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}


def _success_headers(operation: dict[str, Any]) -> None:
    for status, response in operation["responses"].items():
        if not status.startswith("2"):
            continue
        headers = response.setdefault("headers", {})
        if status == "201":
            headers["Location"] = _ref("Location")
        content = response.get("content", {}).get("application/json", {})
        if content.get("schema", {}).get("$ref") == _WORK_ORDER_REF:
            headers["ETag"] = _ref("ETag")
        if not headers:
            del response["headers"]


def _request_examples(operation_id: str, operation: dict[str, Any]) -> None:
    examples = REQUEST_EXAMPLES.get(operation_id)
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if examples and body is not None:
        body["examples"] = examples


def _event_stream(operation: dict[str, Any]) -> None:
    """FastAPI describes SSE with `itemSchema`, an OpenAPI 3.2 keyword; 3.1 has a plain string body.
    The events' shape stays in the document as `EventRead` (each `data:` line is one)."""
    ok = operation["responses"]["200"]
    ok["description"] = (
        "Server-Sent Events: `id` is the cursor to resume from (`Last-Event-ID`), `event` the "
        "type, `data` one `EventRead` as JSON; a `: keep-alive` comment every 15 s"
    )
    ok["content"] = {
        "text/event-stream": {
            "schema": {"type": "string"},
            "example": (
                "id: 1733000000000-42\nevent: work_order.claimed\n"
                'data: {"id": "evt_…", "type": "work_order.claimed", …}\n\n'
            ),
        }
    }


_PARAM = re.compile(r"\{([a-z_]+)\}")


def _links(schema: dict[str, Any], operations: dict[str, tuple[str, str, dict[str, Any]]]) -> None:
    """A create's 201 links to every operation on `<its path>/{id}…` with the new id: the read, the
    updates, the actions, the comments. Stateful testing walks these, and so can an SDK author."""
    for path, method, operation in operations.values():
        # A create's 201; and an action's 200, so that claim leads on to start, resolve, confirm.
        created = operation["responses"].get("201") or operation["responses"].get("200")
        if method != "post" or created is None:
            continue
        content = created.get("content", {}).get("application/json", {})
        if "201" not in operation["responses"] and content.get("schema", {}).get("$ref") != (
            _WORK_ORDER_REF
        ):
            continue
        target = _schema_of(schema, content.get("schema", {}))
        if "id" not in target.get("properties", {}):
            continue
        # A follow-up is a work order: it links like a created work order.
        base = "/v1/work-orders" if content["schema"].get("$ref") == _WORK_ORDER_REF else path
        links: dict[str, Any] = {}
        for other_id, (other_path, _m, _op) in operations.items():
            rest = other_path.removeprefix(base + "/")
            if rest == other_path or not rest.startswith("{"):
                continue
            params = _PARAM.findall(other_path)
            new = _PARAM.match(rest)
            if new is None or params.count(new.group(1)) != 1:
                continue
            known = set(_PARAM.findall(base))
            if set(params) - known != {new.group(1)}:
                continue  # another id we cannot know from this answer
            link_params = {new.group(1): "$response.body#/id"}
            for param in known:
                link_params[param] = f"$request.path.{param}"
            links[other_id[0].upper() + other_id[1:]] = {
                "operationId": other_id,
                "parameters": link_params,
            }
        if links:
            created["links"] = dict(sorted(links.items()))


def _schema_of(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref.get("$ref", "").rsplit("/", 1)[-1]
    return schema.get("components", {}).get("schemas", {}).get(name, {})
