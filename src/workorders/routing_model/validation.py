"""Cross-validation that says something (folds grouped by source), and the checks a corpus file
passes before it joins the corpus.

Paraphrases of one situation share most of their words; when they fall on both sides of a split the
model is tested on sentences it has nearly seen, and random cross-validation reports a figure no
new request will reach. Grouping keeps every paraphrase of a situation in one fold. The random
figure is still printed, for contrast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.model_selection import GroupKFold, KFold

from workorders.domain.taxonomy import Priority, Queue
from workorders.routing_model.classifier import train
from workorders.routing_model.corpus import language_of
from workorders.routing_model.evaluation import judged, summarize

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from workorders.routing_model.corpus import LabelledExample
    from workorders.routing_model.evaluation import Evaluation


def cross_validate(
    examples: Sequence[LabelledExample],
    *,
    seed: int = 0,
    folds: int = 5,
    grouped: bool = True,
    threshold: float | None = None,
) -> tuple[Evaluation, list[float]]:
    """Pooled held-out figures, and every held-out example's best-queue confidence paired with
    whether that queue was right (positive) or wrong (negative), to choose a routing threshold on."""
    splitter: Any = (
        GroupKFold(n_splits=folds) if grouped else KFold(folds, shuffle=True, random_state=seed)
    )
    groups = [e.source for e in examples]
    rows: list[Any] = []
    confidences: list[float] = []
    split = splitter.split(np.zeros(len(examples)), groups=groups if grouped else None)
    for fit_idx, held_idx in split:
        model = train([examples[i] for i in fit_idx], seed=seed)
        held = [examples[i] for i in held_idx]
        rows += judged(model, held, threshold)
        for e in held:
            queue, confidence = model.judge(e.text).best
            confidences.append(confidence if queue is e.queue else -confidence)
    return summarize(rows, threshold), confidences


def choose_threshold(signed: Sequence[float], target: float = 0.95) -> tuple[float, float]:
    """The lowest confidence at which the orders routed automatically are right `target` of the
    time, and the share it sends to triage. Lower thresholds misroute more; higher ones make
    customer service place by hand what the model had right."""
    values = np.abs(np.array(signed))
    right = np.array(signed) > 0
    for candidate in np.arange(0.30, 0.96, 0.01):
        routed = values >= candidate
        if routed.any() and right[routed].mean() >= target:
            return float(round(candidate, 2)), float(1 - routed.mean())
    return 0.95, float((values < 0.95).mean())


FIELDS = {"text", "queue", "priority", "language", "source", "writer"}


def corpus_problems(
    lines: Iterable[str], *, known_texts: set[str], known_sources: set[str]
) -> list[str]:
    """What keeps a writer's JSONL file out of the corpus, one problem a line (empty: it may join).

    Every field present and valid, the language one its script allows (English may name a Chinese
    place: "stuck in the lift 7栋"), no text already in the
    corpus or twice in the file, and no source shared with another file (a source is one writer's
    situation: shared, it would put paraphrases on both sides of a fold).
    """
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not JSON ({error.msg})")
            continue
        if not isinstance(row, dict) or set(row) != FIELDS:
            problems.append(f"line {number}: fields must be {sorted(FIELDS)}")
            continue
        text = str(row["text"]).strip()
        if not text:
            problems.append(f"line {number}: empty text")
        if row["queue"] not in {str(q) for q in Queue}:
            problems.append(f"line {number}: unknown queue {row['queue']!r}")
        if row["priority"] not in {str(p) for p in Priority}:
            problems.append(f"line {number}: unknown priority {row['priority']!r}")
        if not _may_be(str(row["language"]), text):
            problems.append(f"line {number}: language {row['language']!r}, script says otherwise")
        if not str(row["source"]).strip() or row["source"] in known_sources:
            problems.append(f"line {number}: source {row['source']!r} empty or another file's")
        if text in known_texts or text in seen:
            problems.append(f"line {number}: duplicate text")
        seen.add(text)
    return problems


def _may_be(language: str, text: str) -> bool:
    if language == "zh":
        return language_of(text) == "zh"
    return language == "en" and any("a" <= ch <= "z" for ch in text.lower())
