"""The text classifier: TF-IDF n-grams and three logistic regressions (queue, priority, urgent).

Features: character n-grams (1-4) read Chinese without a word segmenter and survive owners' typos;
English words (1-2) add what a character window cannot see across spaces; the danger concepts of
`domain.urgency` are features too, so the corpus teaches where each emergency belongs. All come
from one normalised text (NFKC, lower case), so a request mixing the two languages is read once.

Three heads share the features. The queue head ranks the four queues. The priority head guesses
among high, normal and low. The urgent head is a two-class regression of its own (urgent or not,
classes weighted to their sizes), because a yes/no question answered on its own ranks emergencies
above ordinary requests better than the urgent column of a four-way guess. Urgency is recall
first: urgent when a danger concept is present now, or when the urgent head passes a threshold of
the request's language, chosen on held-out folds of the training data (grouped by source).
The danger concepts are the list the duty map names, so they raise a request on their own, except
where the urgent head is sure they misread it: below a veto of the request's language, half the
lowest probability any held-out urgent request with a concept got ("fire lane", "nothing is
burning", "the radiator needs bleeding" are the words of a danger, not a danger). A request of
fewer than five words says too little for the head alone: only the concepts raise it.

Logistic regression, because it generalised best under group cross-validation among the linear
models tried (a calibrated linear SVM and SGD came close), its probabilities can be thresholded as
they are, and its coefficients explain a decision.

A trained model is its fitted numbers only: each vectorizer's vocabulary and idf, each head's
classes, weights and intercepts, the thresholds. It is stored as a NumPy archive read with
`allow_pickle=False` and rebuilt around the analyzers this code defines, so that loading a stored
model (a database row, a cache file) can never run code, and does not depend on the version of
scikit-learn that fitted it.

A property's model may also remember the property's own corrections (`Memory`): customer service's
lessons, which a model trained on thousands of corpus lines cannot always learn against a convention
the corpus holds firmly. See `Memory` for how a remembered correction takes the lead.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn
from joblib import Parallel, delayed
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import FeatureUnion

from workorders.domain import urgency
from workorders.domain.classifier import Judgement
from workorders.domain.taxonomy import Priority, Queue
from workorders.routing_model.corpus import fingerprint, language_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from workorders.routing_model.corpus import LabelledExample

# 2: the fitted numbers in a NumPy archive (1 was a pickle, never loaded again).
FORMAT = 2
# Chosen under group cross-validation by source (5 folds over the corpus): C=30 with balanced
# class weights 92.3%, C=10 91.4%, C=3 90.4%; calibrated linear SVM 89.1% (on an earlier corpus).
C = 30.0
URGENT_C = 30.0
EVIDENCE_SIZE = 4
# Threads fitting a training's heads side by side (joblib's count: -1, one per CPU).
FIT_THREADS = -1
LANGUAGES = ("zh", "en")
# The urgent probability above which the model alone flags a request, when held-out folds cannot
# choose one (too few urgent examples to fold).
FALLBACK_URGENT_THRESHOLD = 0.2
# Even the model does not call a request urgent below this when the request says it is solved,
# hypothetical or about a procedure; above it the model has seen such wording and still insists.
SETTLED_OVERRIDE = 0.9
# Under this many Chinese characters plus English words a request says too little for the model
# alone to call it an emergency ("help please", "能管管吗"); the concepts still can. In the
# 6,812-line corpus the shortest urgent request the concepts miss has 6, and 50 ordinary ones are
# shorter than 5. The thresholds are chosen as if every request were long enough: the floor only
# ever takes flags away, so it cannot raise the false alarms of longer ones.
MIN_WORDS_FOR_MODEL_URGENCY = 5
_ENGLISH_WORD = re.compile(r"[a-z][a-z']+")
# The veto is this share of the lowest held-out urgent probability of a request a concept raised:
# a margin, because a fold's lowest is only an estimate of the lowest a new emergency will get.
VETO_MARGIN = 0.5
# The share of a language's ordinary requests urgency may flag, chosen on held-out folds: the
# issue's bar is 10% on requests nobody tuned on, so the folds keep a margin under it. Measured by
# 5-fold cross-validation grouped by source over the 4,414-line corpus (each fold's thresholds chosen
# on its own inner folds), urgent recall / false alarms, zh and en: 0.09 99.2%/9.5%, 99.1%/8.6%;
# 0.085 99.0%/9.1%, 99.1%/8.1%; 0.08 98.7%/8.7%, 98.7%/7.9%. Outer folds flag about half a point
# more than the inner budget, so 0.09 left too little room under 10% for Chinese.
MAX_FALSE_ALARMS = 0.085
_WORDLIKE = re.compile(r"[^\W_]+(?: [^\W_]+)*")
_NOT_URGENT = (Priority.HIGH, Priority.NORMAL, Priority.LOW)
_PARTS = ("chars", "words", "dangers")
# The memory's similarity (a request's features against the centroid of the property's
# corrections to one queue in the request's language, both L2-normalised over the character and
# word n-grams) at which a correction takes the lead, per language. Chinese similarities run lower
# (a request is one string of character n-grams, where English words add word n-grams): one
# threshold of 0.45 for both let a Chinese correction reach 3.3% of new paraphrases of its
# situation and an English one 14.2%. Each is set where a correction reaches 0.4 in 10,000 corpus
# lines of another queue in its language (`bench/memory_reach.py --false-reach 4e-5`: zh 0.282 and
# 0.302, en 0.344 and 0.348 with seeds 0 and 1). A single correction then reaches about 10% of
# Chinese and 35% of English paraphrases; three Chinese corrections 30% (1.4% at 0.45). A property's
# memory holds one group per queue and language, so a request meets at most three groups of other
# queues. At the bolder 1 in 10,000 (zh 0.22, en 0.31) the eight English barrier corrections of
# the tests reached "the pedestrian gate at the north entrance is broken" (0.33), a repair.
MEMORY_THRESHOLDS = {"zh": 0.28, "en": 0.35}
# The danger concepts are left out of the memory's similarity: one shared concept ("fire") made
# requests of different queues alike (9.7% of lines reached 0.45 with them, 1.8% without).
_MEMORY_PARTS = ("chars", "words")


def _vectorizer(part: str) -> TfidfVectorizer:
    """The vectorizer of one part of the features; its analyzer is also what a stored model uses."""
    if part == "chars":
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(1, 4),
            preprocessor=urgency.normalize,
            sublinear_tf=True,
            min_df=2,
            dtype=np.float32,
        )
    if part == "words":
        return TfidfVectorizer(
            analyzer="word",
            token_pattern=r"[a-z][a-z']+",
            ngram_range=(1, 2),
            preprocessor=urgency.normalize,
            sublinear_tf=True,
            min_df=2,
            dtype=np.float32,
        )
    # The danger concepts as features of their own: the corpus teaches what each means for the
    # queue and the priority (someone trapped: a lift, engineering's; a fire now: the guards').
    # Without them "电梯里有人被困住了" went to cleaning, whose lines say "电梯里有人吐了".
    return TfidfVectorizer(analyzer=urgency.concepts, sublinear_tf=True, dtype=np.float32)


def _features() -> FeatureUnion:
    return FeatureUnion([(part, _vectorizer(part)) for part in _PARTS])


def _head(seed: int, c: float = C, *, balanced: bool = True) -> LogisticRegression:
    # saga fits this sparse problem in well under a second where lbfgs takes several; the loose
    # tolerance changes no prediction on held-out folds and keeps training the default quick.
    return LogisticRegression(
        C=c,
        class_weight="balanced" if balanced else None,
        solver="saga",
        tol=1e-3,
        max_iter=500,
        random_state=seed,
    )


@dataclass(frozen=True)
class Part:
    """One vectorizer's fitted numbers: its terms (in column order) and their idf."""

    name: str
    terms: tuple[str, ...]
    idf: np.ndarray


@dataclass(frozen=True)
class Head:
    """One logistic regression's fitted numbers."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, features), or (1, features) for two classes
    intercept: np.ndarray

    @classmethod
    def of(cls, fitted: LogisticRegression) -> Head:
        return cls(tuple(str(c) for c in fitted.classes_), fitted.coef_, fitted.intercept_)

    def scores(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        return self.coef[:, columns] @ values + self.intercept

    def proba(
        self, columns: np.ndarray, values: np.ndarray, temperature: float = 1.0
    ) -> list[float]:
        return self.proba_of(self.scores(columns, values).tolist(), temperature)

    def proba_of(self, scores: list[float], temperature: float = 1.0) -> list[float]:
        """Probabilities, in `classes` order, from this head's raw scores (what `scores` gives).

        On plain numbers: a head has two to four classes, and each NumPy call on so few costs more
        to dispatch than to compute; between two requests its code falls out of the processor's
        caches, about 10 µs a call then against 1.4 µs for a Python function (bench/RESULTS.md,
        round 12)."""
        z = [score / temperature for score in scores]
        if len(self.classes) == 2:
            positive = _expit(z[0])
            return [1.0 - positive, positive]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return [v / total for v in e]


def _expit(score: float) -> float:
    """The logistic function, as `scipy.special.expit` computes it, on one number."""
    if score >= 0:
        return 1.0 / (1.0 + math.exp(-score))
    e = math.exp(score)
    return e / (1.0 + e)


@dataclass(frozen=True)
class Memory:
    """A property's corrections as its model remembers them: each order's latest lesson, its text
    and the queue customer service chose.

    At judge time the request is compared (cosine, over the character and word n-grams) with the
    centroid of the corrections to each queue in the request's language. A single correction is
    its own centroid; several corrections of one convention share what makes it one ("barrier",
    "道闸"), and their centroid keeps that while each correction's incidental words weigh less.
    When the best similarity reaches its language's `MEMORY_THRESHOLDS`, that queue takes the
    lead (see `TextClassifier.judge`); below it the model decides alone, exactly as without a
    memory.
    """

    texts: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()

    @classmethod
    def of(cls, examples: Iterable[LabelledExample]) -> Memory:
        pairs = [(e.text, str(e.queue)) for e in examples]
        return cls(tuple(t for t, _ in pairs), tuple(q for _, q in pairs))


class _Recall:
    """The memory as numbers, built once when the model is made: per (queue, language) group the
    centroid of its corrections over the columns any correction has, a dense (columns, groups)
    matrix, and where each of the model's columns sits in it."""

    def __init__(self, model: TextClassifier, memory: Memory) -> None:
        groups: dict[tuple[str, str], list[int]] = {}
        for i, (text, queue) in enumerate(zip(memory.texts, memory.queues, strict=True)):
            groups.setdefault((queue, language_of(text)), []).append(i)
        self.groups = sorted(groups)
        self.sizes = [len(groups[g]) for g in self.groups]
        centroids: list[dict[int, float]] = []
        for group in self.groups:
            total: dict[int, float] = {}
            for i in groups[group]:
                columns, values = model.memory_vector(memory.texts[i])
                for column, value in zip(columns.tolist(), values.tolist(), strict=True):
                    total[column] = total.get(column, 0.0) + value
            centroids.append(total)
        used = sorted({column for c in centroids for column in c})
        self.slot = np.full(model.width, -1, dtype=np.int64)
        self.slot[used] = np.arange(len(used))
        self.matrix = np.zeros((len(used), len(self.groups)))
        for g, centroid in enumerate(centroids):
            for column, value in centroid.items():
                self.matrix[self.slot[column], g] = value
            norm = np.linalg.norm(self.matrix[:, g])
            if norm:
                self.matrix[:, g] /= norm

    def nearest(self, columns: np.ndarray, values: np.ndarray) -> tuple[int, float, np.ndarray]:
        """The most similar group, its cosine similarity, and per column of the request its share of
        that similarity (zero where the group has none)."""
        slots = self.slot[columns]
        hit = slots >= 0
        if not hit.any():
            return 0, 0.0, np.zeros(len(columns))
        similarity = values[hit] @ self.matrix[slots[hit]]
        best = int(np.argmax(similarity))
        shares = np.zeros(len(columns))
        shares[hit] = values[hit] * self.matrix[slots[hit], best]
        return best, float(similarity[best]), shares


class TextClassifier:
    """A trained router model; implements the domain's `Classifier` protocol."""

    def __init__(
        self,
        version: str,
        parts: Sequence[Part],
        heads: dict[str, Head],
        *,
        urgent_thresholds: dict[str, float],
        queue_temperature: float,
        facts: dict[str, Any],
        concept_vetoes: dict[str, float] | None = None,
        memory: Memory | None = None,
    ) -> None:
        self.version = version
        self.urgent_thresholds = urgent_thresholds
        # Models stored before vetoes existed have none: their concepts always raise.
        self.concept_vetoes = concept_vetoes or {}
        self.queue_temperature = queue_temperature
        self.facts = facts  # training figures: corpus hash, sizes, seed, library versions
        self.parts = tuple(parts)
        self.heads = heads
        self._queues = [Queue(q) for q in heads["queue"].classes]
        self._priorities = [Priority(p) for p in heads["priority"].classes]
        self._urgent_column = heads["urgent"].classes.index("1")
        # Analyzers come from this code, never from the stored model; the vocabulary is rebuilt,
        # each part's terms numbered after the parts before it: the columns of the whole union.
        self._columns: list[Callable[[str], list[int]]] = []
        self._names: list[tuple[str, str]] = []
        starts: list[int] = []
        offset = 0
        for part in self.parts:
            vocabulary = {term: offset + i for i, term in enumerate(part.terms)}
            self._columns.append(_columns_of(part.name, vocabulary))
            self._names += [(part.name, term) for term in part.terms]
            starts.append(offset)
            offset += len(part.terms)
        self._idf = np.concatenate([part.idf for part in self.parts])
        self._part_starts = np.array(starts, dtype=np.int64)
        # The three heads' weights in one matrix: one gather of the request's columns, one product.
        self._rows: dict[str, slice] = {}
        start = 0
        for name, head in heads.items():
            self._rows[name] = slice(start, start + len(head.coef))
            start += len(head.coef)
        self._coef = np.vstack([head.coef for head in heads.values()])
        self._intercept = np.concatenate([head.intercept for head in heads.values()])
        # Which n-grams may be shown as evidence, worked out once (`_readable`).
        self._shown = np.array([_readable(part, name.strip()) for part, name in self._names])
        coef = heads["queue"].coef
        # Per queue, how much each n-gram favours it over the mean of the others: the evidence.
        self._margins = np.stack(
            [coef[i] - np.delete(coef, i, axis=0).mean(axis=0) for i in range(len(coef))]
        )
        self.width = offset
        # The columns the memory compares (its parts), as a mask over all columns.
        self._memory_columns = np.zeros(offset, dtype=bool)
        start = 0
        for part in self.parts:
            if part.name in _MEMORY_PARTS:
                self._memory_columns[start : start + len(part.terms)] = True
            start += len(part.terms)
        self.memory = memory or Memory()
        self._recall = _Recall(self, self.memory) if self.memory.texts else None

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The request's TF-IDF features as (column indices, values), as the fitted union gives them.

        Applied by hand rather than through scikit-learn, whose input checks cost several
        milliseconds for one request (a test holds the two equal).
        """
        hits: list[int] = []
        for columns_of in self._columns:
            hits += columns_of(text)
        if not hits:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        # One count over every part (each part's columns are a range of their own), then each
        # part's weights normalised apart, as each vectorizer of the union normalises its own.
        columns, tf = np.unique(np.array(hits, dtype=np.int64), return_counts=True)
        weight = (1.0 + np.log(tf)) * self._idf[columns]  # sublinear tf, as the vectorizers are set
        part = np.searchsorted(self._part_starts, columns, side="right") - 1
        norms = np.sqrt(np.bincount(part, weights=weight * weight, minlength=len(self.parts)))
        return columns, weight / norms[part]

    def memory_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The request's features the memory compares, L2-normalised as one vector."""
        return self._memory_part(*self.vector(text))

    def _memory_part(
        self, columns: np.ndarray, values: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        keep = self._memory_columns[columns]
        columns, values = columns[keep], values[keep]
        norm = np.linalg.norm(values)
        return columns, values / norm if norm else values

    def judge(self, text: str) -> Judgement:
        columns, values = self.vector(text)
        judgement = self._judge(text, columns, values)
        if self._recall is None:
            return judgement
        return self._remembered(judgement, *self._memory_part(columns, values))

    def _remembered(
        self, judgement: Judgement, columns: np.ndarray, values: np.ndarray
    ) -> Judgement:
        """The judgement with a remembered correction in the lead, when one is near enough.

        Its queue comes first with a confidence that grows with the similarity: 0.5 (a coin flip,
        the router's threshold to route at all) at the language's threshold, 1.0 for a request
        that is all the corrections' words; never lower than the model's own probability for that
        queue.
        The model's other queues follow in its order, their probabilities scaled to share the rest.
        Urgency and priority stay the model's: a correction only moves the queue.
        """
        assert self._recall is not None
        group, similarity, shares = self._recall.nearest(columns, values)
        queue_name, language = self._recall.groups[group]
        threshold = MEMORY_THRESHOLDS[language]
        if similarity < threshold:
            return judgement
        queue = Queue(queue_name)
        model = dict(judgement.ranked)
        lead = 0.5 + 0.5 * (similarity - threshold) / (1.0 - threshold)
        confidence = min(1.0, max(lead, model[queue]))
        rest = 1.0 - model[queue]
        scale = (1.0 - confidence) / rest if rest > 0 else 0.0
        others = tuple((q, p * scale) for q, p in judgement.ranked if q is not queue)
        ranked = ((queue, confidence), *others)
        size = self._recall.sizes[group]
        said = f"customer service's correction{'s' if size > 1 else ''}: {size} like it"
        words = self._chosen(columns, shares, EVIDENCE_SIZE - 1)
        return Judgement(
            ranked=ranked,
            evidence=(said, *words),
            urgent=judgement.urgent,
            urgency_evidence=judgement.urgency_evidence,
            priority=judgement.priority,
        )

    def _judge(self, text: str, columns: np.ndarray, values: np.ndarray) -> Judgement:
        """The model's own judgement of a request of these features, without its memory.

        One product gives the three heads' scores; what follows is a dozen numbers whatever the
        request's length, worked in plain Python (`Head.proba_of`). The request's columns, a few
        dozen to several hundred, stay with NumPy, where their count is not a Python loop."""
        scores = (self._coef[:, columns] @ values + self._intercept).tolist()
        heads, rows = self.heads, self._rows
        queue_p = heads["queue"].proba_of(scores[rows["queue"]], self.queue_temperature)
        priority_p = heads["priority"].proba_of(scores[rows["priority"]])
        p_urgent = heads["urgent"].proba_of(scores[rows["urgent"]])[self._urgent_column]
        order = sorted(range(len(queue_p)), key=lambda i: -queue_p[i])  # stable, as argsort was
        ranked = tuple((self._queues[i], queue_p[i]) for i in order)
        by_priority = dict(zip(self._priorities, priority_p, strict=True))
        urgent, why = self._urgency(text, p_urgent)
        guess = max(_NOT_URGENT, key=lambda p: by_priority.get(p, 0.0))
        return Judgement(
            ranked=ranked,
            evidence=self._evidence(columns, values, order[0]),
            urgent=urgent,
            urgency_evidence=why,
            priority=guess,
        )

    def learn_words(self, texts: Iterable[str]) -> None:
        """Look up the character n-grams of these texts' words now, ahead of the requests that will
        use them (about 0.3 s for the corpus's words)."""
        chars = self._char_columns()
        for text in texts:
            for columns_of in chars:
                columns_of.learn(text)

    def forget_words(self) -> None:
        """Empty the cache of words' character n-grams (for measuring a cold start)."""
        for columns_of in self._char_columns():
            columns_of.forget()

    def _char_columns(self) -> list[_CharColumns]:
        return [c for c in self._columns if isinstance(c, _CharColumns)]

    @property
    def calibration(self) -> Calibration:
        return Calibration(self.urgent_thresholds, self.concept_vetoes, self.queue_temperature)

    def urgent_threshold(self, text: str) -> float:
        return self.urgent_thresholds.get(language_of(text), FALLBACK_URGENT_THRESHOLD)

    def _urgency(self, text: str, p_urgent: float) -> tuple[bool, tuple[str, ...]]:
        danger = urgency.assess(text)
        if danger.urgent:
            if p_urgent >= self.concept_vetoes.get(language_of(text), 0.0):
                return True, danger.found
            return False, ()
        if p_urgent < self.urgent_threshold(text) or not says_enough(text):
            return False, ()
        if danger.settled and p_urgent < SETTLED_OVERRIDE:
            return False, ()
        return True, (f"model: urgent {p_urgent:.2f}",)

    def _evidence(self, columns: np.ndarray, values: np.ndarray, best: int) -> tuple[str, ...]:
        """The n-grams of this request that most favour the best queue over the others."""
        return self._chosen(columns, values * self._margins[best, columns], EVIDENCE_SIZE)

    def _chosen(self, columns: np.ndarray, weights: np.ndarray, size: int) -> tuple[str, ...]:
        """The readable n-grams of the positive weights, heaviest first, none inside another."""
        candidates = np.flatnonzero((weights > 0) & self._shown[columns])
        chosen: list[str] = []
        for i in candidates[np.argsort(-weights[candidates], kind="stable")]:
            if len(chosen) == size:
                break
            name = self._names[int(columns[i])][1].strip()
            if not any(name in c or c in name for c in chosen):
                chosen.append(name)
        return tuple(chosen)

    def dumps(self) -> bytes:
        """The model as bytes for storing: numbers and text only, loadable without running code."""
        meta = {
            "format": FORMAT,
            "version": self.version,
            "parts": [p.name for p in self.parts],
            "heads": {name: list(head.classes) for name, head in self.heads.items()},
            "urgent_thresholds": self.urgent_thresholds,
            "concept_vetoes": self.concept_vetoes,
            "queue_temperature": self.queue_temperature,
            "facts": self.facts,
        }
        if self.memory.texts:
            # Only a model with a memory says so: one without stores the same bytes as before
            # memories existed, and models stored then load as models without one.
            meta["memory_queues"] = list(self.memory.queues)
        arrays: dict[str, np.ndarray] = {"meta": np.array(json.dumps(meta, ensure_ascii=False))}
        if self.memory.texts:
            arrays["memory.texts"] = np.array(self.memory.texts, dtype=str)
        for part in self.parts:
            arrays[f"{part.name}.terms"] = np.array(part.terms, dtype=str)
            arrays[f"{part.name}.idf"] = part.idf
        for name, head in self.heads.items():
            arrays[f"head.{name}.coef"] = head.coef
            arrays[f"head.{name}.intercept"] = head.intercept
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()


def _columns_of(part: str, vocabulary: dict[str, int]) -> Callable[[str], list[int]]:
    """What gives a text's columns in one part of the features: its terms found in `vocabulary`,
    once per occurrence."""
    if part == "chars":
        return _CharColumns(vocabulary)
    analyze = _vectorizer(part).build_analyzer()

    def columns(text: str) -> list[int]:
        # map() looks the terms up without a Python-level loop.
        return [column for column in map(vocabulary.get, analyze(text)) if column is not None]

    return columns


class _CharColumns:
    """The columns of a text's character n-grams, as `analyzer="char_wb"` cuts them, word by word.

    Those n-grams never cross a space, so a word's columns depend on the word alone; owners' words
    recur from request to request, so each word's are worked out once per process, which takes
    about half the time of reading an English request off it. Chinese is written without spaces:
    a request is one long "word", worked out each time and not kept. A test holds the columns
    equal to scikit-learn's analyzer.
    """

    CACHED_WORDS = 20_000
    LONGEST_CACHED = 24

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.low, self.high = _vectorizer("chars").ngram_range
        self._word = lru_cache(maxsize=self.CACHED_WORDS)(self._word_columns)

    def __call__(self, text: str) -> list[int]:
        columns: list[int] = []
        for word in urgency.normalize(text).split():
            if len(word) <= self.LONGEST_CACHED:
                columns += self._word(word)
            else:
                columns += self._word_columns(word)
        return columns

    def learn(self, text: str) -> None:
        """Keep the columns of this text's words that a cache holds, working out no others."""
        for word in urgency.normalize(text).split():
            if len(word) <= self.LONGEST_CACHED:
                self._word(word)

    def forget(self) -> None:
        self._word.cache_clear()

    def _word_columns(self, word: str) -> tuple[int, ...]:
        padded = f" {word} "
        grams: list[str] = []
        for n in range(self.low, self.high + 1):
            # A word shorter than n counts once, whole, as scikit-learn counts it.
            grams += [padded[i : i + n] for i in range(max(len(padded) - n, 0) + 1)]
            if n >= len(padded):
                break
        return tuple([c for c in map(self.vocabulary.get, grams) if c is not None])


def says_enough(text: str) -> bool:
    """Whether a request is long enough for the urgent head alone to flag it."""
    norm = urgency.normalize(text)
    size = len(urgency.HAN.findall(norm)) + len(_ENGLISH_WORD.findall(norm))
    return size >= MIN_WORDS_FOR_MODEL_URGENCY


def _readable(part: str, name: str) -> bool:
    """Whether an n-gram explains anything to a reader: not one character, not punctuation, not a
    fragment of an English word (the word features speak for English), not only stop words, not a
    danger concept's name (the reason names those already, with the words that matched)."""
    if len(name) < 2 or not _WORDLIKE.fullmatch(name):
        return False
    if part == "dangers" or (part == "chars" and name.isascii()):
        return False
    return not set(name.split()) <= ENGLISH_STOP_WORDS


def loads(blob: bytes) -> TextClassifier:
    """The inverse of `TextClassifier.dumps()`. Never unpickles: anything else is a ValueError."""
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(str(arrays["meta"]))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError("not a routing model of this version of the service")
        parts = [
            Part(name, tuple(str(t) for t in arrays[f"{name}.terms"]), arrays[f"{name}.idf"])
            for name in meta["parts"]
        ]
        heads = {
            name: Head(
                tuple(classes), arrays[f"head.{name}.coef"], arrays[f"head.{name}.intercept"]
            )
            for name, classes in meta["heads"].items()
        }
        return TextClassifier(
            str(meta["version"]),
            parts,
            heads,
            urgent_thresholds={k: float(v) for k, v in meta["urgent_thresholds"].items()},
            queue_temperature=float(meta["queue_temperature"]),
            facts=dict(meta["facts"]),
            concept_vetoes={k: float(v) for k, v in meta.get("concept_vetoes", {}).items()},
            memory=Memory(
                tuple(str(t) for t in arrays["memory.texts"]),
                tuple(str(Queue(q)) for q in meta["memory_queues"]),
            )
            if "memory_queues" in meta
            else None,
        )
    except (
        ValueError,
        OSError,
        EOFError,
        KeyError,
        TypeError,
        IndexError,
        zipfile.BadZipFile,
    ) as error:
        # NumPy refuses pickled content itself (allow_pickle=False); JSON errors are ValueErrors.
        raise ValueError(f"not a routing model: {error}") from None


@dataclass
class Fitted:
    """The scikit-learn objects of one training, before they are reduced to their numbers."""

    features: FeatureUnion
    heads: dict[str, LogisticRegression]

    def parts(self) -> list[Part]:
        return [
            Part(
                name,
                tuple(sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)),
                v.idf_.astype(np.float64),
            )
            for name, v in self.features.transformer_list
        ]


def _fitted_all(jobs: Iterable[tuple[LogisticRegression, Any, Any]]) -> list[LogisticRegression]:
    """Each `(head, x, y)` fitted, on as many threads as there are CPUs, in the order given.

    saga's loop runs without the GIL, so the heads of one training fit side by side (on two CPUs,
    two heads in the wall-clock time of one). Each head has its own seed and data: the result does
    not depend on the order the threads finish in. `jobs` is consumed as threads come free, so a
    generator slicing a fold's rows holds only a few slices at a time."""
    return Parallel(n_jobs=FIT_THREADS, prefer="threads")(delayed(h.fit)(x, y) for h, x, y in jobs)


def fit(examples: Sequence[LabelledExample], seed: int) -> tuple[Fitted, Any]:
    """The features and the three heads fitted on `examples`, with the feature matrix."""
    features = _features()
    x = features.fit_transform([e.text for e in examples]).tocsr()
    # The slowest (the urgent head) first, so the others fill the second thread beside it.
    urgent, queue, priority = _fitted_all(
        [
            (_head(seed, URGENT_C), x, _urgent_labels(examples)),
            (_head(seed), x, [str(e.queue) for e in examples]),
            (_head(seed), x, [str(e.priority) for e in examples]),
        ]
    )
    heads = {"queue": queue, "priority": priority, "urgent": urgent}
    return Fitted(features, heads), x


def _urgent_labels(examples: Sequence[LabelledExample]) -> np.ndarray:
    return np.array(["1" if e.priority is Priority.URGENT else "0" for e in examples])


@dataclass(frozen=True)
class Calibration:
    """What held-out folds decide about a training: when urgency flags, when it is vetoed, how sure
    the queue head may be. Computed by `calibrate`; a retraining that only adds a handful of lines
    may take an earlier training's (`train(..., calibration=)`) instead of folding again."""

    urgent_thresholds: dict[str, float]
    concept_vetoes: dict[str, float]
    queue_temperature: float


def train(
    examples: Sequence[LabelledExample],
    *,
    seed: int = 0,
    name: str | None = None,
    calibration: Calibration | None = None,
    remember: Sequence[LabelledExample] = (),
) -> TextClassifier:
    """Fit the heads on `examples`; the same examples and seed give the same model.

    Calibrated on held-out folds of `examples` unless `calibration` is given. `remember`: the
    property's corrections the model keeps as its memory (none for the package's default).
    """
    if len({e.queue for e in examples}) < 2:
        raise ValueError("training needs examples of at least two queues")
    fitted, x = fit(examples, seed)
    calibrated_here = calibration is None
    if calibration is None:
        calibration = calibrate(examples, x, seed)
    corpus_hash = fingerprint(examples)
    facts = {
        "corpus_hash": corpus_hash,
        "examples": len(examples),
        "seed": seed,
        "urgent_thresholds": calibration.urgent_thresholds,
        "concept_vetoes": calibration.concept_vetoes,
        "queue_temperature": calibration.queue_temperature,
        "calibrated_on": "held-out folds" if calibrated_here else "an earlier training",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    version = name or f"model-{corpus_hash[:8]}"
    heads = {name: Head.of(head) for name, head in fitted.heads.items()}
    return TextClassifier(
        version,
        fitted.parts(),
        heads,
        urgent_thresholds=calibration.urgent_thresholds,
        queue_temperature=calibration.queue_temperature,
        facts=facts,
        concept_vetoes=calibration.concept_vetoes,
        memory=Memory.of(remember) if remember else None,
    )


def calibrate(examples: Sequence[LabelledExample], x: Any, seed: int) -> Calibration:
    """The thresholds, vetoes and temperature chosen on folds grouped by source."""
    held = held_out(examples, x, seed)
    labels = _Labels.of(examples)
    vetoes = _concept_vetoes(labels, held)
    return Calibration(
        urgent_thresholds=_urgent_thresholds(labels, held, vetoes),
        concept_vetoes=vetoes,
        queue_temperature=_queue_temperature(examples, held),
    )


@dataclass(frozen=True)
class _Labels:
    """Per example, what calibration compares the held-out scores with (computed once)."""

    urgent: np.ndarray  # labelled urgent
    language: np.ndarray
    by_concept: np.ndarray  # a danger concept raises it

    @classmethod
    def of(cls, examples: Sequence[LabelledExample]) -> _Labels:
        return cls(
            urgent=np.array([e.priority is Priority.URGENT for e in examples]),
            language=np.array([e.language for e in examples]),
            by_concept=np.array([urgency.assess(e.text).urgent for e in examples]),
        )


@dataclass
class HeldOut:
    """Each example's scores from heads that never saw its source (None: too few to fold)."""

    urgent: np.ndarray | None  # the urgent head's probability
    queue: np.ndarray | None  # the queue head's raw scores, (examples, queues), classes sorted


def held_out(examples: Sequence[LabelledExample], x: Any, seed: int, folds: int = 4) -> HeldOut:
    """Scores from heads refitted on folds grouped by source.

    The features (vocabulary and idf, which see no labels) are fitted once on all texts; only the
    heads are refitted per fold, which keeps training the default within seconds.
    """
    urgent = _urgent_labels(examples)
    groups = [e.source for e in examples]
    if (urgent == "1").sum() < folds or len(set(groups)) < folds * 2:
        return HeldOut(None, None)
    queues = np.array([str(e.queue) for e in examples])
    classes = sorted(set(queues))
    urgent_scores = np.zeros(len(examples))
    queue_scores = np.zeros((len(examples), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(x, urgent, groups))
    every_queue = all(len(set(queues[fit_idx])) == len(classes) for fit_idx, _ in splits)
    targets = [(URGENT_C, urgent)] + ([(C, queues)] if every_queue else [])
    heads = _fitted_all(
        (_head(seed, c), x[fit_idx], y[fit_idx]) for c, y in targets for fit_idx, _ in splits
    )
    for (_, held_idx), head in zip(splits, heads[: len(splits)], strict=True):
        column = list(head.classes_).index("1")
        urgent_scores[held_idx] = head.predict_proba(x[held_idx])[:, column]
    for (_, held_idx), head in zip(splits, heads[len(splits) :], strict=False):
        queue_scores[held_idx] = head.decision_function(x[held_idx])
    return HeldOut(urgent_scores, queue_scores if every_queue else None)


def _urgent_thresholds(
    labels: _Labels, held: HeldOut, vetoes: dict[str, float]
) -> dict[str, float]:
    """Per language, the urgent probability above which the model flags a request.

    Set on held-out folds, so on situations the fold's model never saw (on its own training data
    every urgent example scores high and the threshold would be far too bold). Recall first: low
    enough to find every held-out urgent example the danger concepts miss, but never so low that
    more than `MAX_FALSE_ALARMS` of the language's ordinary requests would be flagged.
    """
    if held.urgent is None:
        return dict.fromkeys(LANGUAGES, FALLBACK_URGENT_THRESHOLD)
    urgent, language = labels.urgent, labels.language
    veto = np.array([vetoes.get(lang, 0.0) for lang in language])
    by_concept = labels.by_concept & (held.urgent >= veto)
    thresholds = {}
    for lang in LANGUAGES:
        mine = language == lang
        ordinary = mine & ~urgent
        if not (mine & urgent).any() or not ordinary.any():
            thresholds[lang] = FALLBACK_URGENT_THRESHOLD
            continue
        missed = held.urgent[mine & urgent & ~by_concept]
        recall_first = float(missed.min()) if missed.size else FALLBACK_URGENT_THRESHOLD
        # Concepts raise some ordinary requests already; the model may add up to the rest of the budget.
        budget = MAX_FALSE_ALARMS - float(by_concept[ordinary].mean())
        candidates = np.sort(held.urgent[ordinary & ~by_concept])[::-1]
        allowed = int(budget * ordinary.sum())
        floor = float(candidates[allowed]) if 0 <= allowed < candidates.size else 0.0
        thresholds[lang] = max(recall_first, floor + 1e-6)
    return thresholds


def _concept_vetoes(labels: _Labels, held: HeldOut) -> dict[str, float]:
    """Per language, the urgent probability under which the model overrules a danger concept.

    Recall first: `VETO_MARGIN` of the lowest held-out probability among the language's urgent
    requests that a concept raised, so that no held-out emergency a concept caught would have been
    vetoed, with room to spare. No held-out scores or no such request: no veto.
    """
    if held.urgent is None:
        return {}
    vetoes = {}
    for lang in LANGUAGES:
        caught = held.urgent[(labels.language == lang) & labels.urgent & labels.by_concept]
        if caught.size:
            vetoes[lang] = VETO_MARGIN * float(caught.min())
    return vetoes


def _queue_temperature(examples: Sequence[LabelledExample], held: HeldOut) -> float:
    """The temperature that makes the queue head's held-out probabilities honest (least log loss).

    Trained with little regularisation, the head is sure of itself on requests unlike any it saw
    ("麻烦处理一下" went to cleaning at 0.79); dividing its scores by one number fitted on folds it
    never saw keeps its ranking (and so its accuracy) and makes the triage threshold mean what it
    says.
    """
    if held.queue is None:
        return 1.0
    classes = sorted({str(e.queue) for e in examples})
    truth = np.array([classes.index(str(e.queue)) for e in examples])
    scores = held.queue

    def loss(t: float) -> float:
        return -float(log_softmax(scores / t, axis=1)[np.arange(len(truth)), truth].mean())

    return float(minimize_scalar(loss, bounds=(0.5, 10.0), method="bounded").x)
