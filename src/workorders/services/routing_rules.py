"""Editing a property's routing rules (the manager's and the admin's): own rules are added, changed,
moved and deleted; a default is overridden (only the changed parts are stored), disabled, or restored
by deleting the property's edit. What the property routes with is `effective_rules`.

Every edit `touch`es the property's configuration, which is also what serialises concurrent editors
(the touch updates the property's row first); routing reads the parsed rules once per configuration
revision through the configuration cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workorders.db import new_id
from workorders.domain import etags
from workorders.domain.actors import Principal, Role
from workorders.domain.taxonomy import CATEGORIES
from workorders.errors import (
    FieldError,
    Forbidden,
    Label,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    _,
)
from workorders.models import RoutingRule, RoutingRuleOverride
from workorders.schemas.routing import RuleThen, RuleWhen, stored
from workorders.services import configuration, effective_rules, events
from workorders.services.effective_rules import EffectiveRule

if TYPE_CHECKING:
    from collections.abc import Sequence

    from workorders.schemas.routing import RoutingRuleCreate, RoutingRuleUpdate
    from workorders.services.context import Context


# --- reading -------------------------------------------------------------------------------------


def _require_editor(principal: Principal) -> None:
    if principal.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden(_("routing rules belong to the manager and the admin"))


async def list_rules(ctx: Context) -> list[EffectiveRule]:
    _require_editor(ctx.principal)
    return effective_rules.effective(
        await effective_rules.load_edits(ctx.session, ctx.principal.property_id)
    )


async def get_rule(ctx: Context, rule_id: str) -> EffectiveRule:
    _require_editor(ctx.principal)
    return _find(
        effective_rules.effective(
            await effective_rules.load_edits(ctx.session, ctx.principal.property_id)
        ),
        rule_id,
    )


def _find(rules: Sequence[EffectiveRule], rule_id: str) -> EffectiveRule:
    found = next((r for r in rules if r.id == rule_id), None)
    if found is None:
        raise NotFound(_("routing rule {rule_id} does not exist", rule_id=rule_id))
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
                    _(
                        "{category} belongs to the {owner} queue, not to {queue}",
                        category=Label("category", then.category),
                        owner=Label("queue", owner),
                        queue=Label("queue", then.queue),
                    ),
                )
            )
    try:
        when.to_domain()
    except ValueError as refused:
        errors.append(FieldError(f"{prefix}when", str(refused)))
    if errors:
        raise ValidationFailed.of(errors)


async def _editing(ctx: Context) -> list[EffectiveRule]:
    """The rules as they stand, read after this transaction has claimed the right to change them."""
    await configuration.touch(ctx.session, ctx.principal.property_id)
    return effective_rules.effective(
        await effective_rules.load_edits(ctx.session, ctx.principal.property_id)
    )


async def create_rule(ctx: Context, body: RoutingRuleCreate) -> EffectiveRule:
    _require_editor(ctx.principal)
    check(body.when, body.then)
    rules = await _editing(ctx)
    position = len(rules) if body.position is None else body.position
    if position > len(rules):
        raise ValidationFailed.on(
            "position", _("at most {size} (after the last rule)", size=len(rules))
        )
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
    rule = effective_rules.own(row)
    rules.insert(position, rule)
    effective_rules.renumber(rules)
    await ctx.session.flush()
    await _record(ctx, "routing_rule.created", _facts(rule))
    return rule


async def update_rule(
    ctx: Context, rule_id: str, body: RoutingRuleUpdate, *, if_match: str | None
) -> EffectiveRule:
    _require_editor(ctx.principal)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "when", "then", "enabled", "position"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, _("cannot be cleared"))
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
                _(
                    "a default rule keeps its place; disable it and add a rule of your own where you need one"
                ),
            )
        if body.position >= len(rules):
            raise ValidationFailed.on(
                "position", _("at most {value} (the last place)", value=len(rules) - 1)
            )
        rules.remove(rule)
        rules.insert(body.position, rule)
        effective_rules.renumber(rules)
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
    await _record(
        ctx, "routing_rule.updated", _facts(rule) | {"changed": changed, "before": before}
    )
    return rule


async def _store_override(ctx: Context, rule: EffectiveRule) -> EffectiveRule:
    """Keep only what differs from the package's default; nothing at all when nothing does."""
    default = effective_rules.defaults_by_id()[rule.id]
    edit: dict[str, Any] = {
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
        restored = effective_rules.merged(default, None, rule.created_at)
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
    merged = effective_rules.merged(default, row, rule.created_at)
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
        effective_rules.renumber(rules)
        await ctx.session.flush()
        await _record(ctx, "routing_rule.deleted", facts)
        return
    if rule.row is not None:
        await ctx.session.delete(rule.row)
        await ctx.session.flush()
        await _record(ctx, "routing_rule.restored", facts)
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
    await _record(ctx, "routing_rule.disabled", facts)


def _check_version(rule: EffectiveRule, if_match: str | None) -> None:
    if if_match is None:
        return
    if not etags.if_match_matches(if_match, rule.version):
        raise PreconditionFailed(
            _(
                "If-Match {if_match} does not match the rule's current version {version}",
                if_match=if_match,
                version=rule.version,
            )
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


async def _record(ctx: Context, type: str, data: dict[str, Any]) -> None:
    """A rule change is a property's event, with no work order: who changed what, and when."""
    principal = ctx.principal
    await events.write(
        ctx.session,
        [
            events.property_row(
                property_id=principal.property_id,
                type=type,
                actor_type=principal.actor_type,
                actor_id=principal.sub,
                at=ctx.now,
                data=data | {"actor_role": str(principal.role)},
            )
        ],
    )


__all__ = [
    "EffectiveRule",
    "check",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "update_rule",
]
