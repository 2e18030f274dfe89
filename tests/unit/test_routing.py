"""Routing in the domain: the rule mechanics, the few default rules, and how rules, a model (a stub
here: the domain knows only the protocol) and triage share a decision. The trained model's
behaviour is in test_routing_model.py, its figures in test_routing_eval.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workorders.domain.dispatch import Strategy
from workorders.domain.routing import (
    DEFAULT_RULES,
    Draft,
    Judgement,
    Pair,
    Rule,
    Suggestion,
    Then,
    When,
    route,
)
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue
from workorders.schemas.routing import RuleThen, RuleWhen, domain_rule, stored


def _rule(rule_id: str, when: When, then: Then) -> Rule:
    return Rule(id=rule_id, name="测试规则", when=when, then=then)


LEAK = _rule("leak", When(keywords=("漏水",)), Then(Queue.ENGINEERING, Priority.HIGH, "plumbing"))
ANY_WATER = _rule("water", When(keywords=("水",)), Then(Queue.CLEANING, Priority.LOW))


# --- mechanics --------------------------------------------------------------------------------


def test_first_matching_rule_wins() -> None:
    draft = Draft(description="厨房漏水")

    assert route(draft, [LEAK, ANY_WATER]).rule_id == "leak"
    assert route(draft, [ANY_WATER, LEAK]).rule_id == "water"


def test_excluded_keyword_skips_the_rule_and_the_next_one_decides() -> None:
    leak_not_ac = _rule(
        "leak-not-ac",
        When(keywords=("漏水",), exclude_keywords=("空调",)),
        Then(Queue.ENGINEERING, category="plumbing"),
    )
    rules = [leak_not_ac, ANY_WATER]

    assert route(Draft(description="厨房漏水"), rules).rule_id == "leak-not-ac"
    assert route(Draft(description="空调漏水"), rules).rule_id == "water"


def test_all_given_conditions_must_hold() -> None:
    phone_complaints = _rule(
        "phone-complaint",
        When(kinds=(Kind.COMPLAINT,), channels=("phone",), keywords=("保安",)),
        Then(Queue.CUSTOMER_SERVICE),
    )

    by_phone = Draft(description="保安不理人", kind=Kind.COMPLAINT, channel="phone")
    assert route(by_phone, [phone_complaints]).rule_id == "phone-complaint"
    assert route(Draft(description="保安不理人", kind=Kind.COMPLAINT), [phone_complaints]).triage
    assert route(Draft(description="保安不理人", channel="phone"), [phone_complaints]).triage


def test_empty_when_matches_everything() -> None:
    catch_all = _rule("all", When(), Then(Queue.SECURITY))

    decision = route(Draft(description="随便说点什么"), [catch_all])

    assert (decision.queue, decision.rule_id, decision.triage) == (Queue.SECURITY, "all", False)


@pytest.mark.parametrize(("hour", "matches"), [(22, True), (23, True), (0, True), (5, True), (6, False), (12, False), (21, False), (None, False)])  # fmt: skip
def test_night_window_wraps_midnight(hour: int | None, matches: bool) -> None:
    night = _rule("night", When(keywords=("吵",), hours=(22, 6)), Then(Queue.SECURITY))

    decision = route(Draft(description="楼上很吵", local_hour=hour), [night])

    assert decision.triage is not matches


def test_day_window_does_not_wrap() -> None:
    office = _rule("office", When(hours=(9, 17)), Then(Queue.CUSTOMER_SERVICE))

    assert route(Draft(description="x", local_hour=9), [office]).reason == "rule applies to every request within (09:00-17:00)"  # fmt: skip
    assert route(Draft(description="x", local_hour=17), [office]).triage


@pytest.mark.parametrize("hours", [(5, 5), (25, 3), (-1, 6)])
def test_a_window_that_cannot_be_meant_is_refused(hours: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="hours"):
        When(hours=hours)


def test_an_empty_keyword_is_refused_because_it_would_match_everything() -> None:
    with pytest.raises(ValueError, match="empty keyword"):
        When(keywords=("漏水", " "))


def test_title_counts_but_a_keyword_cannot_straddle_title_and_description() -> None:
    rule = _rule("leak", When(keywords=("漏水",)), Then(Queue.ENGINEERING))

    assert not route(Draft(title="屋顶漏水", description="很急"), [rule]).triage
    assert route(Draft(title="漏", description="水费怎么交"), [rule]).triage


def test_full_width_and_spaces_do_not_hide_a_keyword() -> None:
    rule = _rule("app", When(keywords=("app打不开",)), Then(Queue.CUSTOMER_SERVICE))

    assert route(Draft(description="ＡＰＰ 打 不 开"), [rule]).rule_id == "app"


def test_nothing_matched_goes_to_customer_service_triage() -> None:
    decision = route(Draft(description="你好，在吗"))

    assert decision.queue is Queue.CUSTOMER_SERVICE
    assert decision.triage is True
    assert (decision.rule_id, decision.rule_name) == (None, None)
    assert decision.reason == "no rule matched"
    assert (decision.kind, decision.priority) == (Kind.REPAIR, Priority.NORMAL)


def test_triage_keeps_a_known_category_and_drops_an_unknown_one() -> None:
    assert route(Draft(description="你好", category="noise"), []).category == "noise"
    assert route(Draft(description="你好", category="no-such-thing")).category is None


def test_a_pair_matches_its_words_wherever_they_stand() -> None:
    barking = _rule(
        "barking", When(pairs=(Pair(("狗", "猫"), ("叫", "吠")),)), Then(Queue.SECURITY)
    )

    decision = route(Draft(description="楼下那只狗从早上一直叫到现在"), [barking])

    assert decision.reason == "keywords 狗+叫 matched"
    assert route(Draft(description="狗狗走丢了"), [barking]).triage  # a subject alone is not enough
    assert route(Draft(description="有人一直在叫门"), [barking]).triage  # nor an action alone


def test_a_keyword_or_a_pair_satisfies_the_text_condition() -> None:
    rule = _rule(
        "theft",
        When(keywords=("被偷",), pairs=(Pair(("包裹",), ("拿走",)),)),
        Then(Queue.SECURITY),
    )

    assert route(Draft(description="车被偷了"), [rule]).reason == "keyword 被偷 matched"
    assert route(Draft(description="包裹让人拿走了"), [rule]).reason == "keywords 包裹+拿走 matched"


def test_buildings_and_areas_restrict_a_rule_to_a_place() -> None:
    rule = _rule(
        "garage-b3",
        When(buildings=("3", "5"), areas=("地下车库",)),
        Then(Queue.SECURITY),
    )

    here = Draft(description="灯不亮", building="3", area="地下车库B区")
    assert route(here, [rule]).reason == "building 3, area 地下车库"
    assert route(Draft(description="灯不亮", building="4", area="地下车库"), [rule]).triage
    assert route(Draft(description="灯不亮", building="3"), [rule]).triage


def test_the_rule_says_how_to_dispatch_and_with_which_skills() -> None:
    rule = _rule(
        "lift",
        When(keywords=("电梯",)),
        Then(Queue.ENGINEERING, dispatch=Strategy.ROUND_ROBIN, skills=("elevator",)),
    )

    decision = route(Draft(description="电梯坏了"), [rule])

    assert (decision.dispatch, decision.skills) == (Strategy.ROUND_ROBIN, ("elevator",))


def test_default_rules_survive_storage_unchanged() -> None:
    """Seeded rules are stored as the API's JSON and read back through its validation."""
    for rule in DEFAULT_RULES:
        when, then = (
            stored(RuleWhen.from_domain(rule.when)),
            stored(RuleThen.from_domain(rule.then)),
        )
        assert domain_rule(rule.id, rule.name, when, then) == rule


# --- priority and kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "priority"),
    [
        (Kind.COMPLAINT, Priority.HIGH),
        (Kind.INQUIRY, Priority.LOW),
        (Kind.SUGGESTION, Priority.LOW),
        (Kind.REPAIR, Priority.NORMAL),
        (Kind.INCIDENT, Priority.NORMAL),
    ],
)
def test_without_a_rule_priority_the_kind_decides(kind: Kind, priority: Priority) -> None:
    rule = _rule("any", When(), Then(Queue.CUSTOMER_SERVICE))

    assert route(Draft(description="物业", kind=kind), [rule]).priority is priority


def test_rule_priority_and_kind_override_the_defaults() -> None:
    rule = _rule("r", When(), Then(Queue.CLEANING, Priority.HIGH, kind=Kind.TASK))

    decision = route(Draft(description="物业", kind=Kind.INQUIRY), [rule])

    assert (decision.priority, decision.kind) == (Priority.HIGH, Kind.TASK)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我要投诉楼上天天半夜弹琴", Kind.COMPLAINT),
        ("咨询一下物业费的收费标准", Kind.INQUIRY),
        ("请问游泳池几点开门", Kind.INQUIRY),
        ("怎么办理业主卡", Kind.INQUIRY),
        ("建议小区增加几个快递柜", Kind.SUGGESTION),
        ("厨房水龙头滴水", Kind.REPAIR),
        ("请问能派人来修一下水龙头吗", Kind.REPAIR),  # a question that names a fault is a repair
        ("I want to complain about the night guard", Kind.COMPLAINT),
        ("How do I get a parking permit?", Kind.INQUIRY),
        ("It would be nice to have more benches by the pond", Kind.SUGGESTION),
    ],
)
def test_kind_is_inferred_from_wording(text: str, kind: Kind) -> None:
    assert route(Draft(description=text)).kind is kind


def test_kind_follows_the_queue_when_the_wording_says_nothing() -> None:
    fight = _Stub(((Queue.SECURITY, 0.9), (Queue.ENGINEERING, 0.1)))

    assert route(Draft(description="小区门口有人打架"), classifier=fight).kind is Kind.INCIDENT


def test_owner_chosen_kind_is_kept_when_the_rule_has_none() -> None:
    assert route(Draft(description="厨房水龙头滴水", kind=Kind.COMPLAINT)).kind is Kind.COMPLAINT


# --- the caller's category: the one default judgement that stays a rule ------------------------


def test_known_category_routes_to_its_department() -> None:
    decision = route(Draft(description="按钮没反应", category="elevator"))

    assert decision.queue is Queue.ENGINEERING
    assert decision.category == "elevator"
    assert decision.reason == "category elevator"
    assert (decision.source, decision.rule_id, decision.confidence) == (
        "rule",
        "default:category-engineering",
        1.0,
    )


def test_category_beats_the_model() -> None:
    text = "地库入口的栏杆一直不抬"
    model = _Stub(((Queue.ENGINEERING, 0.9), (Queue.SECURITY, 0.1)))

    assert route(Draft(description=text), classifier=model).queue is Queue.ENGINEERING
    chosen = route(Draft(description=text, category="parking"), classifier=model)
    assert (chosen.queue, chosen.source) == (Queue.SECURITY, "rule")


def test_a_danger_raises_the_priority_whatever_the_category() -> None:
    decision = route(Draft(description="有人被困在里面了", category="elevator"))

    assert decision.priority is Priority.URGENT
    assert decision.rule_id == "default:category-engineering"
    assert decision.reason == "category elevator; urgent: trapped: 被困"


def test_unknown_category_is_ignored() -> None:
    decision = route(Draft(description="楼道灯不亮", category="lighting"))

    assert (decision.triage, decision.category) == (True, None)


@pytest.mark.parametrize(
    ("category", "queue", "priority"),
    [
        ("service_complaint", Queue.CUSTOMER_SERVICE, Priority.HIGH),
        ("suggestion", Queue.CUSTOMER_SERVICE, Priority.LOW),
        ("invoice", Queue.CUSTOMER_SERVICE, Priority.LOW),
        ("greening", Queue.CLEANING, Priority.NORMAL),
        ("dispute", Queue.SECURITY, Priority.NORMAL),
    ],
)
def test_every_department_honours_its_categories(
    category: str, queue: Queue, priority: Priority
) -> None:
    decision = route(Draft(description="见附件照片", category=category))

    assert (decision.queue, decision.priority, decision.category) == (queue, priority, category)


def test_default_rules_are_well_formed() -> None:
    ids = [rule.id for rule in DEFAULT_RULES]
    assert len(ids) == len(set(ids)), "rule ids must be unique: they are stored and referenced"
    for rule in DEFAULT_RULES:
        assert re.fullmatch(r"default:[a-z0-9-]+", rule.id), rule.id
        assert re.search(r"[\u4e00-\u9fff]", rule.name), f"{rule.id} needs a Chinese name"
        assert not rule.when.keywords, "the defaults judge no words: that is the model's job"
        for category in rule.when.categories:
            owner, _ = CATEGORIES[category]
            assert owner is rule.then.queue, f"{rule.id} files {category} elsewhere"


def test_every_known_category_is_honoured_by_some_rule() -> None:
    covered = {category for rule in DEFAULT_RULES for category in rule.when.categories}

    assert covered == set(CATEGORIES)


# --- rules, model and triage together -----------------------------------------------------------


@dataclass
class _Stub:
    """A classifier that says what it is told: the domain knows models only by their protocol."""

    ranked: tuple[tuple[Queue, float], ...]
    urgent: bool = False
    priority: Priority = Priority.NORMAL
    version: str = "stub-1"

    def judge(self, text: str) -> Judgement:
        return Judgement(
            ranked=self.ranked,
            evidence=("漏水", "水管"),
            urgent=self.urgent,
            urgency_evidence=("model: urgent 0.80",) if self.urgent else (),
            priority=self.priority,
        )


SURE = _Stub(((Queue.ENGINEERING, 0.93), (Queue.CLEANING, 0.04), (Queue.SECURITY, 0.02), (Queue.CUSTOMER_SERVICE, 0.01)))  # fmt: skip
UNSURE = _Stub(((Queue.CLEANING, 0.41), (Queue.ENGINEERING, 0.38), (Queue.SECURITY, 0.12), (Queue.CUSTOMER_SERVICE, 0.09)))  # fmt: skip


def test_a_matching_rule_wins_over_the_model() -> None:
    decision = route(Draft(description="厨房漏水"), [ANY_WATER], SURE)

    assert (decision.queue, decision.source, decision.confidence) == (Queue.CLEANING, "rule", 1.0)
    assert decision.model_version is None


def test_a_confident_model_decides_and_says_why() -> None:
    decision = route(Draft(description="厨房水管漏水"), [], SURE, threshold=0.5)

    assert (decision.queue, decision.triage, decision.source) == (Queue.ENGINEERING, False, "model")
    assert (decision.model_version, decision.confidence) == ("stub-1", 0.93)
    assert decision.evidence == ("漏水", "水管")
    assert decision.reason == "model: engineering 0.93 (漏水, 水管)"
    assert decision.routing_data() == {
        "source": "model",
        "rule_id": None,
        "rule_name": None,
        "model_version": "stub-1",
        "confidence": 0.93,
        "evidence": ["漏水", "水管"],
        "reason": "model: engineering 0.93 (漏水, 水管)",
        "suggestions": [],
    }


def test_an_unsure_model_hands_the_order_to_triage_with_its_best_two_guesses() -> None:
    decision = route(Draft(description="楼下那块地方有点问题"), [], UNSURE, threshold=0.5)

    assert (decision.queue, decision.triage, decision.source) == (
        Queue.CUSTOMER_SERVICE,
        True,
        "triage",
    )
    assert decision.suggestions == (
        Suggestion(Queue.CLEANING, 0.41),
        Suggestion(Queue.ENGINEERING, 0.38),
    )
    assert decision.routing_data()["suggestions"] == [
        {"queue": "cleaning", "confidence": 0.41},
        {"queue": "engineering", "confidence": 0.38},
    ]
    assert decision.reason == "triage: model unsure (cleaning 0.41, engineering 0.38)"


def test_the_threshold_is_the_line_between_model_and_triage() -> None:
    assert route(Draft(description="x"), [], UNSURE, threshold=0.41).source == "model"
    assert route(Draft(description="x"), [], UNSURE, threshold=0.42).source == "triage"


def test_without_a_model_the_router_still_routes_by_rules_then_triage() -> None:
    assert route(Draft(description="厨房漏水"), [LEAK], None).source == "rule"
    decision = route(Draft(description="厨房漏水"), [], None)
    assert (decision.source, decision.suggestions, decision.model_version) == ("triage", (), None)
    assert decision.reason == "no rule matched"


def test_urgency_only_raises_a_priority() -> None:
    calm = _Stub(SURE.ranked, urgent=False, priority=Priority.LOW)
    urgent_rule = _rule("u", When(keywords=("漏水",)), Then(Queue.ENGINEERING, Priority.URGENT))
    high_rule = _rule("h", When(keywords=("漏水",)), Then(Queue.ENGINEERING, Priority.HIGH))

    assert route(Draft(description="厨房漏水"), [urgent_rule], calm).priority is Priority.URGENT
    assert route(Draft(description="厨房漏水"), [high_rule], calm).priority is Priority.HIGH
    alarmed = _Stub(SURE.ranked, urgent=True, priority=Priority.LOW)
    decision = route(Draft(description="厨房漏水"), [high_rule], alarmed)
    assert decision.priority is Priority.URGENT
    assert decision.reason.endswith("; urgent: model: urgent 0.80")


def test_urgency_does_not_depend_on_the_rules_or_a_model() -> None:
    decision = route(Draft(description="家里燃气味很重"), rules=[])

    assert decision.triage is True
    assert decision.priority is Priority.URGENT
    assert decision.reason == "no rule matched; urgent: gas: 燃气味"


def test_with_a_model_its_judgement_of_urgency_is_the_decision() -> None:
    """The model weighs the concepts itself and may overrule one ("fire lane"): the router takes
    its word, so the service decides as the model was evaluated."""
    sure_it_is_not = _Stub(SURE.ranked, urgent=False, priority=Priority.NORMAL)

    gas = Draft(description="家里燃气味很重")

    assert route(gas, [], sure_it_is_not).priority is Priority.NORMAL
    assert route(gas, [], None).priority is Priority.URGENT


def test_urgency_raises_a_lower_rule_priority_and_says_why() -> None:
    lift = _rule("lift", When(keywords=("电梯",)), Then(Queue.ENGINEERING, Priority.NORMAL))

    decision = route(Draft(description="电梯停在两层中间，里面有人"), [lift])

    assert decision.priority is Priority.URGENT
    assert decision.reason.startswith("keyword 电梯 matched; urgent: trapped")


@pytest.mark.parametrize(
    "text",
    [
        "上周漏过水，已经修好了",
        "It leaked last week, it is fixed now",
        "上次电梯困人你们四十分钟才到",
        "建议加装燃气泄漏报警器",
        "万一电梯困人了怎么办",
        "What should we do if there is a fire?",
        "燃气灶点不着火",
        "花坛里全是烟头",
        "The smoke alarm in the hallway keeps beeping",
        "已经没有燃气味了",
    ],
)
def test_the_danger_concepts_ignore_the_past_the_negated_and_the_hypothetical(text: str) -> None:
    assert route(Draft(description=text), rules=[]).priority is not Priority.URGENT


@pytest.mark.parametrize(
    "text",
    [
        "The lift stopped between floors and my son is inside",
        "Water is gushing out of the pipe under the sink",
        "Strong smell of gas on the 4th floor landing",
        "Sparks coming out of the socket in the kitchen",
        "A man with a knife is threatening people at the gate",
        "An elderly lady fainted by the mailboxes",
        "电梯停了，我在里面出不去",
        "插座冒火花了",
        "楼下有辆车起火了",
    ],
)
def test_the_danger_concepts_find_emergencies_in_both_languages(text: str) -> None:
    assert route(Draft(description=text), rules=[]).priority is Priority.URGENT


@given(
    description=st.text(max_size=60),
    title=st.none() | st.text(max_size=20),
    category=st.none() | st.sampled_from(sorted(CATEGORIES)) | st.text(max_size=8),
    kind=st.none() | st.sampled_from(Kind),
    hour=st.none() | st.integers(0, 23),
)
def test_route_always_decides_consistently(
    description: str, title: str | None, category: str | None, kind: Kind | None, hour: int | None
) -> None:
    draft = Draft(description, title, category, kind, local_hour=hour)

    decision = route(draft, classifier=UNSURE)

    assert decision.triage is (decision.source == "triage")
    assert (decision.source == "rule") is (decision.rule_id is not None)
    assert decision.reason
    if decision.triage:
        assert decision.queue is Queue.CUSTOMER_SERVICE
        assert len(decision.suggestions) == 2
    assert decision == route(draft, classifier=UNSURE)
