"""the application's statutory clock and the department that handles it

Revision ID: 0005
Revises: 0004

Every application carries the statutory deadline that governs it, whichever internal step is
open: the last day of its period (original, then extended), the rule and article it comes
from, and whether the year it falls in is official or provisional. When the applicant is given
the formal reply, its time is recorded with the working days it came late (0: on time).
`department` is the unit competent to handle the application. Reports read these columns and
never restore a workflow.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_UNANSWERED = "replied_at IS NULL AND statutory_due_date IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('statutory_due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('statutory_rule', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('statutory_article', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('statutory_provisional', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('statutory_extended_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replied_late_days', sa.Integer(), nullable=True))
        batch_op.create_index('ix_process_instances_unanswered_due', ['statutory_due_date'],
                              unique=False, postgresql_where=sa.text(_UNANSWERED),
                              sqlite_where=sa.text(_UNANSWERED))
        batch_op.create_index('ix_process_instances_replied', ['replied_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instances_replied')
        batch_op.drop_index('ix_process_instances_unanswered_due',
                            postgresql_where=sa.text(_UNANSWERED), sqlite_where=sa.text(_UNANSWERED))
        for column in ('replied_late_days', 'replied_at', 'statutory_extended_from',
                       'statutory_provisional', 'statutory_article', 'statutory_rule',
                       'statutory_due_date', 'department'):
            batch_op.drop_column(column)
