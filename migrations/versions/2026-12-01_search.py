"""Text search by index, and deadline policies for every property that has none yet.

`q=` on the work-order list is a case-insensitive substring match on title, description and number. A
sequential scan answered it (0.82 s at 1M orders for a phrase that is not there). PostgreSQL gets a
`pg_trgm` GIN index per column, which serves `ILIKE '%…%'` — Chinese included, since trigrams are taken
per character under a UTF-8 locale — with the same query as before. SQLite gets an FTS5 table with
the trigram tokenizer over the same three columns, external content (`work_orders` itself, by rowid)
kept in step by triggers. The service never runs VACUUM (which may renumber the rowids of a table
without an INTEGER PRIMARY KEY); whoever does runs `INSERT INTO work_orders_search(work_orders_search)
VALUES('rebuild')` after it.

A property now gets its default deadline policies when it is created (services/properties.py), no
longer lazily on the request path; properties that exist without any get them here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:00:00.000000
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from workorders.db import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = ("title", "description", "number")

# As in 0003, fixed here: priority -> (respond, start, resolve) in seconds, and the calendar flag.
DEFAULT_POLICIES = {
    "urgent": (15 * 60, 30 * 60, 4 * 3600, False),
    "high": (30 * 60, 2 * 3600, 24 * 3600, False),
    "normal": (2 * 3600, 24 * 3600, 3 * 86400, True),
    "low": (24 * 3600, 3 * 86400, 7 * 86400, True),
}

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE work_orders_search USING fts5("
    "title, description, number, content='work_orders', content_rowid='rowid', "
    "tokenize='trigram case_sensitive 0')",
    "CREATE TRIGGER work_orders_search_insert AFTER INSERT ON work_orders BEGIN "
    "INSERT INTO work_orders_search(rowid, title, description, number) "
    "VALUES (new.rowid, new.title, new.description, new.number); END",
    "CREATE TRIGGER work_orders_search_delete AFTER DELETE ON work_orders BEGIN "
    "INSERT INTO work_orders_search(work_orders_search, rowid, title, description, number) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.number); END",
    "CREATE TRIGGER work_orders_search_update AFTER UPDATE OF title, description, number "
    "ON work_orders BEGIN "
    "INSERT INTO work_orders_search(work_orders_search, rowid, title, description, number) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.number); "
    "INSERT INTO work_orders_search(rowid, title, description, number) "
    "VALUES (new.rowid, new.title, new.description, new.number); END",
    "INSERT INTO work_orders_search(work_orders_search) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in SEARCHED:
            op.execute(
                f"CREATE INDEX ix_work_orders_{column}_trgm ON work_orders "
                f"USING gin ({column} gin_trgm_ops)"
            )
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    _seed_unseeded_properties()


def _seed_unseeded_properties() -> None:
    bind = op.get_bind()
    missing = bind.execute(
        sa.text("SELECT id FROM properties WHERE id NOT IN (SELECT property_id FROM sla_settings)")
    ).scalars()
    now = datetime.now(UTC)
    settings = sa.table(
        "sla_settings",
        sa.column("property_id", sa.String()),
        sa.column("return_visit_policy", sa.String()),
        sa.column("updated_at", UTCDateTime()),
    )
    policies = sa.table(
        "sla_policies",
        sa.column("id", sa.String()),
        sa.column("property_id", sa.String()),
        sa.column("priority", sa.String()),
        sa.column("respond_within_s", sa.Integer()),
        sa.column("start_within_s", sa.Integer()),
        sa.column("resolve_within_s", sa.Integer()),
        sa.column("use_calendar", sa.Boolean()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    for property_id in list(missing):
        op.bulk_insert(
            settings,
            [{"property_id": property_id, "return_visit_policy": "unrated", "updated_at": now}],
        )
        op.bulk_insert(
            policies,
            [
                {
                    "id": f"sla_{secrets.token_bytes(15).hex()}",
                    "property_id": property_id,
                    "priority": priority,
                    "respond_within_s": respond,
                    "start_within_s": start,
                    "resolve_within_s": resolve,
                    "use_calendar": calendar,
                    "created_at": now,
                    "updated_at": now,
                }
                for priority, (respond, start, resolve, calendar) in DEFAULT_POLICIES.items()
            ],
        )


def downgrade() -> None:
    # The seeded policies stay: they are the property's data now, like any it edited.
    if op.get_bind().dialect.name == "postgresql":
        for column in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_work_orders_{column}_trgm")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS work_orders_search_{name}")
        op.execute("DROP TABLE IF EXISTS work_orders_search")
