"""Words for the OpenAPI document: summaries the routes do not give, and request examples in Chinese
(the owners' and staff's language) and English (the integrators'). Each example is a valid request:
the tests send them."""

from __future__ import annotations

from typing import Any

# Operations whose route gives no summary of its own (a route's own summary wins: see `document`).
SUMMARIES = {
    "listStaff": "The property's staff, by name (staff-side roles)",
    "createStaff": "Add a staff member, supervisor or manager to the directory (admin, manager)",
    "getStaff": "One staff member",
    "updateStaff": "Change a staff member's details, skills, duty or workload limit",
    "listOwners": "The property's owners, phone numbers masked (customer service, manager)",
    "createOwner": "Add an owner (业主) with their units",
    "getOwner": "One owner, phone masked unless it is the owner themself",
    "updateOwner": "Change an owner's name, phone or units",
    "listWebhookEndpoints": "The property's webhook endpoints (admin)",
    "getWebhookEndpoint": "One webhook endpoint (its secret is never shown again)",
    "deleteWebhookEndpoint": "Remove an endpoint; nothing more is delivered to it",
    "getRoutingRule": "One routing rule",
    "deleteRoutingRule": "Remove a routing rule; orders already routed keep their routing",
    "getSlaPolicy": "One deadline policy",
    "getSchedule": "One schedule, with its next run",
    "getReturnVisit": "One return visit (回访)",
}


def _pair(zh: dict[str, Any], en: dict[str, Any], what: str) -> dict[str, Any]:
    return {
        "zh": {"summary": f"中文: {what}", "value": zh},
        "en": {"summary": f"English: {what}", "value": en},
    }


REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "createWorkOrder": _pair(
        {
            "description": "厨房水管漏水，地上都是水",
            "category": "plumbing",
            "location": {"building": "3", "unit": "2", "room": "1502"},
        },
        {
            "description": "The kitchen pipe is leaking; water is all over the floor",
            "category": "plumbing",
            "location": {"building": "3", "unit": "2", "room": "1502"},
        },
        "an owner reports a leak",
    ),
    "createWorkOrderComment": _pair(
        {"body": "师傅下午三点前能到吗？", "visibility": "public"},
        {"body": "Can someone come before 3 pm?", "visibility": "public"},
        "an owner asks when someone comes",
    ),
    "createStaff": _pair(
        {
            "name": "王师傅",
            "department": "engineering",
            "role": "staff",
            "skills": ["plumbing", "electrical"],
            "phone": "13812345678",
        },
        {
            "name": "Wang Wei",
            "department": "engineering",
            "role": "staff",
            "skills": ["plumbing", "electrical"],
            "phone": "13812345678",
        },
        "an engineer who fixes pipes and wiring",
    ),
    "createOwner": _pair(
        {
            "name": "李女士",
            "phone": "13912345678",
            "units": [{"building": "3", "unit": "2", "room": "1502"}],
        },
        {
            "name": "Ms Li",
            "phone": "13912345678",
            "units": [{"building": "3", "unit": "2", "room": "1502"}],
        },
        "an owner of one flat",
    ),
    "createWebhookEndpoint": _pair(
        {
            "url": "https://hooks.example.com/workorders",
            "event_types": ["work_order.*"],
            "description": "客服工单系统",
        },
        {
            "url": "https://hooks.example.com/workorders",
            "event_types": ["work_order.resolved", "work_order.sla_breached"],
            "description": "Customer service desk",
        },
        "customer service's tool hears of changes",
    ),
    "createSchedule": _pair(
        {
            "title": "消防设施月检",
            "queue": "engineering",
            "checklist": ["消火栓水压", "灭火器有效期", "应急照明"],
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0",
            "dtstart": "2027-01-01T01:00:00Z",
            "timezone": "Asia/Shanghai",
        },
        {
            "title": "Monthly fire-system inspection",
            "queue": "engineering",
            "checklist": ["Hydrant pressure", "Extinguisher expiry", "Emergency lighting"],
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0",
            "dtstart": "2027-01-01T01:00:00Z",
            "timezone": "Asia/Shanghai",
        },
        "a monthly inspection with a checklist",
    ),
    "createSlaPolicy": _pair(
        {
            "priority": "high",
            "category": "elevator",
            "respond_within": "PT5M",
            "start_within": "PT15M",
            "resolve_within": "PT2H",
        },
        {
            "priority": "normal",
            "category": "garbage",
            "respond_within": "PT1H",
            "start_within": "PT4H",
            "resolve_within": "P1D",
            "use_calendar": True,
        },
        "tighter deadlines for one category",
    ),
    "createRoutingRule": _pair(
        {
            "name": "电梯困人",
            "when": {"keywords": ["电梯", "困人", "关在电梯"]},
            "then": {"queue": "engineering", "priority": "urgent", "category": "elevator"},
        },
        {
            "name": "Trapped in a lift",
            "when": {"keywords": ["lift", "elevator", "trapped"]},
            "then": {"queue": "engineering", "priority": "urgent", "category": "elevator"},
        },
        "an urgent elevator rule",
    ),
    "previewRouting": _pair(
        {"description": "楼道里有人吸烟，烟味很大"},
        {"description": "Someone is smoking in the stairwell"},
        "where a draft would go",
    ),
    "createWorkOrderFollowUp": _pair(
        {"queue": "cleaning", "description": "水管修好了，走廊需要清理积水"},
        {"queue": "cleaning", "description": "Pipe fixed; the corridor needs drying"},
        "engineering calls in cleaning",
    ),
    "resolveWorkOrder": _pair(
        {"resolution": "更换了厨房水槽下的角阀"},
        {"resolution": "Replaced the angle valve under the kitchen sink"},
        "what was done",
    ),
    "confirmWorkOrder": _pair(
        {"rating": 5, "comment": "师傅很专业，谢谢"},
        {"rating": 5, "comment": "Quick and tidy, thank you"},
        "the owner confirms with a rating",
    ),
    "holdWorkOrder": _pair(
        {"reason": "等待配件到货"},
        {"reason": "Waiting for a spare part"},
        "work waits for a part",
    ),
}
