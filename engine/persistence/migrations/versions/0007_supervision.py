"""supervision: deadline notices sent once, 催办 and 通报, departments' promised time limits, e-mail

Revision ID: 0007
Revises: 0006

`deadline_notices` records each reminder, overdue alert, reply notice and 通报 under a key
that is unique, so however many schedulers scan the same deadlines each is sent once.
`urges` records a supervisor's 催办 of a task and when it was escalated to the department's
head (通报). `department_promises` holds a department's published 承诺时限 for a procedure,
tracked beside (never instead of) the statutory deadline. `notifications.emailed_at` marks a
notification handed to the SMTP server; `users.email` is where it goes. The on-time report
reads the replies of a period from one covering index on process_instances, without the rows.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_CLOCKED = 'statutory_due_date IS NOT NULL'
_BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'deadline_notices',
        sa.Column('id', _BigId, primary_key=True),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('instance_id', _BigId, nullable=True),
        sa.Column('task_id', _BigId, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('key', name='uq_deadline_notices_key'),
    )
    op.create_index('ix_deadline_notices_task', 'deadline_notices', ['task_id', 'kind'])
    op.create_index('ix_deadline_notices_instance', 'deadline_notices', ['instance_id', 'kind'])
    op.create_table(
        'urges',
        sa.Column('id', _BigId, primary_key=True),
        sa.Column('task_id', _BigId, sa.ForeignKey('human_tasks.id'), nullable=False),
        sa.Column('instance_id', _BigId, sa.ForeignKey('process_instances.id'), nullable=False),
        sa.Column('urged_by', sa.String(length=64), nullable=False),
        sa.Column('urged_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('urged_on', sa.Date(), nullable=False),
        sa.Column('holder', sa.String(length=200), nullable=False),
        sa.Column('department', sa.String(length=64), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('bulletin_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_urges_task', 'urges', ['task_id'])
    op.create_index('ix_urges_pending', 'urges', ['urged_on'], postgresql_where=sa.text('bulletin_at IS NULL'),
                    sqlite_where=sa.text('bulletin_at IS NULL'))
    op.create_table(
        'department_promises',
        sa.Column('department', sa.String(length=64), sa.ForeignKey('departments.code'), primary_key=True),
        sa.Column('process_id', sa.String(length=128), primary_key=True),
        sa.Column('working_days', sa.Integer(), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('set_by', sa.String(length=64), nullable=False),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_process_instances_replies', 'process_instances',
                    ['replied_at', 'process_id', 'department', 'received_on', 'replied_late_days'],
                    postgresql_where=sa.text(_CLOCKED), sqlite_where=sa.text(_CLOCKED))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')
    op.drop_index('ix_process_instances_replies', table_name='process_instances',
                  postgresql_where=sa.text(_CLOCKED), sqlite_where=sa.text(_CLOCKED))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('emailed_at')
    op.drop_table('department_promises')
    op.drop_index('ix_urges_pending', table_name='urges', postgresql_where=sa.text('bulletin_at IS NULL'),
                  sqlite_where=sa.text('bulletin_at IS NULL'))
    op.drop_index('ix_urges_task', table_name='urges')
    op.drop_table('urges')
    op.drop_index('ix_deadline_notices_instance', table_name='deadline_notices')
    op.drop_index('ix_deadline_notices_task', table_name='deadline_notices')
    op.drop_table('deadline_notices')
