"""Who hears of an event in their inbox, and in what words. Pure: the caller supplies the people.

Customer service hears of every change in the property; the owner of their own order, in words meant
for them (Chinese, built on the owner-facing status labels); the assignee and the department's
supervisor of assignments and escalations; the manager of escalations and missed deadlines. Nobody is
told of what they did themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from workorders.domain import owner_view
from workorders.domain.lifecycle import STATUS_LABELS, Status
from workorders.domain.taxonomy import QUEUE_LABELS

LABELS = STATUS_LABELS["zh"]


class Reason(StrEnum):
    OWNER = "owner"
    ASSIGNEE = "assignee"
    SUPERVISOR = "supervisor"
    CUSTOMER_SERVICE = "customer_service"
    MANAGER = "manager"


@dataclass(frozen=True)
class Recipient:
    type: str  # "owner" or "staff"
    id: str


@dataclass(frozen=True)
class Notice:
    recipient: Recipient
    reason: Reason
    title: str
    body: str


@dataclass(frozen=True)
class Audience:
    """The people around one order, looked up by the caller."""

    owner_id: str | None
    customer_service: Sequence[str]
    supervisors: Sequence[str]  # of the order's queue
    managers: Sequence[str]


@dataclass(frozen=True)
class EventFacts:
    type: str
    actor_type: str
    actor_id: str | None
    data: Mapping[str, Any]


# What staff read: the event in a few words.
STAFF_WORDS = {
    "work_order.created": "新工单",
    "work_order.routed": "已转派",
    "work_order.assigned": "已指派",
    "work_order.claimed": "已接单",
    "work_order.declined": "被退回队列",
    "work_order.started": "开始处理",
    "work_order.held": "暂停处理",
    "work_order.resumed": "恢复处理",
    "work_order.resolved": "已处理完毕",
    "work_order.confirmed": "业主已确认",
    "work_order.closed": "已关闭",
    "work_order.reopened": "重新打开",
    "work_order.cancelled": "已取消",
    "work_order.escalated": "已升级",
    "work_order.commented": "有新评论",
    "work_order.sla_warning": "即将超时",
    "work_order.sla_breached": "已超时",
    "work_order.appointment_proposed": "已预约上门时间",
    "work_order.appointment_accepted": "业主已确认上门时间",
    "work_order.appointment_declined": "业主希望另约时间",
    "work_order.appointment_withdrawn": "已撤回上门预约",
}

# What the owner reads: only what changes for them, never internal steps (routing between queues,
# escalations, deadlines).
OWNER_WORDS = {
    "work_order.created": "您的工单 {number} 已提交，当前状态：{label}。",
    "work_order.assigned": "已为您的工单 {number} 安排工作人员，当前状态：{label}。",
    "work_order.claimed": "工作人员已接单，您的工单 {number} 当前状态：{label}。",
    "work_order.started": "工作人员已开始处理您的工单 {number}。",
    "work_order.held": "您的工单 {number} 暂停处理，我们会尽快恢复。",
    "work_order.resumed": "您的工单 {number} 已恢复处理。",
    "work_order.resolved": "您的工单 {number} 已处理完毕，请确认处理结果并评价。",
    "work_order.confirmed": "您的工单 {number} 已完成，感谢您的配合。",
    "work_order.closed": "您的工单 {number} 已完成，感谢您的配合。",
    "work_order.reopened": "您的工单 {number} 已重新受理，我们会再次处理。",
    "work_order.cancelled": "您的工单 {number} 已取消。",
    "work_order.commented": "物业工作人员回复了您的工单 {number}。",
    "work_order.appointment_proposed": "工作人员为您的工单 {number} 预约了上门时间，请确认或另约时间。",
    "work_order.appointment_accepted": "您的工单 {number} 的上门时间已确认。",
    "work_order.appointment_declined": "已为您的工单 {number} 另约上门时间，工作人员会再与您确认。",
    "work_order.appointment_withdrawn": "工作人员撤回了您的工单 {number} 的上门预约，会再与您约定时间。",
}

# Events the assignee and the queue's supervisor must act on or know of.
ASSIGNEE_EVENTS = frozenset(
    {
        "work_order.assigned",
        "work_order.escalated",
        "work_order.reopened",
        "work_order.cancelled",
        "work_order.commented",
        "work_order.sla_warning",
        "work_order.sla_breached",
        # The owner's answer to a visit the assignee proposed.
        "work_order.appointment_accepted",
        "work_order.appointment_declined",
    }
)
SUPERVISOR_EVENTS = frozenset(
    {
        "work_order.created",
        "work_order.routed",
        "work_order.declined",
        "work_order.reopened",
        "work_order.assigned",
        "work_order.claimed",
        "work_order.escalated",
        "work_order.sla_breached",
    }
)
MANAGER_EVENTS = frozenset({"work_order.escalated", "work_order.sla_breached"})


def _label(data: Mapping[str, Any]) -> str:
    try:
        return LABELS[Status(str(data.get("status")))]
    except ValueError:
        return str(data.get("status") or "")


def owner_notice(event: EventFacts) -> tuple[str, str] | None:
    """The owner's title and text for `event`, or None when it is not theirs to hear."""
    data = event.data
    # What the owner's view hides, the owner is not told of either.
    if not owner_view.shows_event(event.type, data):
        return None
    if event.type == "work_order.commented" and event.actor_type == "owner":
        return None
    if event.type == "work_order.routed" and data.get("previous_status") != Status.TRIAGE:
        return None
    template = OWNER_WORDS.get(event.type)
    if event.type == "work_order.routed":
        template = "您的工单 {number} 已受理，当前状态：{label}。"
    if template is None:
        return None
    label = _label(data)
    return f"工单{label}", template.format(number=data.get("number", ""), label=label)


def _queue_label(data: Mapping[str, Any]) -> str:
    # Queue is a StrEnum: its members hash like their names, so the raw string finds the label.
    queue = str(data.get("queue"))
    return QUEUE_LABELS.get(queue, queue)  # type: ignore[call-overload]


def staff_notice(event: EventFacts) -> tuple[str, str]:
    data = event.data
    words = STAFF_WORDS.get(event.type, event.type)
    number = data.get("number", "")
    detail = f"（{data['deadline']}）" if data.get("deadline") else ""
    return (
        f"{number} {words}",
        f"工单 {number} {words}{detail}，当前状态：{_label(data)}，队列：{_queue_label(data)}。",
    )


# A function that words an event for one kind of recipient (None: not theirs to hear).
Wording = Callable[[EventFacts], tuple[str, str] | None]


def notices(event: EventFacts, audience: Audience) -> list[Notice]:
    """One notice per person who must act on or know of `event`, with the first reason that applies."""
    if not event.type.startswith("work_order."):
        return []
    out: dict[Recipient, Notice] = {}
    actor = Recipient("owner" if event.actor_type == "owner" else "staff", event.actor_id or "")
    # The words are written once, and only for someone who hears them: most events of a busy
    # property reach nobody but customer service, and an owner's own filing not the owner.
    written: dict[Wording, tuple[str, str] | None] = {}

    def add(recipients: Iterable[Recipient], reason: Reason, wording: Wording) -> None:
        for recipient in recipients:
            if recipient == actor or recipient in out:
                continue
            if wording not in written:
                written[wording] = wording(event)
            words = written[wording]
            if words is None:
                return
            out[recipient] = Notice(recipient, reason, *words)

    if audience.owner_id:
        add([Recipient("owner", audience.owner_id)], Reason.OWNER, owner_notice)
    assignee = event.data.get("assignee_id")
    if assignee and event.type in ASSIGNEE_EVENTS:
        add([Recipient("staff", assignee)], Reason.ASSIGNEE, staff_notice)
    if event.type in SUPERVISOR_EVENTS:
        add((Recipient("staff", s) for s in audience.supervisors), Reason.SUPERVISOR, staff_notice)
    add(
        (Recipient("staff", s) for s in audience.customer_service),
        Reason.CUSTOMER_SERVICE,
        staff_notice,
    )
    if event.type in MANAGER_EVENTS:
        add((Recipient("staff", s) for s in audience.managers), Reason.MANAGER, staff_notice)
    return list(out.values())
