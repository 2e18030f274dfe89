"""The shape of a routing rule and the few rules every property starts with.

The shape lives here rather than in routing.py so that this data module needs nothing from the
router (routing.py imports DEFAULT_RULES for its default argument; the reverse would be circular).
Rules are plain frozen data so that they can be stored, edited and compared as values.

Why so few default rules: the default judgement of a request's text is the learned model's
(`workorders.routing_model`), which generalises to wordings nobody wrote a keyword for. The former
66 keyword rules scored 99.6% on the cases they were written from and 84% on requests they had
never seen. What stays is only what is explicit, not guessed: the caller chose a category, and
that category belongs to one department. A property adds its own rules on top as data.
"""

from __future__ import annotations

from dataclasses import dataclass

from workorders.domain.dispatch import Strategy
from workorders.domain.taxonomy import CATEGORIES, Kind, Priority, Queue


@dataclass(frozen=True)
class Pair:
    """Two words that say something together wherever they stand: any subject and any action.

    Owners put words between the thing and what it does ("狗整夜叫", "树枝被风刮断了"), so a
    family of such sentences is one pair, not a list of every phrasing.
    """

    subjects: tuple[str, ...]
    actions: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.subjects or not self.actions:
            raise ValueError("a pair needs at least one subject and one action")


@dataclass(frozen=True)
class When:
    """Conditions of a rule; every condition given must hold, and an empty When always holds.

    The text condition (keywords and pairs) holds when any keyword or any pair is found.
    """

    categories: tuple[str, ...] = ()
    kinds: tuple[Kind, ...] = ()
    keywords: tuple[str, ...] = ()  # any-of Chinese substrings in title+description
    exclude_keywords: tuple[str, ...] = ()  # none of these may appear
    channels: tuple[str, ...] = ()
    hours: tuple[int, int] | None = None  # [start, end) local hours, may wrap midnight e.g. (22, 6)
    pairs: tuple[Pair, ...] = ()
    buildings: tuple[str, ...] = ()  # the location's building, one of these
    areas: tuple[str, ...] = ()  # the location's public area contains one of these

    def __post_init__(self) -> None:
        # A rule stored with a bad window would silently never (or always) match; refuse it early.
        if self.hours is not None:
            start, end = self.hours
            if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
                raise ValueError(
                    f"hours must be [start, end) within 0-24, start != end: {self.hours}"
                )
        words = (*self.keywords, *self.exclude_keywords, *self.buildings, *self.areas)
        words += tuple(w for pair in self.pairs for w in (*pair.subjects, *pair.actions))
        if any(not word.strip() for word in words):
            raise ValueError("an empty keyword would match every request")


@dataclass(frozen=True)
class Then:
    queue: Queue
    priority: Priority | None = None  # None: keep the computed/default priority
    category: str | None = None
    kind: Kind | None = None
    dispatch: Strategy | None = None  # None: the queue's own strategy
    skills: tuple[str, ...] = ()  # automatic dispatch only considers staff with all of these


@dataclass(frozen=True)
class Rule:
    id: str  # stable slug, e.g. "default-elevator-entrapment"
    name: str  # Chinese, e.g. "电梯困人"
    when: When
    then: Then


ENG, SEC, CLN, CS = Queue.ENGINEERING, Queue.SECURITY, Queue.CLEANING, Queue.CUSTOMER_SERVICE

# Bumped whenever DEFAULT_RULES change, so a stored decision can say which defaults made it.
DEFAULT_RULES_VERSION = "2"


def _by_queue(queue: Queue) -> tuple[str, ...]:
    return tuple(name for name, (owner, _) in CATEGORIES.items() if owner is queue)


def _category_rule(queue: Queue, label: str) -> Rule:
    # Then.category stays None: the router keeps the caller's own category.
    return Rule(
        id=f"default:category-{queue.value.replace('_', '-')}",
        name=f"所选类别归{label}",
        when=When(categories=_by_queue(queue)),
        then=Then(queue),
    )


DEFAULT_RULES: tuple[Rule, ...] = (
    _category_rule(ENG, "工程维修"),
    _category_rule(SEC, "秩序维护"),
    _category_rule(CLN, "环境保洁"),
    _category_rule(CS, "客户服务"),
)
