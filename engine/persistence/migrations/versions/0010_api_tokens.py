"""per-user API tokens

Revision ID: 0010
Revises: 0009

Other systems call /api/v1 with `Authorization: Bearer TOKEN`; a token acts as its user with
exactly that user's permissions. Only the SHA-256 of a token is stored (a token is 256 random
bits, so a fast hash is enough); `prefix` tells tokens apart in `pdw tokens list`.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('user_name', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_name'], ['users.name']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_api_tokens_user_name', 'api_tokens', ['user_name'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_tokens_user_name', table_name='api_tokens')
    op.drop_table('api_tokens')
