"""Routing: which department queue a new request goes to, how pressing it is, and why.

Pure: no I/O, no clock (the caller passes the local hour), so the same draft always gets the same
decision and every decision can be explained by its reason.

Two mechanisms, on purpose:

- Rules (data, ordered, first match wins) choose the queue, category and a priority.
- Urgency detection runs on every request whatever the rules say, because the rule set is
  editable per property and a danger to people must never depend on someone having kept a rule in
  the right place. It can only raise a priority to urgent, never lower one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from workorders.domain.default_rules import (
    DEFAULT_RULES,
    FAULT,
    NOT_NOW,
    URGENT_SIGNS,
    Pair,
    Rule,
    Then,
    UrgentSign,
    When,
)
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from workorders.domain.dispatch import Strategy

__all__ = ["DEFAULT_RULES", "Decision", "Draft", "Pair", "Rule", "Then", "When", "route"]


@dataclass(frozen=True)
class Draft:
    """What the routing sees of a new order."""

    description: str
    title: str | None = None
    category: str | None = (
        None  # owner/staff-chosen category (a key of taxonomy.CATEGORIES) or None
    )
    kind: Kind | None = None  # owner-chosen kind or None
    channel: str = "app"
    building: str | None = None
    area: str | None = None  # public area name, e.g. "地下车库", or None
    local_hour: int | None = None  # hour of day at the property (0-23), for night-time rules


@dataclass(frozen=True)
class Decision:
    queue: Queue  # Queue.CUSTOMER_SERVICE when triaged
    triage: bool  # True when no rule matched
    priority: Priority
    category: str | None
    kind: Kind
    rule_id: str | None
    rule_name: str | None
    reason: str  # human-readable, e.g. "keyword 漏水 matched" or "no rule matched"
    dispatch: Strategy | None = None  # the rule's dispatch strategy; None: the queue's
    skills: tuple[str, ...] = ()
    source: str = "rule"  # PLACEHOLDER fields of the model core's interface (replaced at merge)
    model_version: str | None = None
    confidence: float | None = None
    evidence: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()

    def routing_data(self) -> dict:
        return {
            "source": self.source,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "model_version": self.model_version,
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "reason": self.reason,
            "suggestions": [
                {"queue": str(s.queue), "confidence": s.confidence} for s in self.suggestions
            ],
        }


@dataclass(frozen=True)
class Suggestion:
    queue: Queue
    confidence: float


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Cue words for the kind of request when the owner did not say. Complaint cues win over the others:
# "请问你们怎么还不来修，我要投诉" is a complaint phrased as a question.
_COMPLAINT_CUES = _words(
    "投诉 态度差 态度很差 态度太差 态度不好 态度恶劣 爱理不理 爱答不理 不作为 "
    "推诿 踢皮球 乱收费 不满意 给个说法 不收拾 不负责 差劲 太慢 效率太低 才到 "
    "分钟才 小时才 半天才"
)
_SUGGESTION_CUES = _words("建议 提议 提个意见 提点意见 希望 增设 加装 多装")
_INQUIRY_CUES = _words(
    "咨询 请问 想问 问一下 问下 想了解 打听 什么时候 几点 多少钱 是多少 怎么办理 "
    "如何办理 需要什么 要带什么 需要带 怎么弄 怎么开 怎么交 怎么办 是否 需不需要 "
    "可以吗"
)

_DEFAULT_PRIORITY: dict[Kind, Priority] = {
    Kind.COMPLAINT: Priority.HIGH,
    Kind.INQUIRY: Priority.LOW,
    Kind.SUGGESTION: Priority.LOW,
}


def route(
    draft: Draft,
    rules: Sequence[Rule] = DEFAULT_RULES,
    classifier: Any = None,
    *,
    threshold: float = 0.7,
) -> Decision:
    """Place a draft: the first rule that holds decides, else the model, else customer service."""
    text = _text_of(draft)
    stated = draft.kind or _cue_kind(text)
    sign = _urgent_sign(text)
    category = draft.category if draft.category in CATEGORIES else None

    for rule in rules:
        reason = _explain_match(rule.when, draft, text, stated)
        if reason is None:
            continue
        then = rule.then
        kind = then.kind or stated or _kind_of_queue(then.queue)
        priority = then.priority or _DEFAULT_PRIORITY.get(kind, Priority.NORMAL)
        priority, reason = _escalate(priority, reason, sign)
        return Decision(
            queue=then.queue,
            triage=False,
            priority=priority,
            category=then.category or category,
            kind=kind,
            rule_id=rule.id,
            rule_name=rule.name,
            reason=reason,
            dispatch=then.dispatch,
            skills=then.skills,
        )

    kind = stated or Kind.REPAIR
    priority, reason = _escalate(
        _DEFAULT_PRIORITY.get(kind, Priority.NORMAL), "no rule matched", sign
    )
    if classifier is not None:
        judgement = classifier.judge(((draft.title or "") + " " + draft.description).strip())
        queue, confidence = judgement.ranked[0]
        if confidence >= threshold:
            return Decision(
                queue=queue,
                triage=False,
                priority=priority,
                category=category,
                kind=stated or _kind_of_queue(queue),
                rule_id=None,
                rule_name=None,
                reason=f"model {classifier.version}: {queue} {confidence:.2f}",
                source="model",
                model_version=classifier.version,
                confidence=confidence,
                evidence=judgement.evidence,
            )
        return Decision(
            queue=Queue.CUSTOMER_SERVICE,
            triage=True,
            priority=priority,
            category=category,
            kind=kind,
            rule_id=None,
            rule_name=None,
            reason=reason,
            source="triage",
            model_version=classifier.version,
            confidence=confidence,
            suggestions=tuple(Suggestion(q, c) for q, c in judgement.ranked[:2]),
        )
    return Decision(
        queue=Queue.CUSTOMER_SERVICE,
        triage=True,
        priority=priority,
        category=category,
        kind=kind,
        rule_id=None,
        rule_name=None,
        reason=reason,
        source="triage",
    )


def _explain_match(when: When, draft: Draft, text: str, stated: Kind | None) -> str | None:
    """The reason text when every given condition holds, None as soon as one does not."""
    parts: list[str] = []
    if when.categories:
        if draft.category not in when.categories:
            return None
        parts.append(f"category {draft.category}")
    if when.kinds:
        if stated not in when.kinds:
            return None
        parts.append(f"kind {stated}")
    if when.channels:
        if draft.channel not in when.channels:
            return None
        parts.append(f"channel {draft.channel}")
    if when.buildings:
        building = _norm(draft.building or "")
        if not building or building not in {_norm(b) for b in when.buildings}:
            return None
        parts.append(f"building {draft.building}")
    if when.areas:
        area = _norm(draft.area or "")
        hit = next((a for a in when.areas if area and _norm(a) in area), None)
        if hit is None:
            return None
        parts.append(f"area {hit}")
    if any(_norm(word) in text for word in when.exclude_keywords):
        return None
    if when.keywords or when.pairs:
        found = _text_hit(when, text)
        if found is None:
            return None
        parts.append(found)
    reason = ", ".join(parts) or "rule applies to every request"
    if when.hours is not None:
        if draft.local_hour is None or not _in_window(draft.local_hour, when.hours):
            return None
        start, end = when.hours
        window = f"({start:02d}:00-{end:02d}:00)"
        reason += f" at night {window}" if start > end else f" within {window}"
    return reason


def _text_hit(when: When, text: str) -> str | None:
    """How the text condition holds: a keyword, else a pair of words anywhere in the text."""
    hit = _first_in(when.keywords, text)
    if hit is not None:
        return f"keyword {hit} matched"
    for pair in when.pairs:
        subject = _first_in(pair.subjects, text)
        action = _first_in(pair.actions, text) if subject is not None else None
        if action is not None:
            return f"keywords {subject}+{action} matched"
    return None


def _first_in(words: Sequence[str], text: str) -> str | None:
    return next((word for word in words if _norm(word) in text), None)


def _in_window(hour: int, hours: tuple[int, int]) -> bool:
    start, end = hours
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end  # the window wraps midnight, e.g. (22, 6)


def _escalate(priority: Priority, reason: str, sign: str | None) -> tuple[Priority, str]:
    if sign is None or priority is Priority.URGENT:
        return priority, reason
    return Priority.URGENT, f"{reason}; urgent sign {sign}"


def _urgent_sign(text: str) -> str | None:
    """The words that make this request an emergency, or None."""
    if any(_norm(word) in text for word in NOT_NOW):
        return None
    for sign in URGENT_SIGNS:
        hit = _sign_hit(sign, text)
        if hit is not None:
            return hit
    return None


def _sign_hit(sign: UrgentSign, text: str) -> str | None:
    if any(_norm(word) in text for word in sign.unless):
        return None
    word = next((w for w in sign.words if _norm(w) in text), None)
    if word is not None:
        return word
    subject = next((w for w in sign.subjects if _norm(w) in text), None)
    hazard = next((w for w in sign.hazards if _norm(w) in text), None)
    if subject is not None and hazard is not None:
        return f"{subject}+{hazard}"
    return None


def _cue_kind(text: str) -> Kind | None:
    """The kind the owner's wording implies, if any.

    A question or wish that names a fault ("请问暖气为什么不热") is still a repair request, so
    inquiry and suggestion cues only count when no fault word is present.
    """
    if _has_any(text, _COMPLAINT_CUES):
        return Kind.COMPLAINT
    if _has_any(text, FAULT):
        return None
    if _has_any(text, _SUGGESTION_CUES):
        return Kind.SUGGESTION
    if _has_any(text, _INQUIRY_CUES):
        return Kind.INQUIRY
    return None


def _kind_of_queue(queue: Queue) -> Kind:
    # Security's work is keeping order, not fixing things: its orders are incidents.
    return Kind.INCIDENT if queue is Queue.SECURITY else Kind.REPAIR


def _has_any(text: str, words: Sequence[str]) -> bool:
    return any(_norm(word) in text for word in words)


def _text_of(draft: Draft) -> str:
    # The separator keeps a keyword from matching across the end of the title and the description.
    return _norm(draft.title or "") + "|" + _norm(draft.description)


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    """Full-width to half-width, lower case, no spaces, so "ＡＰＰ 打 不 开" reads as "app打不开"."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())
