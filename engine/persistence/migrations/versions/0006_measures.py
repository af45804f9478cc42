"""the catalog's Art. 13 fields, the record that releases data from 不予开放, and revoked grants

Revision ID: 0006
Revises: 0005

Art. 13 asks the catalog for each item's data format, data type and sensitivity level. Art. 24
para. 3 and 25 let data listed 不予开放 be opened only once desensitised or with the rights
holders' consent: `catalog_releases` records both (what was done, who consented, when, the
evidence) for every item moved out of 不予开放. Art. 43: ending an authorisation marks the grant
revoked (when, by whom, why) and access ends.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_format', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('data_type', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sensitivity_level', sa.String(length=32), nullable=True))
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.Text(), nullable=True))
    op.create_table(
        'catalog_releases',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('catalog_item', sa.String(length=64), nullable=False),
        sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('attribute', sa.String(length=16), nullable=False),
        sa.Column('desensitisation', sa.Text(), nullable=False),
        sa.Column('consent_holders', sa.Text(), nullable=False),
        sa.Column('consent_date', sa.Date(), nullable=False),
        sa.Column('consent_evidence', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['catalog_item'], ['catalog_items.code'], ),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('catalog_releases', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_releases_catalog_item', ['catalog_item'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalog_releases', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_releases_catalog_item')
    op.drop_table('catalog_releases')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        for column in ('revoke_reason', 'revoked_by', 'revoked_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        for column in ('sensitivity_level', 'data_type', 'data_format'):
            batch_op.drop_column(column)
