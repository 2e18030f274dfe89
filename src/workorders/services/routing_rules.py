"""A property's routing rules: the package's default rules, overlaid with the property's own edits.

The defaults are an asset of the package and are never copied into a property: a property stores only
what it decided itself — its own rules, its changes to a default (by the default's stable id), and the
defaults it disabled — so that an upgrade of the defaults reaches every property at once, and nothing is
written on a request path.

Order (first match wins): the defaults in the package's order; each of the property's own rules sits
right after the default named by its `anchor` (before every default when it has none, or when that
default is no longer in the package: an explicit decision of the property should not lose to a
default because the default it followed went away).

Every edit `touch`es the property's configuration, which is also what serialises concurrent editors
(the touch updates the property's row first). Routing reads the parsed rules once per configuration
revision through the configuration cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError
from sqlalchemy import select

from workorders.db import new_id
from workorders.domain.actors import Principal, Role
from workorders.domain.default_rules import DEFAULT_RULES
from workorders.domain.taxonomy import CATEGORIES
from workorders.errors import FieldError, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from workorders.models import Event, Property, RoutingRule, RoutingRuleOverride
from workorders.schemas.routing import RuleThen, RuleWhen, domain_rule, stored
from workorders.services import configuration

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from workorders.domain.routing import Rule
    from workorders.schemas.routing import RoutingRuleCreate, RoutingRuleUpdate
    from workorders.services.context import Context

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
def _defaults_by_id() -> dict[str, DefaultRule]:
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
class _Edits:
    since: datetime  # the property's creation: when it got the defaults
    own: list[RoutingRule]
    overrides: dict[str, RoutingRuleOverride]


async def _edits(session: AsyncSession, property_id: str) -> _Edits:
    since = await session.scalar(select(Property.created_at).where(Property.id == property_id))
    if since is None:
        raise Forbidden(f"property {property_id} does not exist")
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
    return _Edits(since, list(own), {o.default_id: o for o in overrides})


def _merged(
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


def _own(row: RoutingRule) -> EffectiveRule:
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


def effective(edits: _Edits) -> list[EffectiveRule]:
    """Every rule of the property in the order they are tried, numbered from 0."""
    known = _defaults_by_id()
    after: dict[str | None, list[RoutingRule]] = {}
    for row in edits.own:
        after.setdefault(row.anchor if row.anchor in known else None, []).append(row)
    rules = [_own(r) for r in after.get(None, [])]
    for default in defaults():
        rules.append(_merged(default, edits.overrides.get(default.id), edits.since))
        rules.extend(_own(r) for r in after.get(default.id, []))
    for position, rule in enumerate(rules):
        rule.position = position
    return rules


def _renumber(rules: Sequence[EffectiveRule]) -> None:
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


# --- routing -------------------------------------------------------------------------------------


async def load_rules(session: AsyncSession, property_id: str) -> tuple[Rule, ...]:
    """The property's enabled rules, first to try first, parsed for the domain."""
    rules: list[Rule] = []
    for rule in effective(await _edits(session, property_id)):
        if not rule.enabled:
            continue
        if rule.row is None:
            rules.append(_defaults_by_id()[rule.id].rule)
            continue
        try:
            rules.append(domain_rule(rule.id, rule.name, rule.when, rule.then))
        except (ValidationError, ValueError):
            # Written through the same validation; only a vocabulary change could get here, and
            # one stale rule must not stop every new order from being filed.
            log.exception("routing rule %s no longer validates; skipped", rule.id)
    return tuple(rules)


# --- reading -------------------------------------------------------------------------------------


def _require_editor(principal: Principal) -> None:
    if principal.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden("routing rules belong to the manager and the admin")


async def list_rules(ctx: Context) -> list[EffectiveRule]:
    _require_editor(ctx.principal)
    return effective(await _edits(ctx.session, ctx.principal.property_id))


async def get_rule(ctx: Context, rule_id: str) -> EffectiveRule:
    _require_editor(ctx.principal)
    return _find(effective(await _edits(ctx.session, ctx.principal.property_id)), rule_id)


def _find(rules: Sequence[EffectiveRule], rule_id: str) -> EffectiveRule:
    found = next((r for r in rules if r.id == rule_id), None)
    if found is None:
        raise NotFound(f"routing rule {rule_id} does not exist")
    return found


# --- changing ------------------------------------------------------------------------------------


def check(when: RuleWhen, then: RuleThen, *, prefix: str = "") -> None:
    """What the body's types cannot say, each named by its field (under `prefix`)."""
    errors: list[FieldError] = []
    if then.category is not None:
        owner = CATEGORIES[then.category][0]
        if owner is not then.queue:
            errors.append(
                FieldError(
                    f"{prefix}then.category",
                    f"{then.category} belongs to the {owner} queue, not to {then.queue}",
                )
            )
    try:
        when.to_domain()
    except ValueError as refused:
        errors.append(FieldError(f"{prefix}when", str(refused)))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


async def _editing(ctx: Context) -> list[EffectiveRule]:
    """The rules as they stand, read after this transaction has claimed the right to change them."""
    await configuration.touch(ctx.session, ctx.principal.property_id)
    return effective(await _edits(ctx.session, ctx.principal.property_id))


async def create_rule(ctx: Context, body: RoutingRuleCreate) -> EffectiveRule:
    _require_editor(ctx.principal)
    check(body.when, body.then)
    rules = await _editing(ctx)
    position = len(rules) if body.position is None else body.position
    if position > len(rules):
        raise ValidationFailed.on("position", f"at most {len(rules)} (after the last rule)")
    row = RoutingRule(
        id=new_id("rule"),
        property_id=ctx.principal.property_id,
        position=0,
        anchor=None,
        version=1,
        enabled=body.enabled,
        name=body.name,
        when=stored(body.when),
        then=stored(body.then),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(row)
    rule = _own(row)
    rules.insert(position, rule)
    _renumber(rules)
    await ctx.session.flush()
    _record(ctx, "routing_rule.created", _facts(rule))
    return rule


async def update_rule(
    ctx: Context, rule_id: str, body: RoutingRuleUpdate, *, if_match: str | None
) -> EffectiveRule:
    _require_editor(ctx.principal)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "when", "then", "enabled"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, "cannot be cleared")
    rules = await _editing(ctx)
    rule = _find(rules, rule_id)
    when = body.when if body.when is not None else RuleWhen.model_validate(rule.when)
    then = body.then if body.then is not None else RuleThen.model_validate(rule.then)
    check(when, then)
    _check_version(rule, if_match)
    before = _facts(rule)
    if body.position is not None and body.position != rule.position:
        if rule.origin == "default":
            raise ValidationFailed.on(
                "position",
                "a default rule keeps its place; disable it and add a rule of your own where "
                "you need one",
            )
        if body.position >= len(rules):
            raise ValidationFailed.on("position", f"at most {len(rules) - 1} (the last place)")
        rules.remove(rule)
        rules.insert(body.position, rule)
        _renumber(rules)
    if body.name is not None:
        rule.name = body.name
    if body.enabled is not None:
        rule.enabled = body.enabled
    rule.when, rule.then = stored(when), stored(then)
    after = _facts(rule)
    changed = sorted(k for k in after if k != "version" and after[k] != before[k])
    if not changed:
        return rule
    if rule.origin == "default":
        rule = await _store_override(ctx, rule)
    else:
        row = rule.row
        assert isinstance(row, RoutingRule)
        row.name, row.enabled, row.when, row.then = rule.name, rule.enabled, rule.when, rule.then
        row.version = rule.version = rule.version + 1
        row.updated_at = rule.updated_at = ctx.now
    await ctx.session.flush()
    _record(ctx, "routing_rule.updated", _facts(rule) | {"changed": changed, "before": before})
    return rule


async def _store_override(ctx: Context, rule: EffectiveRule) -> EffectiveRule:
    """Keep only what differs from the package's default; nothing at all when nothing does."""
    default = _defaults_by_id()[rule.id]
    edit = {
        "name": rule.name if rule.name != default.name else None,
        "when": rule.when if rule.when != default.when else None,
        "then": rule.then if rule.then != default.then else None,
        "enabled": False if not rule.enabled else None,
    }
    row = rule.row
    assert row is None or isinstance(row, RoutingRuleOverride)
    if all(v is None for v in edit.values()):
        # Back to the default as shipped: nothing of the property's is left to store.
        if row is not None:
            await ctx.session.delete(row)
        restored = _merged(default, None, rule.created_at)
        restored.position = rule.position
        return restored
    if row is None:
        row = RoutingRuleOverride(
            property_id=ctx.principal.property_id, default_id=default.id, created_at=ctx.now
        )
        ctx.session.add(row)
    row.name, row.when, row.then, row.enabled = (
        edit["name"],
        edit["when"],
        edit["then"],
        edit["enabled"],
    )
    row.version = rule.version + 1
    row.updated_at = ctx.now
    merged = _merged(default, row, rule.created_at)
    merged.position = rule.position
    return merged


async def delete_rule(ctx: Context, rule_id: str, *, if_match: str | None) -> None:
    """An own rule is removed; a default's edit is removed (the default applies again as shipped);
    a default without an edit is disabled."""
    _require_editor(ctx.principal)
    rules = await _editing(ctx)
    rule = _find(rules, rule_id)
    _check_version(rule, if_match)
    facts = _facts(rule)
    if rule.origin == "property":
        assert rule.row is not None
        await ctx.session.delete(rule.row)
        rules.remove(rule)
        _renumber(rules)
        await ctx.session.flush()
        _record(ctx, "routing_rule.deleted", facts)
        return
    if rule.row is not None:
        await ctx.session.delete(rule.row)
        await ctx.session.flush()
        _record(ctx, "routing_rule.restored", facts)
        return
    ctx.session.add(
        RoutingRuleOverride(
            property_id=ctx.principal.property_id,
            default_id=rule.id,
            enabled=False,
            version=rule.version + 1,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
    )
    await ctx.session.flush()
    _record(ctx, "routing_rule.disabled", facts)


def _check_version(rule: EffectiveRule, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if "*" not in tags and str(rule.version) not in tags:
        raise PreconditionFailed(
            f"If-Match {if_match} does not match the rule's current version {rule.version}"
        )


def _facts(rule: EffectiveRule) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "origin": rule.origin,
        "name": rule.name,
        "version": rule.version,
        "position": rule.position,
        "enabled": rule.enabled,
        "when": rule.when,
        "then": rule.then,
    }


def _record(ctx: Context, type: str, data: dict[str, Any]) -> None:
    """A rule change is a property's event, with no work order: who changed what, and when."""
    principal = ctx.principal
    ctx.session.add(
        Event(
            id=new_id("evt"),
            property_id=principal.property_id,
            work_order_id=None,
            type=type,
            actor_type=principal.actor_type,
            actor_id=principal.sub,
            data=data | {"actor_role": str(principal.role)},
            occurred_at=ctx.now,
        )
    )


__all__ = [
    "DefaultRule",
    "EffectiveRule",
    "check",
    "create_rule",
    "defaults",
    "delete_rule",
    "effective",
    "get_rule",
    "list_rules",
    "load_rules",
    "update_rule",
]
