"""rounds: periodic duties started by the scheduler on a configured cycle

Revision ID: 0021
Revises: 0020

`round_schedules` holds the cycles an admin configures (`pdw rounds schedule`); `rounds` the
rounds they produced, one per schedule and period (engine.services.rounds).
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'round_schedules',
        sa.Column('id', BigId, nullable=False),
        sa.Column('process_id', sa.String(length=128), nullable=False),
        sa.Column('cycle', sa.String(length=16), nullable=False),
        sa.Column('anchor', sa.Date(), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=False),
        sa.Column('responsible_group', sa.String(length=200), nullable=False),
        sa.Column('deadline_rule', sa.String(length=64), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_on', sa.Date(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'rounds',
        sa.Column('id', BigId, nullable=False),
        sa.Column('schedule_id', BigId, nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('instance_id', BigId, nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_by', sa.String(length=64), nullable=False),
        sa.Column('started_late', sa.Boolean(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('deadline_date', sa.Date(), nullable=True),
        sa.Column('deadline_rule', sa.String(length=64), nullable=False),
        sa.Column('deadline_article', sa.String(length=200), nullable=False),
        sa.Column('deadline_provisional', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['schedule_id'], ['round_schedules.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('schedule_id', 'period', name='uq_rounds_schedule_period'),
    )
    op.create_index('ix_rounds_instance', 'rounds', ['instance_id'])


def downgrade() -> None:
    op.drop_index('ix_rounds_instance', table_name='rounds')
    op.drop_table('rounds')
    op.drop_table('round_schedules')
