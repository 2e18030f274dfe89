"""The learned router: a text classifier trained on the labelled corpus shipped in this package.

The domain's router takes it as a `Classifier`; nothing here is needed for the service to route
(rules and triage still work without a model).
"""

from __future__ import annotations

from functools import lru_cache

from workorders.routing_model import evaluation
from workorders.routing_model.classifier import TextClassifier, loads, train
from workorders.routing_model.corpus import (
    LabelledExample,
    fingerprint,
    load_corpus,
    read_examples,
)
from workorders.routing_model.evaluation import Evaluation, evaluate

__all__ = [
    "Evaluation",
    "LabelledExample",
    "TextClassifier",
    "default_classifier",
    "evaluate",
    "evaluation",
    "load_corpus",
    "loads",
    "read_examples",
    "train",
]

DEFAULT_SEED = 0


@lru_cache(maxsize=1)
def default_classifier() -> TextClassifier:
    """The shipped default, trained from the packaged corpus once per process (a few seconds).

    Built rather than unpickled from the wheel: a pickled scikit-learn model is tied to the library
    version that wrote it, and the corpus is the asset that is reviewed and versioned.
    """
    corpus = load_corpus()
    return train(corpus, seed=DEFAULT_SEED, name=f"default-{fingerprint(corpus)[:8]}")
