"""Migration 0006 turns the default rules copied into properties into the properties' own edits,
keeping the order their rules are tried in, and its downgrade writes the copies back."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from tests.api.test_schema import scratch_database  # noqa: F401 (a fixture)
from workorders.db import JSONType, UTCDateTime
from workorders.domain import default_rules
from workorders.migrate import downgrade, upgrade
from workorders.schemas.routing import domain_rule
from workorders.services import effective_rules

if TYPE_CHECKING:
    from collections.abc import Iterator

    from workorders.db import Database

COPIED: list[dict[str, Any]] = json.loads(
    (
        Path(__file__).resolve().parents[2]
        / "migrations/versions/2026-12-01_routing_models.defaults-0005.json"
    ).read_text("utf-8")
)
T0 = datetime(2026, 11, 29, tzinfo=UTC)

meta = sa.MetaData()
properties = sa.Table(
    "properties",
    meta,
    sa.Column("id", sa.String),
    sa.Column("name", sa.String),
    sa.Column("timezone", sa.String),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("updated_at", UTCDateTime()),
)
rule_sets = sa.Table(
    "routing_rule_sets",
    meta,
    sa.Column("property_id", sa.String),
    sa.Column("revision", sa.String),
    sa.Column("updated_at", UTCDateTime()),
)


def _rule_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.String),
        sa.Column("property_id", sa.String),
        sa.Column("position", sa.Integer),
        sa.Column("version", sa.Integer),
        sa.Column("enabled", sa.Boolean),
        sa.Column("name", sa.String),
        sa.Column("when", JSONType),
        sa.Column("then", JSONType),
        sa.Column("created_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime()),
    ]


rules = sa.Table("routing_rules", meta, *_rule_columns())
# The same table after 0006, which placed own rules among the defaults.
rules_0006 = sa.Table(
    "routing_rules", sa.MetaData(), *_rule_columns(), sa.Column("anchor", sa.String)
)
overrides = sa.Table(
    "routing_rule_overrides",
    meta,
    sa.Column("property_id", sa.String),
    sa.Column("default_id", sa.String),
    sa.Column("enabled", sa.Boolean),
    sa.Column("name", sa.String),
    sa.Column("when", JSONType),
    sa.Column("then", JSONType),
)


@pytest.fixture
def package_as_copied(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The package ships the very defaults that were copied (whatever it ships today), so that
    what the migration keeps can be compared with what the property had."""
    shipped = tuple(domain_rule(d["id"], d["name"], d["when"], d["then"]) for d in COPIED)
    monkeypatch.setattr(default_rules, "DEFAULT_RULES", shipped)
    monkeypatch.setattr(effective_rules, "DEFAULT_RULES", shipped)
    effective_rules.defaults.cache_clear()
    effective_rules.defaults_by_id.cache_clear()
    yield
    effective_rules.defaults.cache_clear()
    effective_rules.defaults_by_id.cache_clear()


def _row(property_id: str, n: int, rule: dict[str, Any], enabled: bool = True) -> dict[str, Any]:
    return {
        "id": f"rule_{property_id}_{n:03d}",
        "property_id": property_id,
        "position": n,
        "version": 1 if rule in COPIED else 3,
        "enabled": enabled,
        "name": rule["name"],
        "when": rule["when"],
        "then": rule["then"],
        "created_at": T0 + timedelta(seconds=n),
        "updated_at": T0 + timedelta(seconds=n),
    }


def _edited_copies() -> list[tuple[dict[str, Any], bool]]:
    """A property's rules as 0005 stored them, after a manager's year of edits."""
    own_first = {"name": "夜里的水给保洁", "when": {"keywords": ["水"], "hours": {"start": 22, "end": 6}}, "then": {"queue": "cleaning"}}  # fmt: skip
    own_middle = {"name": "车库道闸归秩序", "when": {"keywords": ["道闸"]}, "then": {"queue": "security"}}  # fmt: skip
    louder = copy.deepcopy(COPIED[1])
    louder["then"]["priority"] = "low" if louder["then"].get("priority") != "low" else "high"
    renamed = COPIED[10] | {"name": "改了名字的规则"}
    listed: list[tuple[dict[str, Any], bool]] = [(own_first, True), (COPIED[0], True)]
    listed += [(louder, True), (COPIED[2], False)]  # COPIED[3] deleted
    listed += [(COPIED[5], True), (COPIED[4], True)]  # moved out of the shipped order
    listed += [(COPIED[6], True), (own_middle, True)]
    listed += [(c, True) for c in COPIED[7:10]] + [(renamed, True)]
    listed += [(c, True) for c in COPIED[11:]]
    return listed


def _behaviour(rows: list[Any] | list[tuple[dict[str, Any], bool]]) -> list[tuple[Any, ...]]:
    """What decides routing: the enabled rules' conditions and outcomes, in order."""
    out = []
    for row in rows:
        rule, enabled = row if isinstance(row, tuple) else (row, row.enabled)
        get = rule.get if isinstance(rule, dict) else lambda k, r=rule: getattr(r, k)
        if enabled:
            out.append((json.dumps(get("when"), sort_keys=True), json.dumps(get("then"), sort_keys=True)))  # fmt: skip
    return out


async def _effective(engine: Any, property_id: str) -> list[Any]:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async with async_sessionmaker(engine)() as session:
        return effective_rules.effective(await effective_rules.load_edits(session, property_id))


async def test_copies_become_edits_and_the_order_is_kept(
    scratch_database: Database,  # noqa: F811
    package_as_copied: None,
) -> None:
    engine = scratch_database.write_engine
    await upgrade(engine, "0005")
    edited = _edited_copies()
    async with engine.begin() as connection:
        for pid in ("p_edited", "p_pristine", "p_never"):
            await connection.execute(
                sa.insert(properties).values(
                    id=pid, name=pid, timezone="Asia/Shanghai", created_at=T0, updated_at=T0
                )
            )
        for pid in ("p_edited", "p_pristine"):
            await connection.execute(
                sa.insert(rule_sets).values(property_id=pid, revision="rev_x", updated_at=T0)
            )
        await connection.execute(
            sa.insert(rules), [_row("p_pristine", n, c) for n, c in enumerate(COPIED)]
        )
        await connection.execute(
            sa.insert(rules), [_row("p_edited", n, r, e) for n, (r, e) in enumerate(edited)]
        )

    await upgrade(engine)

    async with engine.connect() as connection:
        kept = (await connection.execute(sa.select(rules_0006).order_by(rules_0006.c.id))).all()
        edits = (await connection.execute(sa.select(overrides))).all()
    assert {r.property_id for r in kept} == {"p_edited"}
    assert {r.property_id for r in edits} == {"p_edited"}
    by_default = {e.default_id: e for e in edits}
    assert set(by_default) == {COPIED[i]["id"] for i in (1, 2, 3, 4, 10)}
    louder = by_default[COPIED[1]["id"]]
    assert (louder.when, louder.name, louder.enabled) == (None, None, None)
    assert louder.then == edited[2][0]["then"]
    assert all(by_default[COPIED[i]["id"]].enabled is False for i in (2, 3, 4, 10))
    assert [r.name for r in kept] == ["夜里的水给保洁", COPIED[4]["name"], "车库道闸归秩序", "改了名字的规则"]  # fmt: skip
    assert [r.anchor for r in kept] == [None, COPIED[5]["id"], COPIED[6]["id"], COPIED[9]["id"]]

    effective = await _effective(engine, "p_edited")
    assert _behaviour(effective) == _behaviour(edited)
    assert all(not r.edited for r in await _effective(engine, "p_pristine"))
    assert len(await _effective(engine, "p_never")) == len(COPIED)

    await downgrade(engine, "0005")

    async with engine.connect() as connection:
        copies = (
            await connection.execute(
                sa.select(rules).where(rules.c.property_id == "p_edited").order_by(rules.c.position)
            )
        ).all()
        sets = (await connection.execute(sa.select(rule_sets.c.property_id))).scalars().all()
    assert _behaviour(copies) == _behaviour(edited)
    assert [r.position for r in copies] == list(range(len(copies)))
    assert set(sets) == {"p_edited"}
