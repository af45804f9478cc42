"""sign-in attempts and inbox indexes

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_AVAILABLE = "state = 'open' AND assignee IS NULL"


def upgrade() -> None:
    op.create_table('sign_in_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_attempts_user_at', ['user_name', 'at'], unique=False)
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_human_tasks_available', ['due_at', 'id'], unique=False,
                              postgresql_where=sa.text(_AVAILABLE), sqlite_where=sa.text(_AVAILABLE))
        batch_op.create_index('ix_human_tasks_completed_by_id', ['completed_by', 'completed_at', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_completed_by_id')
        batch_op.drop_index('ix_human_tasks_available', postgresql_where=sa.text(_AVAILABLE),
                            sqlite_where=sa.text(_AVAILABLE))
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_attempts_user_at')
    op.drop_table('sign_in_attempts')
