"""Default rules that reach everyone; what customer service teaches the router; trained models.

Until now the default rules were copied into a property the first time it needed them, so a later
improvement of the defaults never reached it. From here on a property stores only its own edits: its own
rules (`routing_rules`, placed among the defaults by `anchor`), its changes to a default and the defaults
it disabled (`routing_rule_overrides`, by the default's stable id). The copies are turned into edits:

- A copy identical to the default it was made from (`…defaults-0005.json`, the defaults as they were
  copied) is no edit: it is deleted, and the property gets the package's current default.
- A copy that differs (keywords, queue, disabled…) becomes an override of that default, holding only
  the parts that differ, so the rest still follows the package.
- A default the property deleted becomes a disabled default.
- A rule of the property's own stays, anchored after the default it followed, so the order in which
  the property's rules are tried is kept. A default the property had moved out of the package's order
  becomes a rule of its own where it stood, and the default itself is disabled.
- A copy of a default that the package no longer ships is deleted when it was unchanged, and kept as a
  rule of the property's own when it was changed.

Copies are matched to the default they came from by content first, then by name, in the order the
property tries them; whatever matches nothing is the property's own.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:00:00.000000
"""

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from workorders.db import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The defaults exactly as 0002-0005 copied them into properties; fixed here, whatever the package
# ships later.
COPIED_DEFAULTS: list[dict[str, Any]] = json.loads(
    Path(__file__).with_name("2026-12-01_routing_models.defaults-0005.json").read_text("utf-8")
)

meta = sa.MetaData()
properties = sa.Table(
    "properties", meta, sa.Column("id", sa.String), sa.Column("config_revision", sa.Integer)
)
rule_sets = sa.Table(
    "routing_rule_sets",
    meta,
    sa.Column("property_id", sa.String),
    sa.Column("revision", sa.String),
    sa.Column("updated_at", UTCDateTime()),
)
rules = sa.Table(
    "routing_rules",
    meta,
    sa.Column("id", sa.String),
    sa.Column("property_id", sa.String),
    sa.Column("position", sa.Integer),
    sa.Column("anchor", sa.String),
    sa.Column("version", sa.Integer),
    sa.Column("enabled", sa.Boolean),
    sa.Column("name", sa.String),
    sa.Column("when", JSON),
    sa.Column("then", JSON),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("updated_at", UTCDateTime()),
)
overrides = sa.Table(
    "routing_rule_overrides",
    meta,
    sa.Column("property_id", sa.String),
    sa.Column("default_id", sa.String),
    sa.Column("version", sa.Integer),
    sa.Column("enabled", sa.Boolean),
    sa.Column("name", sa.String),
    sa.Column("when", JSON),
    sa.Column("then", JSON),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("updated_at", UTCDateTime()),
)


def _package_defaults() -> list[dict[str, Any]]:
    """The defaults the package ships now, in the stored shapes, in order."""
    from workorders.domain.default_rules import DEFAULT_RULES
    from workorders.schemas.routing import RuleThen, RuleWhen, stored

    return [
        {
            "id": r.id,
            "name": r.name,
            "when": stored(RuleWhen.from_domain(r.when)),
            "then": stored(RuleThen.from_domain(r.then)),
        }
        for r in DEFAULT_RULES
    ]


def _now_id(copied_id: str, current: dict[str, int]) -> str | None:
    """The package's id today of a default that was copied under `copied_id` (ids became
    `default:<slug>` where they were `default-<slug>`), None when it is no longer shipped."""
    slug = copied_id.removeprefix("default-")
    return next((c for c in (copied_id, f"default:{slug}") if c in current), None)


def _match(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Row id -> the copied default it is a copy of: identical content first, then the same name."""
    matched: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for same in (
        lambda r, d: (r.name, r.when, r.then) == (d["name"], d["when"], d["then"]),
        lambda r, d: r.name == d["name"],
    ):
        for row in rows:
            if row.id in matched:
                continue
            found = next(
                (d for d in COPIED_DEFAULTS if d["id"] not in taken and same(row, d)), None
            )
            if found is not None:
                matched[row.id] = found
                taken.add(found["id"])
    return matched


def _convert(connection: sa.Connection, property_id: str, now: datetime) -> None:
    current = {d["id"]: index for index, d in enumerate(_package_defaults())}
    rows = connection.execute(
        sa.select(rules)
        .where(rules.c.property_id == property_id)
        .order_by(rules.c.position, rules.c.created_at, rules.c.id)
    ).all()
    matched = _match(rows)
    edits: dict[str, dict[str, Any]] = {}
    anchor: str | None = None
    last = -1
    mine = 0
    for row in rows:
        copied = matched.get(row.id)
        now_id = _now_id(copied["id"], current) if copied else None
        if copied is not None and now_id is None:
            if (row.when, row.then) == (copied["when"], copied["then"]):
                connection.execute(sa.delete(rules).where(rules.c.id == row.id))
                continue
        elif copied is not None and now_id is not None and current[now_id] > last:
            last, anchor = current[now_id], now_id
            edit = {
                "when": row.when if row.when != copied["when"] else None,
                "then": row.then if row.then != copied["then"] else None,
                "enabled": None if row.enabled else False,
            }
            if any(v is not None for v in edit.values()):
                edits[now_id] = edit | {
                    "version": max(row.version, 2),
                    "created_at": row.created_at,
                    "updated_at": row.updated_at,
                }
            connection.execute(sa.delete(rules).where(rules.c.id == row.id))
            continue
        elif copied is not None and now_id is not None:
            # Moved before a default it used to follow: it keeps its place as the property's own.
            edits[now_id] = {"enabled": False, "version": 2, "created_at": now, "updated_at": now}
        connection.execute(
            sa.update(rules).where(rules.c.id == row.id).values(anchor=anchor, position=mine)
        )
        mine += 1
    claimed = {d["id"] for d in matched.values()}
    for copied in COPIED_DEFAULTS:
        now_id = _now_id(copied["id"], current)
        if copied["id"] not in claimed and now_id is not None and now_id not in edits:
            edits[now_id] = {"enabled": False, "version": 2, "created_at": now, "updated_at": now}
    for default_id, edit in edits.items():
        connection.execute(
            sa.insert(overrides).values(
                property_id=property_id,
                default_id=default_id,
                name=None,
                when=edit.get("when"),
                then=edit.get("then"),
                enabled=edit.get("enabled"),
                version=edit["version"],
                created_at=edit["created_at"],
                updated_at=edit["updated_at"],
            )
        )


def upgrade() -> None:
    op.create_table(
        "routing_rule_overrides",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("default_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("when", JSON, nullable=True),
        sa.Column("then", JSON, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_routing_rule_overrides_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint(
            "property_id", "default_id", name=op.f("pk_routing_rule_overrides")
        ),
    )
    op.add_column("routing_rules", sa.Column("anchor", sa.String(length=64), nullable=True))
    op.create_table(
        "routing_examples",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("queue", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_routing_examples_property_id_properties"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_routing_examples_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_examples")),
    )
    op.create_index(
        op.f("ix_routing_examples_property_id_created_at_id"),
        "routing_examples",
        ["property_id", "created_at", "id"],
    )
    op.create_table(
        "routing_models",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("figures", JSON, nullable=False),
        sa.Column("trained_on", JSON, nullable=False),
        sa.Column("examples_seen", sa.Integer(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_routing_models_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_models")),
    )
    op.create_index(
        op.f("ix_routing_models_property_id_version"),
        "routing_models",
        ["property_id", "version"],
        unique=True,
    )

    connection = op.get_bind()
    now = datetime.now(UTC)
    seeded = connection.execute(sa.select(rule_sets.c.property_id)).scalars().all()
    for property_id in seeded:
        _convert(connection, property_id, now)
    op.drop_table("routing_rule_sets")
    # Every process holding rules in memory must read them again.
    connection.execute(
        sa.update(properties).values(config_revision=properties.c.config_revision + 1)
    )


def _materialize(connection: sa.Connection, property_id: str, now: datetime) -> None:
    """Write the property's effective rules as copies again, as 0005 expects them."""
    package = _package_defaults()
    own = connection.execute(
        sa.select(rules)
        .where(rules.c.property_id == property_id)
        .order_by(rules.c.position, rules.c.created_at, rules.c.id)
    ).all()
    edits = {
        row.default_id: row
        for row in connection.execute(
            sa.select(overrides).where(overrides.c.property_id == property_id)
        ).all()
    }
    known = {d["id"] for d in package}
    after: dict[str | None, list[Any]] = {}
    for row in own:
        after.setdefault(row.anchor if row.anchor in known else None, []).append(row)
    order: list[tuple[str, Any]] = [("own", r) for r in after.get(None, [])]
    for default in package:
        order.append(("default", default))
        order.extend(("own", r) for r in after.get(default["id"], []))
    for position, (origin, item) in enumerate(order):
        if origin == "own":
            connection.execute(
                sa.update(rules).where(rules.c.id == item.id).values(position=position)
            )
            continue
        edit = edits.get(item["id"])
        connection.execute(
            sa.insert(rules).values(
                id=f"rule_{secrets.token_bytes(15).hex()}",
                property_id=property_id,
                position=position,
                version=edit.version if edit else 1,
                enabled=edit.enabled is not False if edit else True,
                name=(edit.name if edit and edit.name is not None else item["name"]),
                when=(edit.when if edit and edit.when is not None else item["when"]),
                then=(edit.then if edit and edit.then is not None else item["then"]),
                created_at=now,
                updated_at=now,
            )
        )
    connection.execute(
        sa.insert(rule_sets).values(
            property_id=property_id, revision=f"rev_{secrets.token_hex(15)}", updated_at=now
        )
    )


def downgrade() -> None:
    op.create_table(
        "routing_rule_sets",
        sa.Column("property_id", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_routing_rule_sets_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("property_id", name=op.f("pk_routing_rule_sets")),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    edited = set(connection.execute(sa.select(rules.c.property_id).distinct()).scalars())
    edited |= set(connection.execute(sa.select(overrides.c.property_id).distinct()).scalars())
    for property_id in sorted(edited):
        _materialize(connection, property_id, now)
    op.drop_index(op.f("ix_routing_models_property_id_version"), table_name="routing_models")
    op.drop_table("routing_models")
    op.drop_index(
        op.f("ix_routing_examples_property_id_created_at_id"), table_name="routing_examples"
    )
    op.drop_table("routing_examples")
    op.drop_column("routing_rules", "anchor")
    op.drop_table("routing_rule_overrides")
