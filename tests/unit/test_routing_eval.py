"""The bars of issue 8 on evaluation sets written apart from the corpus, each by someone who never saw
the corpus or the model's features, briefed with the duty map alone.

Never copy these lines into the corpus. A figure on a set one tuned on is not a result, so each set
says where it stands:

- `eval1_tuned.jsonl` (360 lines): the first blind set. The classifier's weights, its danger concepts
  and its thresholds were changed after its figures and misses were read, so it is now a regression
  set: it must keep meeting every bar, but its figures prove nothing about new requests.
- `eval2_blind.jsonl` (360 lines): written by a second writer. Its aggregate figures were read after
  the first round of the router; nobody has read its lines or changed anything because of its misses.
- `eval3_blind.jsonl` (420 lines): written by two further writers and kept sealed (no one read a line
  or a figure) until the last change to the corpus, the features and the thresholds had been made;
  the figures of record. Whoever changes the router because of the misses of eval2 or eval3 moves
  that set to the tuned side and commissions a fresh blind set.

Queue accuracy counts what the service does: an order the router is unsure of goes to customer
service (triage), which is right only when customer service is its queue.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workorders import routing_model
from workorders.domain.routing import ROUTE_THRESHOLD

SETS = Path(__file__).parent.parent / "routing_sets"


@pytest.fixture(scope="module", params=["eval1_tuned", "eval2_blind", "eval3_blind"])
def evaluation(request: pytest.FixtureRequest) -> routing_model.Evaluation:
    examples = routing_model.read_examples(SETS / f"{request.param}.jsonl")
    assert len(examples) >= 300
    result = routing_model.evaluate(
        routing_model.default_classifier(), examples, threshold=ROUTE_THRESHOLD
    )
    print("\n" + routing_model.evaluation.render(result, request.param))
    return result


def test_queue_accuracy_is_at_least_95_percent(evaluation: routing_model.Evaluation) -> None:
    assert evaluation.accuracy >= 0.95


def test_english_requests_are_at_least_90_percent_right(
    evaluation: routing_model.Evaluation,
) -> None:
    assert evaluation.per_language["en"].accuracy >= 0.90


def test_every_urgent_request_is_flagged(
    evaluation: routing_model.Evaluation, request: pytest.FixtureRequest
) -> None:
    _unmet(
        request,
        eval2_blind="98.1% (53 of 54): one English request missed",
        eval3_blind="98.5% (65 of 66): one Chinese request missed",
    )
    assert evaluation.urgent_n > 0
    assert evaluation.urgent_recall == 1.0


def test_at_most_10_percent_of_the_others_are_flagged_in_each_language(
    evaluation: routing_model.Evaluation, request: pytest.FixtureRequest
) -> None:
    _unmet(request, eval2_blind="8.8% overall but 10.7% of English requests")
    shares = [evaluation.false_alarm_share] + [
        part.false_alarm_share for part in evaluation.per_language.values()
    ]
    assert all(share is not None and share <= 0.10 for share in shares)


def _unmet(request: pytest.FixtureRequest, **measured: str) -> None:
    """Issue 8's urgency goal is not met on new requests yet: said here, not hidden. Strict, so the
    suite fails the day a bar is met on a set and its mark must go."""
    for name, figure in measured.items():
        if name in request.node.callspec.id:
            request.applymarker(pytest.mark.xfail(strict=True, reason=f"issue 8 open: {figure}"))
