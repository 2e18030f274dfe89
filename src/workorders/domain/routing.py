"""Routing: which department queue a new request goes to, how pressing it is, and why.

Pure: no I/O, no clock (the caller passes the local hour), and the learned model comes in as a
parameter (`Classifier`), so the same draft and model always get the same decision and every
decision can be explained by its reason.

The order of judgement:

1. A property's rules (data, ordered, first match wins) are explicit decisions and win when they
   match: source "rule", confidence 1.0.
2. Else the model, when its best queue's probability reaches the threshold: source "model".
3. Else triage: customer service places it by hand, shown the model's best two guesses.

Urgency runs on every request whatever decided the queue, because the rule set is editable per
property and a danger to people must never depend on someone having kept a rule in the right
place. It only ever raises a priority to urgent, never lowers one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from workorders.domain import urgency
from workorders.domain.classifier import Classifier, Judgement
from workorders.domain.default_rules import (
    DEFAULT_RULES,
    DEFAULT_RULES_VERSION,
    Pair,
    Rule,
    Then,
    When,
)
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from workorders.domain.dispatch import Strategy

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_RULES_VERSION",
    "ROUTE_THRESHOLD",
    "Classifier",
    "Decision",
    "Draft",
    "Judgement",
    "Pair",
    "Rule",
    "Suggestion",
    "Then",
    "When",
    "route",
]

# The model's best-queue probability under which a person decides instead. Chosen on held-out
# folds of the corpus (grouped by source, `workorders routing train` prints the table): triage
# only where the model is genuinely unsure. The queue probabilities are calibrated (a temperature
# fitted on grouped folds), so 0.5 means a coin flip between two queues: on the 4,414-line corpus it
# sends 1.5% to triage with 92.9% right among routed orders; 0.6 would send 4.4% (94.3% right), 0.7
# 8.1% (95.7%). Counted as placed (triage = customer service), held-out accuracy is 92.0% at 0.5:
# under it the model's best guess is still right more often than customer service would be.
ROUTE_THRESHOLD = 0.5


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
class Suggestion:
    queue: Queue
    confidence: float


@dataclass(frozen=True)
class Decision:
    queue: Queue  # Queue.CUSTOMER_SERVICE when triaged
    triage: bool  # True when neither a rule nor a confident model placed it
    priority: Priority
    category: str | None
    kind: Kind
    rule_id: str | None
    rule_name: str | None
    reason: str  # human-readable, e.g. "model: engineering 0.93 (漏水, 水管)"
    dispatch: Strategy | None = None  # the rule's dispatch strategy; None: the queue's
    skills: tuple[str, ...] = ()
    source: Literal["rule", "model", "triage"] = "triage"
    model_version: str | None = None
    confidence: float | None = None  # 0-1: 1.0 for a rule, the model's probability otherwise
    evidence: tuple[str, ...] = ()  # the words of the request that pushed the decision most
    suggestions: tuple[Suggestion, ...] = ()  # best first, for whoever triages it

    def routing_data(self) -> dict[str, Any]:
        """The JSON stored on the order's `routing` and served by the API."""
        return {
            "source": self.source,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "model_version": self.model_version,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "evidence": list(self.evidence),
            "reason": self.reason,
            "suggestions": [
                {"queue": str(s.queue), "confidence": round(s.confidence, 4)}
                for s in self.suggestions
            ],
        }


_DEFAULT_PRIORITY: dict[Kind, Priority] = {
    Kind.COMPLAINT: Priority.HIGH,
    Kind.INQUIRY: Priority.LOW,
    Kind.SUGGESTION: Priority.LOW,
}

# Categories that say what kind of request it is, not only whose it is.
_CATEGORY_KIND: dict[str, Kind] = {
    "inquiry": Kind.INQUIRY,
    "fees": Kind.INQUIRY,
    "invoice": Kind.INQUIRY,
    "suggestion": Kind.SUGGESTION,
    "service_complaint": Kind.COMPLAINT,
}


def route(
    draft: Draft,
    rules: Sequence[Rule] = DEFAULT_RULES,
    classifier: Classifier | None = None,
    *,
    threshold: float = ROUTE_THRESHOLD,
) -> Decision:
    """Place a draft: a matching rule, else a confident model, else customer service's triage."""
    text = _text_of(draft)
    plain = " ".join(part for part in (draft.title, draft.description) if part)
    category = draft.category if draft.category in CATEGORIES else None
    stated = draft.kind or _CATEGORY_KIND.get(category or "") or _cue_kind(plain)
    judgement = classifier.judge(plain) if classifier is not None else None
    danger = _danger(plain, judgement)
    version = classifier.version if classifier is not None else None

    for rule in rules:
        reason = _explain_match(rule.when, draft, text, stated)
        if reason is None:
            continue
        then = rule.then
        kind = then.kind or stated or _kind_of_queue(then.queue)
        priority = then.priority or _guess_priority(kind, judgement)
        return Decision(
            queue=then.queue,
            triage=False,
            priority=_raise(priority, danger),
            category=then.category or category,
            kind=kind,
            rule_id=rule.id,
            rule_name=rule.name,
            reason=_with_danger(reason, danger),
            dispatch=then.dispatch,
            skills=then.skills,
            source="rule",
            confidence=1.0,
        )

    if judgement is not None and judgement.best[1] >= threshold:
        queue, confidence = judgement.best
        kind = stated or _kind_of_queue(queue)
        return Decision(
            queue=queue,
            triage=False,
            priority=_raise(judgement.priority, danger),
            category=category,
            kind=kind,
            rule_id=None,
            rule_name=None,
            reason=_with_danger(_model_reason(queue, confidence, judgement.evidence), danger),
            source="model",
            model_version=version,
            confidence=confidence,
            evidence=judgement.evidence,
        )

    kind = stated or Kind.REPAIR
    if judgement is None:
        reason = "no rule matched"
    else:
        guesses = ", ".join(f"{q} {p:.2f}" for q, p in judgement.ranked[:2])
        reason = f"triage: model unsure ({guesses})"
    return Decision(
        queue=Queue.CUSTOMER_SERVICE,
        triage=True,
        priority=_raise(_guess_priority(kind, judgement), danger),
        category=category,
        kind=kind,
        rule_id=None,
        rule_name=None,
        reason=_with_danger(reason, danger),
        source="triage",
        model_version=version,
        confidence=judgement.best[1] if judgement is not None else None,
        evidence=judgement.evidence if judgement is not None else (),
        suggestions=tuple(Suggestion(q, p) for q, p in judgement.ranked[:2])
        if judgement is not None
        else (),
    )


def _model_reason(queue: Queue, confidence: float, evidence: tuple[str, ...]) -> str:
    words = f" ({', '.join(evidence)})" if evidence else ""
    return f"model: {queue} {confidence:.2f}{words}"


def _danger(text: str, judgement: Judgement | None) -> tuple[str, ...]:
    """Why this request is an emergency now; empty when it is not.

    A model's judgement has weighed the danger concepts already, and overrules one only where it
    is sure the words were misread ("fire lane"): the service must decide as the model was
    evaluated. Without a model the concepts are read here, so that emergencies are still raised.
    """
    if judgement is None:
        return urgency.assess(text).found
    if judgement.urgent:
        return judgement.urgency_evidence or ("model",)
    return ()


def _raise(priority: Priority, danger: tuple[str, ...]) -> Priority:
    return Priority.URGENT if danger else priority


def _with_danger(reason: str, danger: tuple[str, ...]) -> str:
    return f"{reason}; urgent: {', '.join(danger)}" if danger else reason


def _guess_priority(kind: Kind, judgement: Judgement | None) -> Priority:
    if judgement is not None:
        return judgement.priority
    return _DEFAULT_PRIORITY.get(kind, Priority.NORMAL)


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


# Cue words for the kind of request when the owner did not say. Complaint cues win over the others:
# "请问你们怎么还不来修，我要投诉" is a complaint phrased as a question. They name the speech act
# (complaining, asking, suggesting), never a department's subject: the queue is the model's job.
_COMPLAINT = urgency.word_initial_first(
    r"投诉|态度(?:差|很差|太差|不好|恶劣)|爱理不理|不作为|推诿|踢皮球|乱收费|不满意|给个说法|太慢|"
    r"\bcomplain|\bcomplaint|\brude\b|unacceptable|nobody (?:came|has come)|no one (?:came|has come)"
)
_SUGGESTION = urgency.word_initial_first(
    r"建议|提议|提个意见|希望(?:能|可以)?(?:增|加|多|安装)|增设|加装|"
    r"\bsuggest|it would be (?:nice|great|good)|could (?:we|you) (?:add|have|install|put)|please consider"
)
_INQUIRY = urgency.word_initial_first(
    r"咨询|请问|想问|问一下|问下|想了解|打听|什么时候|几点|多少钱|怎么办理|如何办理|需要什么|要带什么|"
    r"怎么交|是否|需不需要|可以吗|"
    r"\bhow (?:do|can|much|long)\b|\bwhen (?:is|are|does|do|will)\b|\bwhat (?:are|is|time)\b|"
    r"\bcan i\b|\bdo i need\b|\bis it possible\b|\bi'd like to know\b"
)
# A question or wish that names a fault ("请问暖气为什么不热") is still a repair request.
_FAULT = urgency.word_initial_first(
    r"坏|维修|修理|来修|修一下|报修|漏|堵|不亮|不热|不制冷|失灵|故障|打不开|关不上|不能用|没反应|停水|停电|没水|没电|"
    r"\bbroken\b|\bleak|not working|doesn't work|won't (?:open|close|work|start|flush)|\bblocked\b|"
    r"\bno (?:water|power|heating)\b|\brepair|\bfix\b"
)


def _cue_kind(text: str) -> Kind | None:
    """The kind the owner's wording implies, if any."""
    norm = urgency.normalize(text)
    if _COMPLAINT.search(norm):
        return Kind.COMPLAINT
    if _FAULT.search(norm):
        return None
    if _SUGGESTION.search(norm):
        return Kind.SUGGESTION
    if _INQUIRY.search(norm):
        return Kind.INQUIRY
    return None


def _kind_of_queue(queue: Queue) -> Kind:
    # Security's work is keeping order, not fixing things: its orders are incidents; customer
    # service's are questions unless the wording said otherwise.
    if queue is Queue.SECURITY:
        return Kind.INCIDENT
    if queue is Queue.CUSTOMER_SERVICE:
        return Kind.INQUIRY
    return Kind.REPAIR


def _text_of(draft: Draft) -> str:
    # The separator keeps a keyword from matching across the end of the title and the description.
    return _norm(draft.title or "") + "|" + _norm(draft.description)


@lru_cache(maxsize=4096)
def _norm(text: str) -> str:
    """As `urgency.normalize`, without spaces, so "ＡＰＰ 打 不 開" reads as "app打不开"."""
    return "".join(urgency.normalize(text).split())
