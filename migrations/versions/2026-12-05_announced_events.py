"""PostgreSQL: events are announced by the process that commits them, not by a trigger per transaction.

Migration 0016's statement trigger on `events` sent NOTIFY `workorders_events` at the commit of every
transaction that wrote events: at 500 filings a second, 500 NOTIFYs, each taking PostgreSQL's
cluster-wide lock on the notification queue for its commit and waking every listening backend and
process. The service now says so itself (`workorders.services.live.EventSignal.announce`): its own
followers are woken in process, and every other process hears at most one NOTIFY per 50 ms from it
(bench/RESULTS.md, round 30). Events written outside the service are found by the followers' poll.

Here: the trigger and its function go; the downgrade puts them back. SQLite never had them.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS_CHANNEL = "workorders_events"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        op.execute("DROP TRIGGER IF EXISTS events_notify ON events")
        op.execute("DROP FUNCTION IF EXISTS workorders_notify_events()")


def downgrade() -> None:
    if _postgresql():
        op.execute(
            f"""
            CREATE FUNCTION workorders_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{EVENTS_CHANNEL}', '');
                RETURN NULL;
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER events_notify AFTER INSERT ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION workorders_notify_events()"
        )
