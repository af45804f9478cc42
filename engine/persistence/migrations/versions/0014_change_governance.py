"""four eyes on process changes: proposed versions and migration proposals

Revision ID: 0014
Revises: 0011

A designer's deploy makes a proposed version, live only once a second person with the approving
role approves it; moving running applications onto a version is proposed and approved the same
way. Versions deployed before this revision were live, so they are approved.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('process_definitions') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='approved'))
        batch.add_column(sa.Column('decided_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('decision_note', sa.Text(), nullable=True))
    op.create_table(
        'migration_proposals',
        sa.Column('id', _BigId, primary_key=True),
        sa.Column('process_id', sa.String(length=128), nullable=False),
        sa.Column('old_version', sa.Integer(), nullable=False),
        sa.Column('new_version', sa.Integer(), nullable=False),
        sa.Column('instance_ids', sa.JSON(), nullable=False),
        sa.Column('proposed_by', sa.String(length=64), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
    )
    op.create_index('ix_migration_proposals_process_id', 'migration_proposals', ['process_id'])


def downgrade() -> None:
    op.drop_index('ix_migration_proposals_process_id', 'migration_proposals')
    op.drop_table('migration_proposals')
    with op.batch_alter_table('process_definitions') as batch:
        for column in ('decision_note', 'decided_at', 'decided_by', 'status'):
            batch.drop_column(column)
