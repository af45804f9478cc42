"""holiday arrangements in the database, the calendar version, notifications

Revision ID: 0004
Revises: 0003

Each year's State Council holiday notice is installed into calendar_arrangements (`pdw db
upgrade` installs the shipped files, `pdw calendar install` a new one), so every process
counts by the same calendar. calendar_head holds the version every process compares with
the calendar it counts by. notifications tell people that a deadline moved.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_CURRENT = "superseded_at IS NULL"
_UNREAD = "read_at IS NULL"


def upgrade() -> None:
    op.create_table('calendar_arrangements',
    sa.Column('id', _ID, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('notice', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('published', sa.Date(), nullable=False),
    sa.Column('days', sa.JSON(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_text', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('calendar_version', _ID, nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('installed_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('calendar_arrangements', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_arrangements_current', ['year'], unique=True,
                              postgresql_where=sa.text(_CURRENT), sqlite_where=sa.text(_CURRENT))
    op.create_table('calendar_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', _ID, nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('notifications',
    sa.Column('id', _ID, nullable=False),
    sa.Column('recipient_user', sa.String(length=64), nullable=True),
    sa.Column('recipient_group', sa.String(length=128), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('instance_id', _ID, nullable=True),
    sa.Column('task_id', _ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['recipient_user', 'id'], unique=False,
                              postgresql_where=sa.text(_UNREAD), sqlite_where=sa.text(_UNREAD))
        batch_op.create_index('ix_notifications_group_unread', ['recipient_group', 'id'], unique=False,
                              postgresql_where=sa.text(_UNREAD), sqlite_where=sa.text(_UNREAD))
    # Version 0: nothing installed yet; `pdw db upgrade` then installs the shipped notices.
    op.execute("INSERT INTO calendar_head (id, version) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_group_unread', postgresql_where=sa.text(_UNREAD),
                            sqlite_where=sa.text(_UNREAD))
        batch_op.drop_index('ix_notifications_user_unread', postgresql_where=sa.text(_UNREAD),
                            sqlite_where=sa.text(_UNREAD))
    op.drop_table('notifications')
    op.drop_table('calendar_head')
    with op.batch_alter_table('calendar_arrangements', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_arrangements_current', postgresql_where=sa.text(_CURRENT),
                            sqlite_where=sa.text(_CURRENT))
    op.drop_table('calendar_arrangements')
