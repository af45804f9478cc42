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

# The one definition of the triggers, which the models also create with the table.
from engine.persistence.triggers import create_statements, drop_statements


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_task_candidates_group_due', ['group_name', 'due_at', 'task_id'], unique=False)
    op.execute("UPDATE task_candidates SET due_at = (SELECT due_at FROM human_tasks WHERE id = task_candidates.task_id)")
    op.execute("DELETE FROM task_candidates WHERE task_id IN "
               "(SELECT id FROM human_tasks WHERE state <> 'open' OR assignee IS NOT NULL)")
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidates_group_due')
        batch_op.drop_column('due_at')
