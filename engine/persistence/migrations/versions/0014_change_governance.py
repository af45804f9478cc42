"""four eyes on process changes: version and migration proposals

Revision ID: 0014
Revises: 0012

A designer's deploy makes a proposed version, kept apart from the process definitions until a
second person with the approving role approves it; moving running applications onto a version
is proposed and approved the same way. process_definitions is untouched: every row in it is an
approved version, so code reading the newest version needs no change and runs on either schema.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'version_proposals',
        sa.Column('id', _BigId, primary_key=True),
        sa.Column('process_id', sa.String(length=128), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('bpmn_xml', sa.LargeBinary(), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('forms', sa.JSON(), nullable=False),
        sa.Column('properties', sa.JSON(), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('proposed_by', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.Column('definition_id', _BigId, nullable=True),
        sa.UniqueConstraint('process_id', 'version'),
    )
    op.create_index('ix_version_proposals_process_id', 'version_proposals', ['process_id'])
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
    op.drop_index('ix_version_proposals_process_id', 'version_proposals')
    op.drop_table('version_proposals')
