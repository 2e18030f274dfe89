"""Routing: the rule mechanics, the default rules' intent, and accuracy on the labelled set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workorders.domain.dispatch import Strategy
from workorders.domain.routing import DEFAULT_RULES, Draft, Pair, Rule, Then, When, route
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue
from workorders.schemas.routing import RuleThen, RuleWhen, domain_rule, stored

CASES_PATH = Path(__file__).parent.parent / "routing_cases.jsonl"


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
        ("小区门口有人打架", Kind.INCIDENT),
        ("厨房水龙头滴水", Kind.REPAIR),
        ("请问能派人来修一下水龙头吗", Kind.REPAIR),  # a question that names a fault is a repair
    ],
)
def test_kind_is_inferred_from_wording_then_from_the_queue(text: str, kind: Kind) -> None:
    assert route(Draft(description=text)).kind is kind


def test_owner_chosen_kind_is_kept_when_the_rule_has_none() -> None:
    assert route(Draft(description="厨房水龙头滴水", kind=Kind.COMPLAINT)).kind is Kind.COMPLAINT


# --- the caller's category --------------------------------------------------------------------


def test_known_category_routes_to_its_department() -> None:
    decision = route(Draft(description="按钮没反应", category="elevator"))

    assert decision.queue is Queue.ENGINEERING
    assert decision.category == "elevator"
    assert decision.reason == "category elevator"


def test_category_beats_a_generic_keyword_guess() -> None:
    text = "地库入口的栏杆一直不抬"

    assert route(Draft(description=text)).queue is Queue.ENGINEERING
    assert route(Draft(description=text, category="parking")).queue is Queue.SECURITY


def test_emergency_words_beat_the_category() -> None:
    decision = route(Draft(description="有人被困在里面了", category="elevator"))

    assert decision.priority is Priority.URGENT
    assert decision.rule_id == "default-emergency-entrapment"
    assert decision.reason == "keyword 被困 matched"


def test_unknown_category_is_ignored() -> None:
    decision = route(Draft(description="楼道灯不亮", category="lighting"))

    assert (decision.queue, decision.category) == (Queue.ENGINEERING, "electrical")


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


# --- urgency ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "queue"),
    [
        ("电梯困人了，快来", Queue.ENGINEERING),
        ("电梯停了，我在里面出不去", Queue.ENGINEERING),
        ("卡在电梯里了", Queue.ENGINEERING),
        ("水管爆了，客厅都是水", Queue.ENGINEERING),
        ("楼上漫水下来了", Queue.ENGINEERING),
        ("厨房有股煤气味", Queue.ENGINEERING),
        ("天然气管子那里好像在漏", Queue.ENGINEERING),
        ("插座冒火花了", Queue.ENGINEERING),
        ("电线那里冒烟了", Queue.ENGINEERING),
        ("楼下有辆车起火了", Queue.SECURITY),
        ("防盗门被撬了", Queue.SECURITY),
        ("有人高空抛物", Queue.SECURITY),
        ("楼上丢下来一个花盆，差点砸到我", Queue.SECURITY),
        ("有个人晕倒在大堂", Queue.SECURITY),
    ],
)
def test_every_emergency_family_is_urgent(text: str, queue: Queue) -> None:
    decision = route(Draft(description=text))

    assert (decision.priority, decision.queue) == (Priority.URGENT, queue)


def test_urgency_does_not_depend_on_the_rules() -> None:
    decision = route(Draft(description="家里燃气味很重"), rules=[])

    assert decision.triage is True
    assert decision.priority is Priority.URGENT
    assert decision.reason == "no rule matched; urgent sign 燃气味"


def test_urgency_raises_a_lower_rule_priority_and_says_why() -> None:
    decision = route(Draft(description="电梯停在两层中间，里面有人"))

    assert decision.rule_id == "default-elevator"
    assert decision.priority is Priority.URGENT
    assert decision.reason == "keyword 电梯 matched; urgent sign 电梯+里面有人"


@pytest.mark.parametrize(
    "text",
    [
        "上次电梯困人你们四十分钟才到",  # a complaint about a past emergency
        "建议加装燃气泄漏报警器",  # a suggestion
        "万一电梯困人了怎么办",  # a hypothetical question
        "燃气灶点不着火",  # "着火" inside "点不着火"
        "轮胎漏气了",  # not gas
        "花坛里全是烟头",  # "全是烟" inside "全是烟头"
    ],
)
def test_past_hypothetical_and_lookalike_dangers_are_not_urgent(text: str) -> None:
    assert route(Draft(description=text)).priority is not Priority.URGENT


# --- default rules: cross-topic sentences and their data ---------------------------------------


@pytest.mark.parametrize(
    ("text", "queue", "priority"),
    [
        ("投诉维修师傅态度很差", Queue.CUSTOMER_SERVICE, Priority.HIGH),
        ("我报修三天了还没人来，要投诉", Queue.CUSTOMER_SERVICE, Priority.HIGH),
        ("建议小区增加几个快递柜", Queue.CUSTOMER_SERVICE, Priority.LOW),
        ("电梯轿厢里有呕吐物", Queue.CLEANING, Priority.HIGH),
        ("消防通道被电动车堵死了", Queue.SECURITY, Priority.HIGH),
        ("空调外机噪音大而且不制冷", Queue.ENGINEERING, Priority.NORMAL),
        ("楼上装修噪音太大，晚上十点还在砸墙", Queue.SECURITY, Priority.NORMAL),
        ("我家要装修，需要去哪里备案", Queue.CUSTOMER_SERVICE, Priority.LOW),
    ],
)
def test_cross_topic_sentences(text: str, queue: Queue, priority: Priority) -> None:
    decision = route(Draft(description=text))

    assert (decision.queue, decision.priority) == (queue, priority)


def test_the_issues_three_examples() -> None:
    noise = route(Draft(description="隔壁凌晨一点还在唱歌", local_hour=1))
    assert (noise.queue, noise.category) == (Queue.SECURITY, "noise")
    trapped = route(Draft(description="有人被关在电梯里了"))
    assert (trapped.queue, trapped.priority) == (Queue.ENGINEERING, Priority.URGENT)
    fee = route(Draft(description="物业费可以按季度交吗"))
    assert (fee.queue, fee.category, fee.triage) == (Queue.CUSTOMER_SERVICE, "fees", False)


def test_night_noise_says_it_was_at_night() -> None:
    decision = route(Draft(description="楼下说话声音很大", local_hour=23))

    assert decision.queue is Queue.SECURITY
    assert decision.reason == "keyword 声音 matched at night (22:00-06:00)"
    # In daytime "声音" alone is too vague to call a disturbance.
    assert route(Draft(description="楼下说话声音很大", local_hour=15)).triage


def test_default_rules_are_well_formed() -> None:
    ids = [rule.id for rule in DEFAULT_RULES]
    assert len(ids) == len(set(ids)), "rule ids must be unique: they are stored and referenced"
    for rule in DEFAULT_RULES:
        assert re.fullmatch(r"default-[a-z0-9-]+", rule.id), rule.id
        assert re.search(r"[\u4e00-\u9fff]", rule.name), f"{rule.id} needs a Chinese name"
        if rule.then.category is not None:
            owner, _ = CATEGORIES[rule.then.category]
            assert owner is rule.then.queue, f"{rule.id} files {rule.then.category} elsewhere"
        for category in rule.when.categories:
            assert category in CATEGORIES, f"{rule.id}: unknown category {category}"


def test_every_known_category_is_honoured_by_some_rule() -> None:
    covered = {category for rule in DEFAULT_RULES for category in rule.when.categories}

    assert covered == set(CATEGORIES)


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

    decision = route(draft)

    assert decision.triage is (decision.rule_id is None)
    assert decision.reason
    if decision.triage:
        assert decision.queue is Queue.CUSTOMER_SERVICE
    assert decision == route(draft)


# --- accuracy on the project's labelled set -----------------------------------------------------


def test_accuracy_on_labelled_cases() -> None:
    cases = [json.loads(line) for line in CASES_PATH.read_text("utf-8").splitlines() if line]
    queue_hits = priority_hits = urgent_found = 0
    urgent_total = sum(case["urgent"] for case in cases)
    misses: list[str] = []
    missed_urgent: list[str] = []
    for case in cases:
        decision = route(Draft(description=case["description"]))
        queue_ok = decision.queue == case["queue"]
        queue_hits += queue_ok
        priority_hits += decision.priority == case["priority"]
        if case["urgent"]:
            if decision.priority is Priority.URGENT:
                urgent_found += 1
            else:
                missed_urgent.append(case["description"])
        if not queue_ok or decision.priority != case["priority"]:
            misses.append(
                f"  {case['description']}\n"
                f"    want {case['queue']}/{case['priority']}, got {decision.queue}/"
                f"{decision.priority} ({decision.rule_id}: {decision.reason})"
            )
    queue_accuracy = queue_hits / len(cases)
    print(f"\nrouting on {len(cases)} labelled cases:")
    print(f"  queue accuracy    {queue_accuracy:.3f}")
    print(f"  urgent recall     {urgent_found}/{urgent_total}")
    print(f"  priority accuracy {priority_hits / len(cases):.3f}")
    print("misrouted or misprioritised:\n" + ("\n".join(misses) or "  none"))

    assert len(cases) >= 160
    assert urgent_total >= 20
    assert queue_accuracy >= 0.95
    assert not missed_urgent, f"urgent cases not found: {missed_urgent}"
