"""A property's routing rules as it routes with them: the package's default rules, overlaid with the
property's own edits.

The defaults are an asset of the package and are never copied into a property: a property stores only
what it decided itself — its own rules, its changes to a default (by the default's stable id, only the
changed parts), and the defaults it disabled — so that an upgrade of the defaults reaches every property
at once, and nothing is written on a request path.

Order (first match wins): the defaults in the package's order; each of the property's own rules sits
right after the default named by its `anchor` (before every default when it has none, or when that
default is no longer in the package: an explicit decision of the property should not lose to a
default because the default it followed went away).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from sqlalchemy import select

from workorders.domain.default_rules import DEFAULT_RULES
from workorders.errors import Forbidden, _
from workorders.models import Property, RoutingRule, RoutingRuleOverride
from workorders.schemas.routing import RuleThen, RuleWhen, domain_rule, stored

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.routing import Rule

log = logging.getLogger(__name__)

RULES_KEY = "routing.rules"
Origin = Literal["default", "property"]


@dataclass(frozen=True)
class DefaultRule:
    """A default rule in the stored shapes, as an edit is compared with it."""

    id: str
    name: str
    when: dict[str, Any]
    then: dict[str, Any]
    rule: Rule


@cache
def defaults() -> tuple[DefaultRule, ...]:
    return tuple(
        DefaultRule(
            id=rule.id,
            name=rule.name,
            when=stored(RuleWhen.from_domain(rule.when)),
            then=stored(RuleThen.from_domain(rule.then)),
            rule=rule,
        )
        for rule in DEFAULT_RULES
    )


@cache
def defaults_by_id() -> dict[str, DefaultRule]:
    return {d.id: d for d in defaults()}


@dataclass
class EffectiveRule:
    """A rule as the property routes with it; `row` is the stored edit behind it, if any."""

    id: str
    name: str
    position: int
    version: int
    enabled: bool
    when: dict[str, Any]
    then: dict[str, Any]
    origin: Origin
    edited: bool
    created_at: datetime
    updated_at: datetime
    row: RoutingRule | RoutingRuleOverride | None = None


@dataclass
class Edits:
    since: datetime  # the property's creation: when it got the defaults
    own: list[RoutingRule]
    overrides: dict[str, RoutingRuleOverride]


async def load_edits(session: AsyncSession, property_id: str) -> Edits:
    since = await session.scalar(select(Property.created_at).where(Property.id == property_id))
    if since is None:
        raise Forbidden(_("property {property_id} does not exist", property_id=property_id))
    own = (
        await session.execute(
            select(RoutingRule)
            .where(RoutingRule.property_id == property_id)
            .order_by(RoutingRule.position, RoutingRule.created_at, RoutingRule.id)
        )
    ).scalars()
    overrides = (
        await session.execute(
            select(RoutingRuleOverride).where(RoutingRuleOverride.property_id == property_id)
        )
    ).scalars()
    return Edits(since, list(own), {o.default_id: o for o in overrides})


def merged(
    default: DefaultRule, edit: RoutingRuleOverride | None, since: datetime
) -> EffectiveRule:
    def pick(value: Any, fallback: Any) -> Any:
        return fallback if value is None else value

    return EffectiveRule(
        id=default.id,
        name=pick(edit and edit.name, default.name),
        position=0,
        version=edit.version if edit else 1,
        enabled=pick(edit and edit.enabled, True),
        when=pick(edit and edit.when, default.when),
        then=pick(edit and edit.then, default.then),
        origin="default",
        edited=edit is not None,
        created_at=since,
        updated_at=edit.updated_at if edit else since,
        row=edit,
    )


def own(row: RoutingRule) -> EffectiveRule:
    return EffectiveRule(
        id=row.id,
        name=row.name,
        position=0,
        version=row.version,
        enabled=row.enabled,
        when=row.when,
        then=row.then,
        origin="property",
        edited=True,
        created_at=row.created_at,
        updated_at=row.updated_at,
        row=row,
    )


def effective(edits: Edits) -> list[EffectiveRule]:
    """Every rule of the property in the order they are tried, numbered from 0."""
    known = defaults_by_id()
    after: dict[str | None, list[RoutingRule]] = {}
    for row in edits.own:
        after.setdefault(row.anchor if row.anchor in known else None, []).append(row)
    rules = [own(r) for r in after.get(None, [])]
    for default in defaults():
        rules.append(merged(default, edits.overrides.get(default.id), edits.since))
        rules.extend(own(r) for r in after.get(default.id, []))
    for position, rule in enumerate(rules):
        rule.position = position
    return rules


def renumber(rules: Sequence[EffectiveRule]) -> None:
    """Store the order `rules` stand in: each own rule's anchor is the default just before it."""
    anchor: str | None = None
    mine = 0
    for rule in rules:
        if rule.origin == "default":
            anchor = rule.id
            continue
        row = rule.row
        assert isinstance(row, RoutingRule)
        if (row.anchor, row.position) != (anchor, mine):
            row.anchor, row.position = anchor, mine
        mine += 1
    for position, rule in enumerate(rules):
        rule.position = position


async def load_rules(session: AsyncSession, property_id: str) -> tuple[Rule, ...]:
    """The property's enabled rules, first to try first, parsed for the domain."""
    rules: list[Rule] = []
    for rule in effective(await load_edits(session, property_id)):
        if not rule.enabled:
            continue
        if rule.row is None:
            rules.append(defaults_by_id()[rule.id].rule)
            continue
        try:
            rules.append(domain_rule(rule.id, rule.name, rule.when, rule.then))
        except (ValidationError, ValueError):
            # Written through the same validation; only a vocabulary change could get here, and
            # one stale rule must not stop every new order from being filed.
            log.exception("routing rule %s no longer validates; skipped", rule.id)
    return tuple(rules)
