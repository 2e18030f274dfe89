"""How long the router takes to place one request: `domain.routing.route` with the default model.

    .venv/bin/python bench/routing.py [FILE.jsonl ...] [--cold] [--repeat 3]

Each request of the files (default: the evaluation sets in `tests/routing_sets/`) is routed once
per round, as a new request would be: the caches keyed by a request's whole text are emptied
before each. The cache of words the character n-grams keep holds the corpus's words, as the
service's does from its start (`routing_model.warm_default`), and then the words of the requests
routed before; `--cold` empties it before each request, the worst case. The garbage collector's long-lived objects are frozen, as `workorders serve` freezes
them. Prints p50, p90, p99 and the maximum per language and over all, in microseconds, and the
load average, which these figures move with: compare runs taken in the same minutes.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path

import numpy as np

from workorders import routing_model
from workorders.domain import routing, urgency
from workorders.domain.routing import Draft
from workorders.routing_model.corpus import language_of

SETS = Path(__file__).resolve().parent.parent / "tests" / "routing_sets"


def texts_of(files: list[Path]) -> list[str]:
    texts = []
    for file in files:
        for line in file.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row.get("text") or row["description"])
    return texts


def forget(model: routing_model.TextClassifier, *, words: bool) -> None:
    """Empty the caches a new request's text would miss."""
    urgency.assess.cache_clear()
    urgency.normalize.cache_clear()
    routing._norm.cache_clear()
    if words:
        model.forget_words()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--cold", action="store_true", help="no word cache either")
    parser.add_argument("--repeat", type=int, default=3, help="rounds over the files")
    args = parser.parse_args()
    texts = texts_of(args.files or sorted(SETS.glob("*.jsonl")))
    routing_model.warm_default()
    model = routing_model.default_classifier()
    gc.collect()
    gc.freeze()
    timings: dict[str, list[float]] = {"zh": [], "en": []}
    for _ in range(args.repeat):
        for text in texts:
            forget(model, words=args.cold)
            started = time.perf_counter()
            routing.route(Draft(description=text), classifier=model)
            timings[language_of(text)].append(time.perf_counter() - started)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{len(texts)} requests x {args.repeat}, {'cold' if args.cold else 'warm'} word cache, load average {load}"
    )
    timings["all"] = timings["zh"] + timings["en"]
    for name, values in timings.items():
        p50, p90, p99 = np.percentile(values, [50, 90, 99]) * 1e6
        print(
            f"{name:>3}: p50 {p50:5.0f}  p90 {p90:5.0f}  p99 {p99:5.0f}  max {max(values) * 1e6:6.0f} µs"
        )


if __name__ == "__main__":
    main()
