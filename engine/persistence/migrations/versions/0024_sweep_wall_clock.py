"""scheduler sweeps: the real time of each sweep beside the scheduler's own clock

Revision ID: 0024
Revises: 0021

A process's clock may be frozen (PDW_CLOCK). `finished_at` is the sweep's instant by the
scheduler's clock, `wall_at` the real time it was written: together they tell another process
whether it reads the same time as the scheduler (engine.services.clocks).
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scheduler_sweeps') as batch:
        batch.add_column(sa.Column('wall_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduler_sweeps') as batch:
        batch.drop_column('wall_at')
