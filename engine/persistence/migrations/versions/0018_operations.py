"""operations: when each scheduler last finished a sweep

Revision ID: 0018
Revises: 0016

`/metrics` shows the last successful sweep of every scheduler process (engine.services.metrics);
the scheduler writes its row at the end of each sweep that raised nothing (engine.scheduler).
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduler_sweeps',
        sa.Column('worker', sa.String(length=128), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('worker'),
    )


def downgrade() -> None:
    op.drop_table('scheduler_sweeps')
