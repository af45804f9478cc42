"""the audit chain's head moves with each entry, by trigger

Revision ID: 0011
Revises: 0010

Appending an audit entry took three statements: take the head (and its lock), insert the
entry, move the head to the entry's hash. A trigger on audit_log now moves the head inside the
insert, so an append is two statements on every step of every application.
"""
from alembic import op

from engine.persistence.triggers import AUDIT_HEAD

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in AUDIT_HEAD[op.get_bind().dialect.name][0]:
        op.execute(statement)


def downgrade() -> None:
    for statement in AUDIT_HEAD[op.get_bind().dialect.name][1]:
        op.execute(statement)
