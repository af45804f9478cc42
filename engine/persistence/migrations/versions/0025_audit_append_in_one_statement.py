"""audit chains: on PostgreSQL an entry and its head's move are one statement

Revision ID: 0025
Revises: 0024

Appending an audit entry on PostgreSQL took three writes: the head's count, the entry, and the
trigger moving the head to the entry's hash (a second update of the same row, with a plpgsql
call, in every audited write). The append is now one statement that moves the head and writes
the entry from what the head returns (engine.persistence.repositories._audit_append); the head
keeps the hash the newest entry links to, prev_hash, for that. SQLite keeps its trigger.
"""
from alembic import op
import sqlalchemy as sa

from engine.persistence.triggers import AUDIT_HEAD

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_chains') as batch:
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        for statement in AUDIT_HEAD['postgresql'][1]:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for statement in AUDIT_HEAD['postgresql'][0]:
            op.execute(statement)
    with op.batch_alter_table('audit_chains') as batch:
        batch.drop_column('prev_hash')
