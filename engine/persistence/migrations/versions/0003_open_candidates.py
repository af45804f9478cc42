"""candidate rows exist only while their task is available, and carry its deadline

Revision ID: 0003
Revises: 0002

task_candidates answers "which open, unclaimed tasks may this group take, soonest due
first?". Rows of claimed or finished tasks only grew the table for ever and made the
inbox probe past them. Triggers keep the table to available tasks whoever changes a
task: a claim or leaving 'open' deletes its rows; an unclaim puts them back from the
task's candidate_groups. With the deadline on each row, the inbox reads a page of a
group's work straight from (group_name, due_at, task_id).
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER trg_task_candidates_taken AFTER UPDATE OF state, assignee ON human_tasks
    WHEN NEW.state <> 'open' OR NEW.assignee IS NOT NULL
    BEGIN
        DELETE FROM task_candidates WHERE task_id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER trg_task_candidates_released AFTER UPDATE OF assignee ON human_tasks
    WHEN NEW.state = 'open' AND NEW.assignee IS NULL AND OLD.assignee IS NOT NULL
    BEGIN
        INSERT OR IGNORE INTO task_candidates (task_id, group_name, due_at)
        SELECT NEW.id, value, NEW.due_at FROM json_each(NEW.candidate_groups);
    END
    """,
]

_POSTGRES = [
    """
    CREATE FUNCTION pdw_task_candidates_sync() RETURNS trigger AS $$
    BEGIN
        IF NEW.state <> 'open' OR NEW.assignee IS NOT NULL THEN
            DELETE FROM task_candidates WHERE task_id = NEW.id;
        ELSIF OLD.assignee IS NOT NULL THEN
            INSERT INTO task_candidates (task_id, group_name, due_at)
            SELECT NEW.id, g, NEW.due_at FROM json_array_elements_text(NEW.candidate_groups) AS g
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER trg_task_candidates_sync AFTER UPDATE OF state, assignee ON human_tasks
    FOR EACH ROW EXECUTE FUNCTION pdw_task_candidates_sync()
    """,
]


def upgrade() -> None:
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_task_candidates_group_due', ['group_name', 'due_at', 'task_id'], unique=False)
    op.execute("UPDATE task_candidates SET due_at = (SELECT due_at FROM human_tasks WHERE id = task_candidates.task_id)")
    op.execute("DELETE FROM task_candidates WHERE task_id IN "
               "(SELECT id FROM human_tasks WHERE state <> 'open' OR assignee IS NOT NULL)")
    for statement in (_POSTGRES if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS trg_task_candidates_sync ON human_tasks")
        op.execute("DROP FUNCTION IF EXISTS pdw_task_candidates_sync()")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_task_candidates_taken")
        op.execute("DROP TRIGGER IF EXISTS trg_task_candidates_released")
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidates_group_due')
        batch_op.drop_column('due_at')
