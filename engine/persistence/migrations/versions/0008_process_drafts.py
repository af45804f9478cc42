"""process designers' drafts

Revision ID: 0008
Revises: 0007

A designer's unfinished edit of a process: the BPMN as the modeler last saved it and any
JSON Schema forms edited beside it, one draft per process, shared by its designers. Deploying
makes a version out of it; the draft stays until it is saved over or discarded.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'process_drafts',
        sa.Column('process_id', sa.String(length=128), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=True),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('bpmn_xml', sa.LargeBinary(), nullable=False),
        sa.Column('forms', sa.JSON(), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('saved_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('process_id'),
    )


def downgrade() -> None:
    op.drop_table('process_drafts')
