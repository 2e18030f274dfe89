"""The service's vocabulary: queues, kinds, priorities, categories and their Chinese labels.

Pure data. Routing rules, the lifecycle and the API all speak in these names; the names are part of the
HTTP contract and never change.
"""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    ENGINEERING = "engineering"
    SECURITY = "security"
    CLEANING = "cleaning"
    CUSTOMER_SERVICE = "customer_service"


class Department(StrEnum):
    """A staff member's department. The four queues are the four departments."""

    ENGINEERING = "engineering"
    SECURITY = "security"
    CLEANING = "cleaning"
    CUSTOMER_SERVICE = "customer_service"


class Kind(StrEnum):
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    SUGGESTION = "suggestion"
    INCIDENT = "incident"
    TASK = "task"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most pressing; orders sort by rank, then by age."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Channel(StrEnum):
    APP = "app"
    PHONE = "phone"
    WALK_IN = "walk_in"
    WECHAT = "wechat"
    PATROL = "patrol"
    SCHEDULE = "schedule"


QUEUE_LABELS: dict[Queue, str] = {
    Queue.ENGINEERING: "工程维修",
    Queue.SECURITY: "秩序维护",
    Queue.CLEANING: "环境保洁",
    Queue.CUSTOMER_SERVICE: "客户服务",
}

KIND_LABELS: dict[Kind, str] = {
    Kind.REPAIR: "报修",
    Kind.COMPLAINT: "投诉",
    Kind.INQUIRY: "咨询",
    Kind.SUGGESTION: "建议",
    Kind.INCIDENT: "秩序事件",
    Kind.TASK: "内部任务",
}

# category -> (department that handles it, Chinese label). Routing places an order whose category is
# known straight into that department's queue.
CATEGORIES: dict[str, tuple[Queue, str]] = {
    # engineering
    "plumbing": (Queue.ENGINEERING, "给排水"),
    "electrical": (Queue.ENGINEERING, "电路照明"),
    "elevator": (Queue.ENGINEERING, "电梯"),
    "heating": (Queue.ENGINEERING, "供暖"),
    "air_conditioning": (Queue.ENGINEERING, "空调"),
    "doors_access": (Queue.ENGINEERING, "门窗门禁"),
    "gas": (Queue.ENGINEERING, "燃气"),
    "fire_equipment": (Queue.ENGINEERING, "消防设施"),
    "building": (Queue.ENGINEERING, "房屋结构"),
    "public_facility": (Queue.ENGINEERING, "公共设施"),
    # security
    "noise": (Queue.SECURITY, "噪音扰民"),
    "parking": (Queue.SECURITY, "停车秩序"),
    "safety": (Queue.SECURITY, "治安安全"),
    "fire_exit": (Queue.SECURITY, "消防通道"),
    "ebike": (Queue.SECURITY, "电动车充电"),
    "falling_objects": (Queue.SECURITY, "高空抛物"),
    "dispute": (Queue.SECURITY, "邻里纠纷"),
    "access_control": (Queue.SECURITY, "出入管理"),
    # cleaning
    "garbage": (Queue.CLEANING, "垃圾清运"),
    "hygiene": (Queue.CLEANING, "公区卫生"),
    "greening": (Queue.CLEANING, "绿化养护"),
    "pests": (Queue.CLEANING, "消杀"),
    "snow_water": (Queue.CLEANING, "除雪排涝"),
    # customer service
    "inquiry": (Queue.CUSTOMER_SERVICE, "咨询"),
    "fees": (Queue.CUSTOMER_SERVICE, "物业费"),
    "invoice": (Queue.CUSTOMER_SERVICE, "发票"),
    "suggestion": (Queue.CUSTOMER_SERVICE, "建议"),
    "service_complaint": (Queue.CUSTOMER_SERVICE, "服务投诉"),
    # internal work
    "inspection": (Queue.ENGINEERING, "巡检"),
    "patrol": (Queue.SECURITY, "巡逻"),
    "cleaning_round": (Queue.CLEANING, "保洁巡查"),
}


def queue_for_category(category: str) -> Queue | None:
    entry = CATEGORIES.get(category)
    return entry[0] if entry else None
