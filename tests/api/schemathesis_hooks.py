"""Schemathesis hooks for the suite's run: creates that stateful testing starts from are made to pass
the rules JSON Schema cannot say (see schemathesis.toml), so that the links lead into the workflows.

Only positive cases are touched; negative ones stay as generated.
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any

import schemathesis

# Each routes to engineering: an engineer may file an order for another department, which is then
# not theirs to see (404 on the links from it), a visibility rule no schema can say.
DESCRIPTIONS = ("厨房水管漏水", "楼道灯不亮了", "电梯困人了", "暖气不热", "卫生间下水道堵了")


def _positive(case: Any) -> bool:
    meta = getattr(case, "_meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)) == "positive"


def _pick(value: Any) -> str:
    return DESCRIPTIONS[zlib.crc32(str(value).encode()) % len(DESCRIPTIONS)]


def _work_order(body: dict[str, Any]) -> dict[str, Any]:
    # Fields any caller may send, values that pass the cross-field rules.
    return {"description": _pick(body.get("description"))}


def _schedule(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "设备巡检",
        "queue": body.get("queue", "engineering"),
        "rrule": "FREQ=DAILY;BYHOUR=8;BYMINUTE=0",
        "dtstart": "2027-01-01T00:00:00Z",
        "checklist": ["外观", "运行声音"],
    }


def _sla_policy(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "priority": body.get("priority", "low"),
        "category": body.get("category") or "garbage",
        "respond_within": "PT1H",
        "start_within": "PT2H",
        "resolve_within": "P1D",
    }


FIXES = {
    "createWorkOrder": _work_order,
    "createWorkOrderFollowUp": lambda body: {
        "queue": body.get("queue", "cleaning"),
        "description": _pick(body.get("description")),
    },
    "createSchedule": _schedule,
    "createSlaPolicy": _sla_policy,
    "createWorkOrderComment": lambda body: {
        "body": _pick(body.get("body")),
        "visibility": body.get("visibility", "public"),
    },
}


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    operation_id = context.operation.definition.raw.get("operationId")
    fix = FIXES.get(operation_id)
    if fix is not None and _positive(case) and isinstance(case.body, dict):
        case.body = fix(case.body)
        # The same key with the same body is answered with the stored response, by contract, even
        # when what it created has been deleted since: a rule across requests that stateful testing
        # reads as "created resource not found". Each create gets a key of its own.
        if case.headers and "Idempotency-Key" in case.headers:
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
    return case
