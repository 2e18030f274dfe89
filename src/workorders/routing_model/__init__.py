"""The learned router: a text classifier trained on the labelled corpus shipped in this package.

The domain's router takes it as a `Classifier`; nothing here is needed for the service to route
(rules and triage still work without a model).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from pathlib import Path

import numpy
import scipy
import sklearn

from workorders.domain import urgency
from workorders.routing_model import classifier, evaluation
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
    "default_loaded",
    "evaluate",
    "evaluation",
    "load_corpus",
    "loads",
    "read_examples",
    "train",
    "warm_default",
]

DEFAULT_SEED = 0
log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_DEFAULT: TextClassifier | None = None


def default_classifier() -> TextClassifier:
    """The shipped default, built once per process from the packaged corpus.

    Built rather than shipped in the wheel: the corpus is the asset that is reviewed and
    versioned. Training takes seconds, so the result is kept in a cache folder under a key of
    everything that shapes it (corpus, training code, library versions), in the model's own
    format (numbers only, never unpickled); a stale or unreadable entry is simply rebuilt. The
    service builds it at start (`warm_default`), so no request waits for it. The lock keeps two
    threads from training it twice.
    """
    global _DEFAULT
    with _LOCK:
        if _DEFAULT is None:
            _DEFAULT = _build_default()
        return _DEFAULT


def warm_default() -> str:
    """Build or load the default model now, and look up the corpus's words, so that the first
    requests route at full speed; its version."""
    model = default_classifier()
    model.learn_words(e.text for e in load_corpus())
    return model.version


def default_loaded() -> bool:
    """Whether `default_classifier()` would answer at once (no training, no disk)."""
    return _DEFAULT is not None


def _build_default() -> TextClassifier:
    corpus = load_corpus()
    name = f"default-{fingerprint(corpus)[:8]}"
    path = _cache_path(name)
    if path is not None and path.exists():
        try:
            model = loads(path.read_bytes())
            if model.version == name:
                return model
        except Exception:
            log.warning("routing model cache %s unreadable; rebuilding", path, exc_info=True)
    model = train(corpus, seed=DEFAULT_SEED, name=name)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(model.dumps())
            partial.replace(path)  # atomic: a concurrent reader sees the old file or the new one
        except OSError:
            log.warning("routing model cache %s not writable", path, exc_info=True)
    return model


def _cache_path(name: str) -> Path | None:
    """Where the default model is cached, or None when caching is switched off (empty variable)."""
    folder = os.environ.get("WORKORDERS_MODEL_CACHE", str(Path.home() / ".cache" / "workorders"))
    if not folder:
        return None
    code = Path(classifier.__file__).read_bytes() + Path(urgency.__file__).read_bytes()
    shaped_by = [
        name,
        hashlib.sha256(code).hexdigest(),
        sklearn.__version__,
        numpy.__version__,
        scipy.__version__,
        sys.version,
    ]
    key = hashlib.sha256("\n".join(shaped_by).encode()).hexdigest()[:16]
    return Path(folder) / f"routing-{name}-{key}.npz"
