"""what the web app keeps: a session generation per user, applications' supporting documents,
and the full-text index of applications

Revision ID: 0009
Revises: 0008

A signed session cookie names the generation of its user's sessions; signing out, a new
password or disabling the user moves the generation on, so every copy of an old cookie,
wherever it was copied to, stops signing anyone in. Supporting documents are kept in the
database beside their application, so one backup holds both. application_search holds the
words people search applications by, indexed by engine.persistence.search_index (FTS5 on
SQLite, a GIN tsvector on PostgreSQL); `pdw db upgrade` fills it for applications made before.
"""
from alembic import op
import sqlalchemy as sa

from engine.persistence.search_index import create_statements, drop_statements


revision = '0009'
down_revision = '0008'
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
    op.create_table(
        'application_search',
        sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('tokens', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id']),
        sa.PrimaryKeyConstraint('instance_id'),
    )
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('application_search')
    op.drop_index('ix_attachments_instance_id', table_name='attachments')
    op.drop_table('attachments')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
