"""human_tasks: drop ix_human_tasks_completed_by, a prefix of ix_human_tasks_completed_by_id

Revision ID: 0026
Revises: 0025

(completed_by, completed_at) is the first two columns of ix_human_tasks_completed_by_id, which
serves every query the shorter index could ("completed by me", newest first). Each task row
written (two per decided task) still updated both: one btree entry per write for nothing.
"""
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch:
        batch.drop_index('ix_human_tasks_completed_by')


def downgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch:
        batch.create_index('ix_human_tasks_completed_by', ['completed_by', 'completed_at'], unique=False)
