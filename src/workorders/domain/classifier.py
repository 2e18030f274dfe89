"""What the router asks of a learned model, so that the domain can use one without knowing it.

The domain takes any object with this shape as a parameter; the scikit-learn model lives in
`workorders.routing_model` and the domain imports nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from workorders.domain.taxonomy import Priority, Queue


@dataclass(frozen=True)
class Judgement:
    """A model's reading of one request."""

    ranked: tuple[tuple[Queue, float], ...]  # every queue with its probability, best first
    evidence: tuple[str, ...]  # the n-grams that pushed the best queue most
    urgent: bool  # the whole decision: the danger concepts as the model weighed them, and its own
    urgency_evidence: tuple[str, ...]  # the danger concepts or the model's urgent probability
    priority: Priority  # the model's guess among high, normal and low (urgency is `urgent`)

    @property
    def best(self) -> tuple[Queue, float]:
        return self.ranked[0]


class Classifier(Protocol):
    version: str

    def judge(self, text: str) -> Judgement: ...
