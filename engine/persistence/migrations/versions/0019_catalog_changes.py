"""catalog changes: proposals reviewed item by item, a fixed grading vocabulary, reasons and legal bars

Revision ID: 0019
Revises: 0018

Every change to the live catalog is proposed item by item (`catalog_proposals`, old -> new per
attribute) and reaches `catalog_items` only when the authority approves it
(engine.services.catalog_changes). Items gain the reason a conditional or refused item carries
(Art. 19 para. 2) and the law that bars sharing and opening (Art. 18). The sensitivity level
becomes the fixed vocabulary of engine.catalog_rules.LEVELS (Art. 12): a level outside it is
set to 敏感, never to a looser grade.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# engine.catalog_rules.LEVELS as they were when this migration was written.
LEVELS = ('公开', '一般', '敏感', '个人信息', '重要数据')


def upgrade() -> None:
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('legal_bar', sa.Text(), nullable=True))
    items = sa.table('catalog_items', sa.column('sensitivity_level', sa.String(32)))
    op.execute(items.update().where(sa.or_(items.c.sensitivity_level.is_(None),
                                           items.c.sensitivity_level.notin_(LEVELS)))
               .values(sensitivity_level='敏感'))
    op.create_table(
        'catalog_proposals',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('catalog_item', sa.String(length=64), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('created', sa.Boolean(), nullable=False),
        sa.Column('release', sa.JSON(), nullable=True),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('source_kind', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('proposed_by', sa.String(length=64), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('catalog_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_proposals_catalog_item', ['catalog_item'], unique=False)
        batch_op.create_index('ix_catalog_proposals_status', ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalog_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_proposals_status')
        batch_op.drop_index('ix_catalog_proposals_catalog_item')
    op.drop_table('catalog_proposals')
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        for column in ('legal_bar', 'share_reason'):
            batch_op.drop_column(column)
