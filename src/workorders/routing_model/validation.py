"""Cross-validation that says something: folds grouped by source.

Paraphrases of one situation share most of their words; when they fall on both sides of a split the
model is tested on sentences it has nearly seen, and random cross-validation reports a figure no
new request will reach. Grouping keeps every paraphrase of a situation in one fold. The random
figure is still printed, for contrast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.model_selection import GroupKFold, KFold

from workorders.routing_model.classifier import train
from workorders.routing_model.evaluation import judged, summarize

if TYPE_CHECKING:
    from collections.abc import Sequence

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
