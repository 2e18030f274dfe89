"""How well a classifier routes a labelled set: the figures the issue's bars are stated in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from workorders.domain.taxonomy import Priority, Queue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from workorders.domain.classifier import Classifier
    from workorders.routing_model.corpus import LabelledExample

QUEUES = [str(q) for q in Queue]


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float  # queue accuracy; with a threshold, a triaged order counts as customer_service
    per_queue: dict[str, dict[str, float]]  # queue -> precision, recall, support
    urgent_recall: float | None  # None when the set has no urgent request
    false_alarm_share: float | None  # share of the non-urgent requests flagged urgent
    urgent_n: int
    priority_accuracy: float  # exact priority, urgency included
    triage_share: float | None  # share under the threshold; None without one
    confusion: dict[str, dict[str, int]]  # true queue -> predicted queue -> count
    per_language: dict[str, Evaluation] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "per_queue": self.per_queue,
            "urgent_n": self.urgent_n,
            "urgent_recall": self.urgent_recall,
            "false_alarm_share": self.false_alarm_share,
            "priority_accuracy": self.priority_accuracy,
            "triage_share": self.triage_share,
            "confusion": self.confusion,
            "per_language": {k: v.as_dict() for k, v in self.per_language.items()},
        }


def evaluate(
    classifier: Classifier,
    examples: Sequence[LabelledExample],
    *,
    threshold: float | None = None,
) -> Evaluation:
    """Judge every example. Without a threshold the model's best queue counts (what it knows); with
    one, requests under it go to customer service as triage would send them (what the router does)."""
    return summarize(judged(classifier, examples, threshold), threshold)


def judged(
    classifier: Classifier, examples: Sequence[LabelledExample], threshold: float | None
) -> list[Any]:
    """Each example with what the classifier made of it, to be summarised alone or pooled."""
    rows = []
    for e in examples:
        judgement = classifier.judge(e.text)
        queue, confidence = judgement.best
        triaged = threshold is not None and confidence < threshold
        priority = Priority.URGENT if judgement.urgent else judgement.priority
        rows.append(
            (e, Queue.CUSTOMER_SERVICE if triaged else queue, triaged, judgement.urgent, priority)
        )
    return rows


def summarize(rows: list[Any], threshold: float | None) -> Evaluation:
    return _figures(rows, threshold, by_language=True)


def _figures(rows: list[Any], threshold: float | None, *, by_language: bool) -> Evaluation:
    n = len(rows)
    truth = [str(r[0].queue) for r in rows]
    predicted = [str(r[1]) for r in rows]
    precision, recall, _, support = precision_recall_fscore_support(
        truth, predicted, labels=QUEUES, zero_division=0
    )
    matrix = confusion_matrix(truth, predicted, labels=QUEUES) if n else None
    urgent = [r for r in rows if r[0].priority is Priority.URGENT]
    ordinary = [r for r in rows if r[0].priority is not Priority.URGENT]
    languages = sorted({r[0].language for r in rows}) if by_language else []
    return Evaluation(
        n=n,
        accuracy=_share(t == p for t, p in zip(truth, predicted, strict=True)) or 0.0,
        per_queue={
            q: {"precision": float(p), "recall": float(r), "support": int(s)}
            for q, p, r, s in zip(QUEUES, precision, recall, support, strict=True)
        },
        urgent_recall=_share(r[3] for r in urgent),
        false_alarm_share=_share(r[3] for r in ordinary),
        urgent_n=len(urgent),
        priority_accuracy=_share(r[4] is r[0].priority for r in rows) or 0.0,
        triage_share=_share(r[2] for r in rows) if threshold is not None else None,
        confusion={
            t: {p: int(matrix[i, j]) for j, p in enumerate(QUEUES)} if matrix is not None else {}
            for i, t in enumerate(QUEUES)
        },
        per_language={
            lang: _figures([r for r in rows if r[0].language == lang], threshold, by_language=False)
            for lang in languages
        },
    )


def _share(flags: Any) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def render(evaluation: Evaluation, title: str) -> str:
    """The figures as the `workorders routing` commands print them."""
    lines = [f"{title}: n={evaluation.n}"]
    lines += _summary_lines(evaluation, "  ")
    for language, part in evaluation.per_language.items():
        lines.append(f"  [{language}] n={part.n}")
        lines += _summary_lines(part, "    ")
    lines.append("  per queue            precision  recall  support")
    for queue, figures in evaluation.per_queue.items():
        lines.append(
            f"    {queue:<18} {figures['precision']:>9.3f} {figures['recall']:>7.3f}"
            f" {int(figures['support']):>8}"
        )
    lines.append("  confusion (rows: true, columns: predicted)")
    lines.append("    " + " " * 18 + "".join(f"{q[:8]:>10}" for q in QUEUES))
    for queue, row in evaluation.confusion.items():
        lines.append(f"    {queue:<18}" + "".join(f"{row[q]:>10}" for q in QUEUES))
    return "\n".join(lines)


def _summary_lines(e: Evaluation, indent: str) -> list[str]:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    lines = [
        f"{indent}queue accuracy      {pct(e.accuracy)}",
        f"{indent}urgent recall       {pct(e.urgent_recall)} of {e.urgent_n}",
        f"{indent}false alarms        {pct(e.false_alarm_share)} of {e.n - e.urgent_n} not urgent",
        f"{indent}priority accuracy   {pct(e.priority_accuracy)}",
    ]
    if e.triage_share is not None:
        lines.append(f"{indent}triage share        {pct(e.triage_share)}")
    return lines
