"""The learned router: training, storing, determinism and behaviour on requests it has not seen.

The default model is trained once per test process (`default_classifier` caches it); tests that
need training of their own use a small slice of the corpus to stay quick.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.lessons import BARRIER_CORRECTIONS
from workorders import cli, routing_model
from workorders.domain import urgency
from workorders.domain.routing import ROUTE_THRESHOLD, Draft, route
from workorders.domain.taxonomy import Priority, Queue
from workorders.routing_model import TextClassifier, classifier


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return routing_model.default_classifier()


@pytest.fixture(scope="module")
def small_corpus() -> list[routing_model.LabelledExample]:
    return routing_model.load_corpus()[::6]


def test_the_corpus_ships_in_the_package_with_its_sources() -> None:
    corpus = routing_model.load_corpus()

    assert len(corpus) >= 3000
    assert {e.queue for e in corpus} == set(Queue)
    assert sum(e.language == "en" for e in corpus) >= len(corpus) / 4
    assert len({e.source for e in corpus}) < len(corpus), "paraphrases share a source"


def test_the_default_model_is_named_after_its_corpus(model: TextClassifier) -> None:
    corpus_hash = routing_model.fingerprint(routing_model.load_corpus())

    assert model.version == f"default-{corpus_hash[:8]}"
    assert routing_model.default_classifier() is model


def test_the_same_seed_gives_the_same_model(
    small_corpus: list[routing_model.LabelledExample],
) -> None:
    first = routing_model.train(small_corpus, seed=3)
    second = routing_model.train(small_corpus, seed=3)
    texts = [e.text for e in routing_model.load_corpus()[1::50]]

    assert first.version == second.version
    assert [first.judge(t) for t in texts] == [second.judge(t) for t in texts]


def test_heads_fitted_side_by_side_are_the_heads_fitted_in_turn(
    small_corpus: list[routing_model.LabelledExample], monkeypatch: pytest.MonkeyPatch
) -> None:
    side_by_side = routing_model.train(small_corpus, seed=1)
    monkeypatch.setattr(classifier, "FIT_THREADS", 1)
    in_turn = routing_model.train(small_corpus, seed=1)

    assert side_by_side.dumps() == in_turn.dumps()


def test_a_training_given_a_calibration_takes_it_instead_of_folding(
    small_corpus: list[routing_model.LabelledExample],
) -> None:
    folded = routing_model.train(small_corpus, seed=3)
    given = classifier.Calibration(
        urgent_thresholds={"zh": 0.41, "en": 0.37},
        concept_vetoes={"zh": 0.05},
        queue_temperature=2.5,
    )

    taken = routing_model.train(small_corpus, seed=3, calibration=given)

    assert taken.calibration == given != folded.calibration
    assert (folded.facts["calibrated_on"], taken.facts["calibrated_on"]) == (
        "held-out folds",
        "an earlier training",
    )
    # The fitted heads are the same: only what the folds decide was taken.
    assert taken.judge("厨房水管漏水").ranked != folded.judge("厨房水管漏水").ranked  # temperature
    assert taken.judge("厨房水管漏水").best[0] == folded.judge("厨房水管漏水").best[0]
    assert taken.version == folded.version


def test_a_stored_model_loads_back_and_judges_alike(model: TextClassifier) -> None:
    again = routing_model.loads(model.dumps())

    assert again.version == model.version
    assert again.concept_vetoes == model.concept_vetoes
    for text in ("厨房水管漏水", "The gate barrier is stuck", "物业费怎么交"):
        assert again.judge(text) == model.judge(text)


class _Payload:
    """A pickle that runs code when it is loaded."""

    ran = False

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_Payload._run, ())

    @staticmethod
    def _run() -> None:
        _Payload.ran = True


def test_loads_never_unpickles(model: TextClassifier) -> None:
    import pickle

    for blob in (
        pickle.dumps({"format": 1, "classifier": _Payload()}),
        pickle.dumps(_Payload()),
        b"",
        model.dumps()[:1000],
    ):
        with pytest.raises(ValueError, match="routing model"):
            routing_model.loads(blob)
    assert not _Payload.ran


def test_a_stored_model_holds_numbers_and_text_only(model: TextClassifier) -> None:
    import io

    with np.load(io.BytesIO(model.dumps()), allow_pickle=False) as archive:
        kinds = {archive[name].dtype.kind for name in archive.files}

    assert kinds <= {"f", "U"}, "float arrays and strings: nothing that needs pickle"


def test_the_fast_path_gives_the_pipelines_probabilities(
    small_corpus: list[routing_model.LabelledExample],
) -> None:
    fitted, _ = classifier.fit(small_corpus, seed=0)
    heads = {name: classifier.Head.of(head) for name, head in fitted.heads.items()}
    fast = TextClassifier(
        "fast",
        fitted.parts(),
        heads,
        urgent_thresholds={"zh": 0.5, "en": 0.5},
        queue_temperature=1.0,
        facts={},
    )
    texts = [e.text for e in routing_model.load_corpus()[::97]] + ["", "???", "ＡＢＣ 漏水"]
    x = fitted.features.transform(texts)

    for name in ("queue", "priority", "urgent"):
        expected = fitted.heads[name].predict_proba(x)
        for text, row in zip(texts, expected, strict=True):
            # The pipeline's features are float32, the fast path's float64.
            got = heads[name].proba(*fast.vector(text))
            assert got == pytest.approx(row, abs=1e-5), (name, text)
    # A judgement's queue probabilities are worked in plain Python: the same numbers.
    expected = fitted.heads["queue"].predict_proba(x)
    classes = [str(c) for c in fitted.heads["queue"].classes_]
    for text, row in zip(texts, expected, strict=True):
        ranked = {str(q): p for q, p in fast.judge(text).ranked}
        assert [ranked[c] for c in classes] == pytest.approx(row, abs=1e-5), text


def test_character_columns_word_by_word_are_the_analyzers(model: TextClassifier) -> None:
    """The columns `vector` reads word by word, some from its cache of words, are the ones
    scikit-learn's `char_wb` analyzer gives the whole text, as often."""
    chars = next(part for part in model.parts if part.name == "chars")
    vocabulary = {term: i for i, term in enumerate(chars.terms)}
    analyze = classifier._vectorizer("chars").build_analyzer()
    by_words = classifier._CharColumns(vocabulary)
    edges = [
        "",
        " ",
        "a",
        "ab",
        "I",
        "ＦＩＲＥ  in 3F!!",
        "漏水\u3000了",
        "x" * 40,
        "电梯困人 again",
    ]
    texts = [e.text for e in routing_model.load_corpus()[::5]] + edges
    for text in texts * 2:  # the second time from the cache
        expected = [c for c in map(vocabulary.get, analyze(text)) if c is not None]
        assert sorted(by_words(text)) == sorted(expected), text


def test_learnt_words_are_looked_up_before_any_request_needs_them(model: TextClassifier) -> None:
    model.forget_words()
    (chars,) = model._char_columns()
    model.learn_words(["the boiler cupboard door sticks", "楼道灯不亮"])
    learnt = chars._word.cache_info()

    model.judge("my cupboard door sticks")

    after = chars._word.cache_info()
    assert learnt.currsize == 6  # five English words, and a Chinese request of five characters
    assert (after.misses, after.hits - learnt.hits) == (learnt.misses + 1, 3)  # "my" is new


@pytest.mark.parametrize(
    ("text", "queue"),
    [
        ("卫生间的地漏一直往上反水，臭得不行", Queue.ENGINEERING),
        ("The hallway light on floor 12 has been flickering for days", Queue.ENGINEERING),
        ("楼下有人在车库里乱停车，把我的车位占了", Queue.SECURITY),
        ("Someone keeps parking in front of the garage exit", Queue.SECURITY),
        ("垃圾桶满了好几天没人清理，味道很大", Queue.CLEANING),
        ("Could you ask someone to sweep the leaves off the front steps?", Queue.CLEANING),
        ("请问这个月的物业费账单在哪里查", Queue.CUSTOMER_SERVICE),
        ("I'd like a receipt for last year's management fee", Queue.CUSTOMER_SERVICE),
    ],
)
def test_everyday_requests_reach_their_department(
    model: TextClassifier, text: str, queue: Queue
) -> None:
    decision = route(Draft(description=text), [], model)

    assert decision.queue is queue, decision.reason
    assert decision.source == "model"
    assert decision.model_version == model.version
    assert decision.evidence


@pytest.mark.parametrize(
    "text",
    [
        "My dad is stuck in the lift, it stopped between the 6th and 7th floor",
        "There's smoke pouring out of the electrical cupboard on our landing",
        "The water heater pipe burst and the bathroom is flooding",
        "I smell gas in the corridor, really strong",
        "厨房的水管突然爆了，水一直往外喷",
        "楼道里有人拿着刀在吵架",
    ],
)
def test_emergencies_are_urgent_in_both_languages(model: TextClassifier, text: str) -> None:
    assert route(Draft(description=text), [], model).priority is Priority.URGENT


@pytest.mark.parametrize(
    "text",
    [
        "上周卫生间漏过水，已经修好了，谢谢师傅",
        "It leaked last week, it's fixed now, thanks",
        "请问小区的消防演练是哪天？",
        "When is the next fire drill?",
        "万一电梯困人了应该打哪个电话？",
    ],
)
def test_the_past_the_solved_and_procedures_are_not_urgent(
    model: TextClassifier, text: str
) -> None:
    assert route(Draft(description=text), [], model).priority is not Priority.URGENT


@pytest.mark.parametrize(
    "text",
    [
        "麻烦处理一下",
        "请尽快处理",
        "你们来看看吧",
        "同上",
        "please deal with it",
        "please deal with this",
        "there's a problem",
    ],
)
def test_a_request_that_names_nothing_goes_to_customer_service(
    model: TextClassifier, text: str
) -> None:
    """Customer service places what no department could act on: by the model, or by triage."""
    decision = route(Draft(description=text), [], model)

    assert decision.queue is Queue.CUSTOMER_SERVICE, decision.reason


def test_the_model_overrules_a_concept_only_when_it_is_sure(model: TextClassifier) -> None:
    """A danger concept raises a request unless the urgent head puts it under the language's veto,
    which held-out folds set at half the lowest score any caught emergency got."""
    assert set(model.concept_vetoes) == {"zh", "en"}
    assert all(0 < v < 0.5 for v in model.concept_vetoes.values())
    emergency = "the old man next door is on the floor, not waking up"
    assert urgency.assess(emergency).urgent
    assert model.judge(emergency).urgent

    unvetoed = routing_model.loads(model.dumps())
    unvetoed.concept_vetoes = {}
    vetoed = routing_model.loads(model.dumps())
    vetoed.concept_vetoes = {"zh": 1.0, "en": 1.0}
    assert unvetoed.judge(emergency).urgent
    assert not vetoed.judge(emergency).urgent


@pytest.mark.parametrize("text", ["help please", "something is wrong", "能管管吗！！！", "快来"])
def test_a_request_that_says_almost_nothing_is_not_urgent_by_the_model_alone(
    model: TextClassifier, text: str
) -> None:
    assert not classifier.says_enough(text)
    assert not model.judge(text).urgent


def test_a_short_request_with_a_danger_in_it_is_still_urgent(model: TextClassifier) -> None:
    """The length floor holds back the model alone, never the danger concepts."""
    assert not classifier.says_enough("电梯困人")
    assert model.judge("电梯困人").urgent
    assert model.judge("fire in 3F!").urgent


def test_urgency_has_a_threshold_per_language(model: TextClassifier) -> None:
    assert set(model.urgent_thresholds) == {"zh", "en"}
    assert all(0 < t < 1 for t in model.urgent_thresholds.values())
    assert model.urgent_threshold("厨房漏水") == model.urgent_thresholds["zh"]
    assert model.urgent_threshold("kitchen leak") == model.urgent_thresholds["en"]


def test_the_shipped_threshold_sends_a_small_share_to_triage(model: TextClassifier) -> None:
    texts = [e.text for e in routing_model.load_corpus()[::5]]

    triaged = sum(model.judge(t).best[1] < ROUTE_THRESHOLD for t in texts) / len(texts)

    assert triaged < 0.15


def test_an_evaluation_reports_the_figures_the_issue_is_stated_in(model: TextClassifier) -> None:
    examples = routing_model.load_corpus()[::40]

    figures = routing_model.evaluate(model, examples, threshold=ROUTE_THRESHOLD).as_dict()

    assert figures["n"] == len(examples)
    assert set(figures["per_queue"]) == {str(q) for q in Queue}
    assert {"precision", "recall"} <= set(figures["per_queue"]["engineering"])
    assert {"urgent_recall", "false_alarm_share", "confusion", "triage_share"} <= set(figures)
    assert set(figures["per_language"]) == {"zh", "en"}
    assert sum(sum(row.values()) for row in figures["confusion"].values()) == len(examples)


def test_every_corpus_file_passes_the_checks_against_the_others() -> None:
    from importlib import resources

    from workorders.routing_model.corpus import parse_lines
    from workorders.routing_model.validation import corpus_problems

    folder = resources.files("workorders.routing_model") / "corpus"
    files = {f.name: f.read_text("utf-8") for f in folder.iterdir() if f.name.endswith(".jsonl")}
    for name, text in files.items():
        others = [
            e for n, t in files.items() if n != name for e in parse_lines(t.splitlines(), n)[0]
        ]
        known = {
            "known_texts": {e.text for e in others},
            "known_sources": {e.source for e in others},
        }
        assert corpus_problems(text.splitlines(), **known) == [], name


def test_the_checks_name_what_keeps_a_line_out() -> None:
    from workorders.routing_model.validation import corpus_problems

    row = {"queue": "cleaning", "priority": "low", "source": "x-1", "writer": "x"}
    lines = [
        '{"text": "垃圾桶满了", "language": "en", ' + json.dumps(row)[1:],
        '{"text": "bins full", "language": "en", "queue": "garden", "priority": "low", '
        '"source": "w1-0001", "writer": "x"}',
        "not json",
    ]

    problems = corpus_problems(lines, known_texts=set(), known_sources={"w1-0001"})

    assert [p.split(":")[0] for p in problems] == ["line 1", "line 2", "line 2", "line 3"]
    assert "language" in problems[0] and "queue" in problems[1] and "source" in problems[2]


def test_evaluate_reads_requests_as_the_api_names_them_and_refuses_an_empty_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "requests.jsonl"
    lines = [
        {
            "description": "厨房水管爆了，水喷得到处都是",
            "queue": "engineering",
            "priority": "urgent",
        },
        {"text": "物业费怎么交", "queue": "customer_service", "priority": "low"},
        {"queue": "security", "priority": "normal"},
    ]
    requests.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines))

    assert cli.main(["routing", "evaluate", str(requests)]) == 0
    out = capsys.readouterr().out
    assert "1 lines skipped" in out
    assert "n=2" in out

    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"queue": "security"}\n')
    assert cli.main(["routing", "evaluate", str(empty)]) == 2
    assert "no labelled request" in capsys.readouterr().err
    assert cli.main(["routing", "evaluate", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def _remembering(model: TextClassifier, texts: tuple[str, ...], queue: Queue) -> TextClassifier:
    """The model's numbers with a memory of these corrections (no training needed)."""
    examples = [
        routing_model.LabelledExample(t, queue, Priority.NORMAL, "en", f"work_order:{i}")
        for i, t in enumerate(texts)
    ]
    return TextClassifier(
        "remembering",
        model.parts,
        model.heads,
        urgent_thresholds=model.urgent_thresholds,
        queue_temperature=model.queue_temperature,
        facts=model.facts,
        concept_vetoes=model.concept_vetoes,
        memory=classifier.Memory.of(examples),
    )


def test_a_request_near_the_corrections_goes_where_customer_service_sent_them(
    model: TextClassifier,
) -> None:
    remembering = _remembering(model, BARRIER_CORRECTIONS, Queue.SECURITY)
    new = "Boom barrier at the underground car park entrance won't lift for residents"
    alone, remembered = model.judge(new), remembering.judge(new)

    assert alone.best[0] is Queue.ENGINEERING, "the corpus's convention, which the memory overrides"
    assert remembered.best[0] is Queue.SECURITY and remembered.best[1] >= ROUTE_THRESHOLD
    assert remembered.ranked[1][0] is Queue.ENGINEERING, "the model's guess comes second"
    assert sum(p for _, p in remembered.ranked) == pytest.approx(1.0)
    assert remembered.evidence[0] == "customer service's corrections: 8 like it"
    assert "barrier" in remembered.evidence
    # A memory moves the queue only.
    assert (remembered.urgent, remembered.priority) == (alone.urgent, alone.priority)
    decision = route(Draft(description=new), classifier=remembering)
    assert (decision.queue, decision.source) == (Queue.SECURITY, "model")
    assert "customer service's corrections" in decision.reason


def test_chinese_corrections_reach_a_new_chinese_wording(model: TextClassifier) -> None:
    # Three Chinese barrier corrections; the new request shares no sentence with them. At one
    # threshold for both languages (0.45) Chinese corrections reached almost nothing new.
    remembering = _remembering(model, BARRIER_CORRECTIONS, Queue.SECURITY)
    new = "车库道闸不起杆，车出不去"
    assert new not in BARRIER_CORRECTIONS
    assert model.judge(new).best[0] is Queue.ENGINEERING
    remembered = remembering.judge(new)
    assert remembered.best[0] is Queue.SECURITY and remembered.best[1] >= ROUTE_THRESHOLD
    assert remembered.evidence[0] == "customer service's corrections: 3 like it"


@pytest.mark.parametrize(
    "text",
    [
        "Kitchen pipe is leaking under the sink",
        "厨房水管漏水了",
        "The gate intercom is broken",
        "The north gate is broken",
        "Car park lights are off",
        "楼道里有人抽烟",
        "小区大门的门禁坏了",
        "The pedestrian gate at the north entrance is broken",
    ],
)
def test_a_request_unlike_any_correction_is_judged_as_without_memory(
    model: TextClassifier, text: str
) -> None:
    remembering = _remembering(model, BARRIER_CORRECTIONS, Queue.SECURITY)

    assert remembering.judge(text) == model.judge(text)


def test_the_memory_takes_the_lead_from_its_threshold(
    model: TextClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Barrier arm at the garage entrance doesn't lift"
    one = _remembering(model, (text,), Queue.CLEANING)
    assert one.judge(text).best == (Queue.CLEANING, pytest.approx(1.0)), "its own words: 1.0"

    near = "The barrier at the garage entrance is stuck"
    columns, values = one.memory_vector(near)
    _, similarity, _ = one._recall.nearest(columns, values)  # type: ignore[union-attr]
    assert 0 < similarity < 1
    monkeypatch.setitem(classifier.MEMORY_THRESHOLDS, "en", similarity + 1e-6)
    assert one.judge(near) == model.judge(near)
    monkeypatch.setitem(classifier.MEMORY_THRESHOLDS, "en", similarity - 1e-6)
    assert one.judge(near).best == (Queue.CLEANING, pytest.approx(0.5, abs=1e-4))
    assert one.judge("物业费怎么交") == model.judge("物业费怎么交"), "no correction in its language"


def test_the_memory_is_stored_with_the_model_and_older_models_load_without_one(
    model: TextClassifier,
) -> None:
    remembering = _remembering(model, BARRIER_CORRECTIONS, Queue.SECURITY)
    again = routing_model.loads(remembering.dumps())

    assert again.memory == remembering.memory
    assert len(again.memory.texts) == len(BARRIER_CORRECTIONS)
    for text in ("Boom barrier at the car park entrance won't lift", "厨房水管漏水了"):
        assert again.judge(text) == remembering.judge(text)
    # A model stored before memories existed has no memory key: it loads with none, and a model
    # without a memory stores exactly those bytes.
    older = routing_model.loads(model.dumps())
    assert older.memory == classifier.Memory() and older._recall is None
    assert older.dumps() == model.dumps()
    with np.load(io.BytesIO(model.dumps()), allow_pickle=False) as archive:
        assert "memory.texts" not in archive.files
        assert "memory" not in str(archive["meta"])
