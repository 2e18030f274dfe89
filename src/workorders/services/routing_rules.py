"""A property's routing rules: seeded with the defaults on first use, edited by the manager or the
admin, read fresh for every routing decision.

Freshness without a query per rule: every change replaces the rule set's `revision`, and a process
keeps the rules it parsed under (property, revision). Routing reads the revision (one primary-key
read) each time, so an edit committed on one replica is used by every replica's next order.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workorders.db import new_id
from workorders.domain import etags
from workorders.domain.actors import ActorType, Principal, Role
from workorders.domain.default_rules import DEFAULT_RULES
from workorders.domain.taxonomy import CATEGORIES
from workorders.errors import FieldError, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from workorders.models import Event, Property, RoutingRule, RoutingRuleSet
from workorders.schemas.routing import RuleThen, RuleWhen, domain_rule, stored
from workorders.services.pagination import Ordering, fetch_page

if TYPE_CHECKING:
    from workorders.domain.routing import Rule
    from workorders.schemas.routing import RoutingRuleCreate, RoutingRuleUpdate
    from workorders.services.context import Context

log = logging.getLogger(__name__)

RULE_ORDER = Ordering("position", (RoutingRule.position, RoutingRule.created_at, RoutingRule.id))

# (property, revision) -> its enabled rules in order. Revisions are never reused, so an entry can
# only ever be right or unreachable; the bound keeps a long-lived process from collecting them.
_PARSED: OrderedDict[tuple[str, str], tuple[Rule, ...]] = OrderedDict()
_PARSED_MAX = 64


def _require_editor(principal: Principal) -> None:
    if principal.role not in (Role.MANAGER, Role.ADMIN):
        raise Forbidden("routing rules belong to the manager and the admin")


def _insert_for(ctx: Context) -> Any:
    dialect = ctx.session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def _rule_set(ctx: Context, *, lock: bool = False) -> RoutingRuleSet:
    """The property's rule set, writing the default rules the first time anyone needs them."""
    property_id = ctx.principal.property_id
    query = select(RoutingRuleSet).where(RoutingRuleSet.property_id == property_id)
    if lock:
        query = query.with_for_update()
    found = (await ctx.session.execute(query)).scalar_one_or_none()
    if found is not None:
        return found
    if await ctx.session.get(Property, property_id) is None:
        raise Forbidden(f"property {property_id} does not exist")
    # Concurrent first users: one insert wins, the others wait for it and find its rules.
    claimed = await ctx.session.execute(
        _insert_for(ctx)(RoutingRuleSet)
        .values(property_id=property_id, revision=new_id("rev"), updated_at=ctx.now)
        .on_conflict_do_nothing(index_elements=["property_id"])
    )
    if claimed.rowcount == 1:
        _seed_defaults(ctx)
        await ctx.session.flush()
    return (await ctx.session.execute(query)).scalar_one()


def _seed_defaults(ctx: Context) -> None:
    for position, rule in enumerate(DEFAULT_RULES):
        ctx.session.add(
            RoutingRule(
                id=new_id("rule"),
                property_id=ctx.principal.property_id,
                position=position,
                version=1,
                enabled=True,
                name=rule.name,
                when=stored(RuleWhen.from_domain(rule.when)),
                then=stored(RuleThen.from_domain(rule.then)),
                created_at=ctx.now,
                updated_at=ctx.now,
            )
        )
    _record(ctx, "routing_rules.seeded", {"count": len(DEFAULT_RULES)}, system=True)


async def active_rules(ctx: Context) -> tuple[Rule, ...]:
    """The property's enabled rules, first to try first, as they stand in the database now."""
    rule_set = await _rule_set(ctx)
    key = (rule_set.property_id, rule_set.revision)
    if key in _PARSED:
        _PARSED.move_to_end(key)
        return _PARSED[key]
    rows = (
        await ctx.session.execute(
            select(RoutingRule)
            .where(RoutingRule.property_id == rule_set.property_id, RoutingRule.enabled)
            .order_by(*RULE_ORDER.columns)
        )
    ).scalars()
    rules: list[Rule] = []
    for row in rows:
        try:
            rules.append(domain_rule(row.id, row.name, row.when, row.then))
        except (ValidationError, ValueError):
            # Written through the same validation; only a vocabulary change could get here, and
            # one stale rule must not stop every new order from being filed.
            log.exception("routing rule %s no longer validates; skipped", row.id)
    _PARSED[key] = tuple(rules)
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return _PARSED[key]


# --- reading -------------------------------------------------------------------------------------


async def list_rules(
    ctx: Context, *, limit: int, cursor: str | None
) -> tuple[list[RoutingRule], str | None]:
    _require_editor(ctx.principal)
    await _rule_set(ctx)
    query = select(RoutingRule).where(RoutingRule.property_id == ctx.principal.property_id)
    return await fetch_page(ctx.session, query, RULE_ORDER, limit=limit, cursor=cursor)


async def get_rule(ctx: Context, rule_id: str) -> RoutingRule:
    _require_editor(ctx.principal)
    rule = await ctx.session.get(RoutingRule, rule_id)
    if rule is None or rule.property_id != ctx.principal.property_id:
        raise NotFound(f"routing rule {rule_id} does not exist")
    return rule


# --- changing ------------------------------------------------------------------------------------


def _check(when: RuleWhen, then: RuleThen) -> None:
    """What the body's types cannot say, each named by its field."""
    errors: list[FieldError] = []
    if then.category is not None:
        owner = CATEGORIES[then.category][0]
        if owner is not then.queue:
            errors.append(
                FieldError(
                    "then.category",
                    f"{then.category} belongs to the {owner} queue, not to {then.queue}",
                )
            )
    try:
        when.to_domain()
    except ValueError as refused:
        errors.append(FieldError("when", str(refused)))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


async def _count(ctx: Context) -> int:
    return (
        await ctx.session.scalar(
            select(func.count())
            .select_from(RoutingRule)
            .where(RoutingRule.property_id == ctx.principal.property_id)
        )
        or 0
    )


async def _shift(ctx: Context, start: int, end: int | None, by: int) -> None:
    """Move the rules at positions [start, end) by `by` places (end None: to the last)."""
    condition = [
        RoutingRule.property_id == ctx.principal.property_id,
        RoutingRule.position >= start,
    ]
    if end is not None:
        condition.append(RoutingRule.position < end)
    await ctx.session.execute(
        update(RoutingRule)
        .where(*condition)
        .values(position=RoutingRule.position + by)
        .execution_options(synchronize_session="fetch")
    )


async def create_rule(ctx: Context, body: RoutingRuleCreate) -> RoutingRule:
    _require_editor(ctx.principal)
    _check(body.when, body.then)
    rule_set = await _rule_set(ctx, lock=True)
    count = await _count(ctx)
    position = count if body.position is None else body.position
    if position > count:
        raise ValidationFailed.on("position", f"at most {count} (after the last rule)")
    await _shift(ctx, position, None, 1)
    rule = RoutingRule(
        id=new_id("rule"),
        property_id=ctx.principal.property_id,
        position=position,
        version=1,
        enabled=body.enabled,
        name=body.name,
        when=stored(body.when),
        then=stored(body.then),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(rule)
    _changed(ctx, rule_set)
    await ctx.session.flush()
    _record(ctx, "routing_rule.created", _facts(rule))
    return rule


async def update_rule(
    ctx: Context, rule: RoutingRule, body: RoutingRuleUpdate, *, if_match: str | None
) -> RoutingRule:
    _require_editor(ctx.principal)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "when", "then", "enabled"):
        if name in changes and changes[name] is None:
            raise ValidationFailed.on(name, "cannot be cleared")
    when = body.when if body.when is not None else RuleWhen.model_validate(rule.when)
    then = body.then if body.then is not None else RuleThen.model_validate(rule.then)
    _check(when, then)
    _check_version(rule, if_match)
    rule_set = await _rule_set(ctx, lock=True)
    before = _facts(rule)
    if body.position is not None and body.position != rule.position:
        count = await _count(ctx)
        if body.position >= count:
            raise ValidationFailed.on("position", f"at most {count - 1} (the last place)")
        if body.position < rule.position:
            await _shift(ctx, body.position, rule.position, 1)
        else:
            await _shift(ctx, rule.position + 1, body.position + 1, -1)
        rule.position = body.position
    if body.name is not None:
        rule.name = body.name
    if body.enabled is not None:
        rule.enabled = body.enabled
    rule.when, rule.then = stored(when), stored(then)
    after = _facts(rule)
    changed = sorted(k for k in after if k != "version" and after[k] != before[k])
    if changed:
        rule.version += 1
        rule.updated_at = ctx.now
        _changed(ctx, rule_set)
        await ctx.session.flush()
        _record(ctx, "routing_rule.updated", _facts(rule) | {"changed": changed, "before": before})
    return rule


async def delete_rule(ctx: Context, rule: RoutingRule, *, if_match: str | None) -> None:
    _require_editor(ctx.principal)
    _check_version(rule, if_match)
    rule_set = await _rule_set(ctx, lock=True)
    facts = _facts(rule)
    await ctx.session.delete(rule)
    await ctx.session.flush()
    await _shift(ctx, facts["position"] + 1, None, -1)
    _changed(ctx, rule_set)
    _record(ctx, "routing_rule.deleted", facts)
    await ctx.session.flush()


def _check_version(rule: RoutingRule, if_match: str | None) -> None:
    if if_match is None:
        return
    if not etags.if_match_matches(if_match, rule.version):
        raise PreconditionFailed(
            f"If-Match {if_match} does not match the rule's current version {rule.version}"
        )


def _changed(ctx: Context, rule_set: RoutingRuleSet) -> None:
    rule_set.revision = new_id("rev")
    rule_set.updated_at = ctx.now


def _facts(rule: RoutingRule) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "name": rule.name,
        "version": rule.version,
        "position": rule.position,
        "enabled": rule.enabled,
        "when": rule.when,
        "then": rule.then,
    }


def _record(ctx: Context, type: str, data: dict[str, Any], *, system: bool = False) -> None:
    """A rule change is a property's event, with no work order: who changed what, and when."""
    principal = ctx.principal
    ctx.session.add(
        Event(
            id=new_id("evt"),
            property_id=principal.property_id,
            work_order_id=None,
            type=type,
            actor_type=ActorType.SYSTEM if system else principal.actor_type,
            actor_id=None if system else principal.sub,
            data=data | {"actor_role": None if system else str(principal.role)},
            occurred_at=ctx.now,
        )
    )
