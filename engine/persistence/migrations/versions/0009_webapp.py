"""what the web app keeps: a session generation per user, applications' supporting documents

Revision ID: 0009
Revises: 0005

A signed session cookie names the generation of its user's sessions; signing out, a new
password or disabling the user moves the generation on, so every copy of an old cookie,
wherever it was copied to, stops signing anyone in. Supporting documents are kept in the
database beside their application, so one backup holds both.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                      server_default=sa.text('0')))
    op.create_table(
        'attachments',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('uploaded_by', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_attachments_instance_id', 'attachments', ['instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_attachments_instance_id', table_name='attachments')
    op.drop_table('attachments')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
