"""candidate rows exist only while their task is open

Revision ID: 0003
Revises: 0002

task_candidates answers "may these groups take this open task?"; rows of finished
tasks only grew the table (and the inbox's probes into it) for ever. A trigger deletes
a task's candidate rows the moment its state leaves 'open', whoever changes it; the
task row keeps its groups in candidate_groups for the record.
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_SQLITE_TRIGGER = """
CREATE TRIGGER trg_task_candidates_open_only AFTER UPDATE OF state ON human_tasks
WHEN NEW.state <> 'open'
BEGIN
    DELETE FROM task_candidates WHERE task_id = NEW.id;
END
"""

_POSTGRES_FUNCTION = """
CREATE FUNCTION pdw_task_candidates_open_only() RETURNS trigger AS $$
BEGIN
    DELETE FROM task_candidates WHERE task_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

_POSTGRES_TRIGGER = """
CREATE TRIGGER trg_task_candidates_open_only AFTER UPDATE OF state ON human_tasks
FOR EACH ROW WHEN (NEW.state <> 'open') EXECUTE FUNCTION pdw_task_candidates_open_only()
"""


def upgrade() -> None:
    op.execute("DELETE FROM task_candidates WHERE task_id IN (SELECT id FROM human_tasks WHERE state <> 'open')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_task_candidates_open_only ON human_tasks")
        op.execute("DROP FUNCTION IF EXISTS pdw_task_candidates_open_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_task_candidates_open_only")
