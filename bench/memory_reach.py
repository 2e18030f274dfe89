"""How far a remembered correction reaches, per language: where the memory's thresholds come from.

    .venv/bin/python bench/memory_reach.py [--corrections 1] [--seed 0]

The memory (`routing_model.classifier.Memory`) sends a request to the queue customer service chose
for earlier requests when the request's features are near enough the centroid of those corrections.
Measured on the corpus's situations (its `source` groups: paraphrases of one situation, written by
different writers, often in both languages):

- reach: per situation with more than `--corrections` lines in one language, that many of its lines
  are the corrections and one more (drawn with the seed) is the new request; the share of such
  requests whose similarity reaches the threshold.
- false reach: the same corrections against every corpus line of that language labelled with another
  queue; the share of (line, corrections) pairs that reach it. A property's memory holds one group
  of corrections per queue and language, so a request meets at most three groups of other queues.

Chinese similarities run lower than English ones (a request is one long string of character
n-grams, where English words add word n-grams), so one threshold for both is far bolder in one
language than in the other. Prints, per language, reach and false reach at a row of thresholds, and
the threshold at which the false reach is `--false-reach` (default 1 in 10,000 pairs).
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from workorders import routing_model
from workorders.routing_model.classifier import LANGUAGES
from workorders.routing_model.corpus import load_corpus

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corrections", type=int, default=1, help="corrections per situation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--false-reach", type=float, default=1e-4)
    args = parser.parse_args()
    model = routing_model.default_classifier()
    corpus = load_corpus()
    indices: list[int] = []
    data: list[float] = []
    starts = [0]
    for example in corpus:
        columns, values = model.memory_vector(example.text)
        indices += columns.tolist()
        data += values.tolist()
        starts.append(len(indices))
    features = sp.csr_matrix((data, indices, starts), shape=(len(corpus), model.width))
    language = np.array([e.language for e in corpus])
    queue = np.array([str(e.queue) for e in corpus])
    situations: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, example in enumerate(corpus):
        situations[(example.source, example.language)].append(i)
    rng = np.random.default_rng(args.seed)
    k = args.corrections
    print(f"{len(corpus)} corpus lines, {k} correction(s) per situation, seed {args.seed}")
    for lang in LANGUAGES:
        reach: list[float] = []
        centroids: list[np.ndarray] = []
        taught: list[str] = []
        for (_, of), lines in sorted(situations.items()):
            if of != lang or len(lines) <= k:
                continue
            drawn = rng.permutation(lines)
            request, corrections = int(drawn[0]), drawn[1 : k + 1]
            centroid = np.asarray(features[corrections].sum(axis=0)).ravel()
            centroid /= np.linalg.norm(centroid)
            reach.append(float((features[request] @ centroid)[0]))
            centroids.append(centroid)
            taught.append(queue[corrections[0]])
        if not taught:
            print(f"[{lang}] no situation has {k + 1} lines")
            continue
        mine = np.flatnonzero(language == lang)
        similarity = np.asarray(features[mine] @ np.array(centroids).T)
        other = queue[mine][:, None] != np.array(taught)[None, :]
        false = similarity[other]
        reached = np.array(reach)
        print(f"[{lang}] {len(taught)} situations, {false.size:,} pairs of another queue")
        for threshold in THRESHOLDS:
            print(
                f"  {threshold:.2f}: reach {np.mean(reached >= threshold):6.1%}"
                f"  false reach {np.mean(false >= threshold) * 1e4:5.2f} in 10,000"
            )
        at = float(np.quantile(false, 1.0 - args.false_reach))
        print(
            f"  false reach {args.false_reach * 1e4:g} in 10,000 at {at:.3f}:"
            f" reach {np.mean(reached >= at):.1%}"
        )


if __name__ == "__main__":
    main()
