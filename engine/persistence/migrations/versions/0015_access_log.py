"""the access log: who read an application other than its applicant

Revision ID: 0015
Revises: 0014

Every read of an application by an official (the task page, the API's view, the formal
reply, a document, the supervisor's drill-down, the command line) is recorded with who, when,
as which audience and from which entry point (engine.access, engine.services.audience).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('audience', sa.String(length=32), nullable=False),
        sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('entry_point', sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_access_log_instance_id', 'access_log', ['instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_access_log_instance_id', table_name='access_log')
    op.drop_table('access_log')
