"""what the web app keeps: a session generation per user

Revision ID: 0009
Revises: 0005

A signed session cookie names the generation of its user's sessions; signing out, a new
password or disabling the user moves the generation on, so every copy of an old cookie,
wherever it was copied to, stops signing anyone in.
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


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
