"""mail that arrives: each notification is its mail's outbox row, retried with backoff

Revision ID: 0016
Revises: 0015

A notification is written in the transaction of the step that caused it; its mail is built
and sent apart, each on its own: `mail_attempts` and `mail_next_at` give the backoff after a
failure (and the lease of a claim), `mail_error` sets aside a mail that cannot be built.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('mail_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('mail_next_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('mail_error', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('mail_error')
        batch.drop_column('mail_next_at')
        batch.drop_column('mail_attempts')
