"""Dispatch without a database: who gets an order, who is passed over and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workorders.domain import lifecycle
from workorders.domain.dispatch import (
    Exclusion,
    Member,
    Strategy,
    choose,
    claim_refusal,
)
from workorders.domain.lifecycle import Action, OrderFacts, Status
from workorders.domain.taxonomy import Queue


def _m(staff_id: str, *, open_orders: int = 0, on_duty: bool = True, max_open: int = 5, skills: str = "") -> Member:  # fmt: skip
    return Member(staff_id, on_duty, max_open, open_orders, frozenset(skills.split()))


TEAM = (_m("a"), _m("b"), _m("c"))


def test_round_robin_starts_with_the_first_and_then_takes_turns() -> None:
    first = choose(Strategy.ROUND_ROBIN, TEAM)
    assert (first.chosen, first.candidates) == ("a", ("a", "b", "c"))

    assert choose(Strategy.ROUND_ROBIN, TEAM, last_assignee="a").chosen == "b"
    assert choose(Strategy.ROUND_ROBIN, TEAM, last_assignee="c").chosen == "a"  # wraps around


def test_round_robin_skips_whoever_cannot_take_it_and_says_why() -> None:
    team = (
        _m("a"),
        _m("b", on_duty=False),
        _m("c", open_orders=2, max_open=2),
        _m("d", skills="plumbing"),
        _m("e", skills="elevator plumbing"),
    )

    pick = choose(Strategy.ROUND_ROBIN, team, skills=["elevator"], declined={"a"})

    assert pick.chosen == "e"
    assert pick.excluded == (
        Exclusion("a", "declined this order"),
        Exclusion("b", "off duty"),
        Exclusion("c", "at capacity (2/2 open)"),
        Exclusion("d", "lacks skills: elevator"),
    )


def test_someone_going_off_duty_does_not_shift_the_others_turn() -> None:
    team = (_m("a"), _m("b", on_duty=False), _m("c"))

    # After a, b's turn would come; b is away, so c, not back to a.
    assert choose(Strategy.ROUND_ROBIN, team, last_assignee="a").chosen == "c"


def test_round_robin_after_someone_who_left_starts_again_from_the_top() -> None:
    assert choose(Strategy.ROUND_ROBIN, TEAM, last_assignee="gone").chosen == "a"


def test_least_loaded_takes_the_fewest_open_then_the_directory_order() -> None:
    team = (_m("a", open_orders=3), _m("b", open_orders=1), _m("c", open_orders=1))

    pick = choose(Strategy.LEAST_LOADED, team)

    assert pick.chosen == "b"
    assert pick.candidates == ("b", "c", "a")


def test_least_loaded_never_exceeds_anyones_max_open() -> None:
    team = (_m("a", open_orders=1, max_open=1), _m("b", open_orders=4, max_open=5))

    pick = choose(Strategy.LEAST_LOADED, team)

    assert pick.chosen == "b"
    assert pick.excluded == (Exclusion("a", "at capacity (1/1 open)"),)


def test_nobody_eligible_chooses_nobody_and_lists_every_reason() -> None:
    team = (_m("a", on_duty=False), _m("b", skills="plumbing"))

    pick = choose(Strategy.LEAST_LOADED, team, skills=["elevator"])

    assert pick.chosen is None
    assert pick.as_data() == {
        "strategy": "least_loaded",
        "candidates": [],
        "excluded": [
            {"staff_id": "a", "reason": "off duty"},
            {"staff_id": "b", "reason": "lacks skills: elevator"},
        ],
        "chosen": None,
    }


def test_an_empty_department_chooses_nobody() -> None:
    assert choose(Strategy.ROUND_ROBIN, ()).chosen is None


@pytest.mark.parametrize("strategy", [Strategy.MANUAL, Strategy.CLAIM])
def test_manual_and_claim_are_not_automatic(strategy: Strategy) -> None:
    with pytest.raises(ValueError, match="not an automatic"):
        choose(strategy, TEAM)


@pytest.mark.parametrize(
    ("member", "strategy", "refusal"),
    [
        (_m("a"), Strategy.CLAIM, None),
        (_m("a"), Strategy.ROUND_ROBIN, None),  # nobody was free when it came in: anyone may claim
        (_m("a"), None, None),
        (_m("a"), Strategy.MANUAL, "orders in this queue are assigned by the supervisor"),
        (_m("a", on_duty=False), Strategy.CLAIM, "you are off duty"),
        (_m("a", open_orders=5), Strategy.CLAIM, "you are at capacity (5/5 open)"),
    ],
)
def test_claim_eligibility(member: Member, strategy: Strategy | None, refusal: str | None) -> None:
    said = claim_refusal(member, strategy)
    assert (None if said is None else str(said)) == refusal


def test_the_system_may_assign_through_the_table_and_do_nothing_else() -> None:
    queued = OrderFacts(Status.QUEUED, Queue.ENGINEERING, owner_id="own_1", assignee_id=None)
    now, window = datetime(2026, 11, 28, tzinfo=UTC), timedelta(days=7)

    allowed = lifecycle.allowed_actions(None, queued, now=now, reopen_window=window)

    assert allowed == [Action.ASSIGN]
    change = lifecycle.effects(
        Action.ASSIGN,
        None,
        now=now,
        escalation_level=0,
        responded_at=None,
        started_at=None,
        params={"assignee_id": "stf_1"},
    )
    assert change.fields == {"assignee_id": "stf_1", "responded_at": now}
