"""PLACEHOLDER (replaced at merge): a small test double of the model core's interface.

The real package (another branch) trains on the shipped corpus; this one trains the same kind of
model on a few dozen lines so that the persistence and API side can be built and tested against the
agreed names. Drop this commit at merge.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from workorders.domain.taxonomy import Priority, Queue

__all__ = [
    "Evaluation",
    "Judgement",
    "LabelledExample",
    "TextClassifier",
    "default_classifier",
    "evaluate",
    "load_corpus",
    "loads",
    "train",
]


@dataclass(frozen=True)
class LabelledExample:
    text: str
    queue: Queue
    priority: Priority
    language: str
    source: str


@dataclass(frozen=True)
class Judgement:
    ranked: tuple[tuple[Queue, float], ...]
    evidence: tuple[str, ...]
    urgent: bool
    urgency_evidence: tuple[str, ...]
    priority: Priority

    @property
    def best(self) -> tuple[Queue, float]:
        return self.ranked[0]


_E, _S, _C, _CS = Queue.ENGINEERING, Queue.SECURITY, Queue.CLEANING, Queue.CUSTOMER_SERVICE
_LINES: tuple[tuple[str, Queue, Priority], ...] = (
    ("厨房水管漏水了", _E, Priority.HIGH),
    ("卫生间下水道堵了", _E, Priority.NORMAL),
    ("家里停电了，跳闸推不上去", _E, Priority.HIGH),
    ("楼道灯不亮", _E, Priority.NORMAL),
    ("电梯坏了停在三楼", _E, Priority.HIGH),
    ("the kitchen tap is leaking", _E, Priority.NORMAL),
    ("no power in my flat", _E, Priority.HIGH),
    ("the lift is broken again", _E, Priority.HIGH),
    ("the car park boom barrier does not lift", _E, Priority.NORMAL),
    ("the parking barrier arm is stuck", _E, Priority.NORMAL),
    ("heating radiator is cold", _E, Priority.NORMAL),
    ("楼上半夜很吵", _S, Priority.NORMAL),
    ("有车堵住了我的车位", _S, Priority.NORMAL),
    ("小区里有陌生人乱转", _S, Priority.NORMAL),
    ("someone parked in my space", _S, Priority.NORMAL),
    ("loud music from upstairs at night", _S, Priority.NORMAL),
    ("a stranger is following residents", _S, Priority.HIGH),
    ("fire exit blocked by bikes", _S, Priority.HIGH),
    ("楼道里垃圾没人清", _C, Priority.NORMAL),
    ("草坪需要修剪", _C, Priority.LOW),
    ("电梯里有呕吐物", _C, Priority.NORMAL),
    ("the bins are overflowing", _C, Priority.NORMAL),
    ("dog mess in the lobby", _C, Priority.NORMAL),
    ("cockroaches in the basement", _C, Priority.NORMAL),
    ("the hallway floor is dirty", _C, Priority.NORMAL),
    ("物业费怎么交", _CS, Priority.LOW),
    ("投诉客服态度差", _CS, Priority.HIGH),
    ("how do I pay the management fee", _CS, Priority.LOW),
    ("I want to complain about rude staff", _CS, Priority.HIGH),
    ("thank you to the service desk", _CS, Priority.LOW),
    ("can I get a parking permit", _CS, Priority.LOW),
)


def _language(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def load_corpus() -> list[LabelledExample]:
    return [
        LabelledExample(text, queue, priority, _language(text), f"placeholder:{n}")
        for n, (text, queue, priority) in enumerate(_LINES)
    ]


class TextClassifier:
    def __init__(self, version: str, vectorizer: Any, head: Any, priorities: dict[str, str]):
        self.version = version
        self._vectorizer = vectorizer
        self._head = head
        self._queues = [Queue(q) for q in head.classes_]

    def judge(self, text: str) -> Judgement:
        x = self._vectorizer.transform([text])
        probabilities = self._head.predict_proba(x)[0]
        ranked = tuple(
            sorted(
                ((q, float(p)) for q, p in zip(self._queues, probabilities, strict=True)),
                key=lambda qp: -qp[1],
            )
        )
        return Judgement(ranked, (), False, (), Priority.NORMAL)

    def dumps(self) -> bytes:
        return pickle.dumps(self)


def loads(blob: bytes) -> TextClassifier:
    classifier = pickle.loads(blob)
    if not isinstance(classifier, TextClassifier):
        raise ValueError("not a routing model")
    return classifier


def train(examples: Sequence[LabelledExample], *, seed: int = 0) -> TextClassifier:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.text}\t{e.queue}\t{e.priority}\n".encode())
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
    x = vectorizer.fit_transform([e.text for e in examples])
    head = LogisticRegression(C=10.0, max_iter=2000, random_state=seed)
    head.fit(x, [str(e.queue) for e in examples])
    return TextClassifier(f"model-{digest.hexdigest()[:8]}", vectorizer, head, {})


@lru_cache(maxsize=1)
def default_classifier() -> TextClassifier:
    return train(load_corpus())


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float
    urgent_recall: float | None
    false_alarm_share: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "per_queue": {},
            "urgent_recall": self.urgent_recall,
            "false_alarm_share": self.false_alarm_share,
            "per_language": {},
            "confusion": {},
        }


def evaluate(
    classifier: TextClassifier,
    examples: Sequence[LabelledExample],
    *,
    threshold: float | None = None,
) -> Evaluation:
    right = sum(classifier.judge(e.text).best[0] is e.queue for e in examples)
    return Evaluation(len(examples), right / len(examples) if examples else 0.0, None, 0.0)
