"""Dispatch: who of a department gets an order, and why each of the others did not.

Pure: the caller passes the department's staff with their current load and whatever history matters
(who declined the order, who got the queue's last order). Every decision is returned with its
candidates and exclusions so that it can be written on the assignment's event and read back later.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from workorders.errors import Text, _

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence


class Strategy(StrEnum):
    MANUAL = "manual"  # the supervisor assigns; staff may not claim
    CLAIM = "claim"  # 抢单: the department's staff claim from the queue
    ROUND_ROBIN = "round_robin"  # the next eligible person after the one who got the last order
    LEAST_LOADED = "least_loaded"  # the eligible person with the fewest open orders

    @property
    def automatic(self) -> bool:
        return self in (Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED)


# A queue without its own setting lets its staff claim: the service's behaviour before dispatch
# strategies existed, and the one that needs no supervisor at the desk.
DEFAULT_STRATEGY = Strategy.CLAIM


@dataclass(frozen=True)
class Member:
    """A staff member of the order's department as dispatch sees them, in a stable order."""

    staff_id: str
    on_duty: bool
    max_open: int
    open_orders: int
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Exclusion:
    staff_id: str
    reason: str


@dataclass(frozen=True)
class Pick:
    strategy: Strategy
    candidates: tuple[str, ...]  # eligible, in the order the strategy considered them
    excluded: tuple[Exclusion, ...]
    chosen: str | None

    def as_data(self) -> dict[str, Any]:
        """The decision as it is written on the event."""
        return {
            "strategy": str(self.strategy),
            "candidates": list(self.candidates),
            "excluded": [{"staff_id": e.staff_id, "reason": e.reason} for e in self.excluded],
            "chosen": self.chosen,
        }


def capacity_refusal(member: Member) -> Text | None:
    """Why this person may not take one more order now, or None: shared by claims and dispatch
    (words for the caller, said in their language; `str()` gives the English the events record)."""
    if not member.on_duty:
        return _("off duty")
    if member.open_orders >= member.max_open:
        return _(
            "at capacity ({count}/{most} open)", count=member.open_orders, most=member.max_open
        )
    return None


def claim_refusal(member: Member, strategy: Strategy | None) -> Text | None:
    """Why this person may not claim (抢单) an order dispatched by `strategy`, or None."""
    if strategy is Strategy.MANUAL:
        return _("orders in this queue are assigned by the supervisor")
    refusal = capacity_refusal(member)
    return _("you are {refusal}", refusal=refusal) if refusal else None


def exclusion(member: Member, skills: Collection[str], declined: Collection[str]) -> str | None:
    """Why automatic dispatch passes over this person for this order, or None."""
    if member.staff_id in declined:
        return "declined this order"
    refusal = capacity_refusal(member)
    if refusal is not None:
        return str(refusal)
    missing = sorted(set(skills) - member.skills)
    if missing:
        return f"lacks skills: {', '.join(missing)}"
    return None


def choose(
    strategy: Strategy,
    members: Sequence[Member],
    *,
    skills: Collection[str] = (),
    declined: Collection[str] = (),
    last_assignee: str | None = None,
) -> Pick:
    """The automatic choice among `members` (the department's staff, in a stable order)."""
    if not strategy.automatic:
        raise ValueError(f"{strategy} is not an automatic strategy")
    eligible: list[Member] = []
    excluded: list[Exclusion] = []
    for member in members:
        reason = exclusion(member, skills, declined)
        if reason is None:
            eligible.append(member)
        else:
            excluded.append(Exclusion(member.staff_id, reason))
    if strategy is Strategy.ROUND_ROBIN:
        ordered = _after(members, eligible, last_assignee)
    else:
        # Stable sort: among equally loaded people the directory order decides, deterministically.
        ordered = sorted(eligible, key=lambda m: m.open_orders)
    return Pick(
        strategy=strategy,
        candidates=tuple(m.staff_id for m in ordered),
        excluded=tuple(excluded),
        chosen=ordered[0].staff_id if ordered else None,
    )


def _after(members: Sequence[Member], eligible: Sequence[Member], last: str | None) -> list[Member]:
    """The eligible members rotated to start just after `last` in the full member order.

    The rotation is over everyone, not only the eligible, so that someone going off duty does not
    shift whose turn it is for the others.
    """
    ids = [m.staff_id for m in members]
    if last not in ids:
        return list(eligible)
    start = ids.index(last) + 1
    rank = {staff_id: (i - start) % len(ids) for i, staff_id in enumerate(ids)}
    return sorted(eligible, key=lambda m: rank[m.staff_id])
