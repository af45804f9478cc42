"""organisation: levels (the city, its counties and districts) and departments' level, full name
and retirement

Revision ID: 0020
Revises: 0019

Existing databases keep working as they did: one city level is added, whose competent authority
is the existing department of kind `authority` (when there is exactly one), else the configured
`PDW_COMPETENT_DEPARTMENT` when such a department exists (made of kind `authority`); every
existing department and account is at the city level. A city level with no authority yet falls back to the configured code
(engine.services.organisation).
"""
import os

from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

CITY = "city"


def upgrade() -> None:
    op.create_table(
        'levels',
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('parent', sa.String(length=64), nullable=True),
        sa.Column('authority', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['parent'], ['levels.code']),
        sa.PrimaryKeyConstraint('code'),
    )
    for table in ('departments', 'users'):
        _add_level_column(table)
    op.add_column('departments', sa.Column('full_name', sa.String(length=200), nullable=True))
    op.add_column('departments', sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_departments_level', 'departments', ['level'])

    connection = op.get_bind()
    departments = sa.table('departments', sa.column('code', sa.String), sa.column('kind', sa.String),
                           sa.column('level', sa.String))
    levels = sa.table('levels', sa.column('code', sa.String), sa.column('name', sa.String),
                      sa.column('kind', sa.String), sa.column('parent', sa.String), sa.column('authority', sa.String))
    authorities = connection.execute(
        sa.select(departments.c.code).where(departments.c.kind == 'authority')).scalars().all()
    configured = os.environ.get("PDW_COMPETENT_DEPARTMENT") or "sjj"
    known = set(connection.execute(sa.select(departments.c.code)).scalars())
    authority = authorities[0] if len(authorities) == 1 else (configured if configured in known else None)
    connection.execute(levels.insert().values(code=CITY, name="市本级", kind="city", parent=None, authority=authority))
    connection.execute(departments.update().values(level=CITY))
    if authority is not None:
        # Its supervisors oversee every level (engine.access): it is of kind `authority`.
        connection.execute(departments.update().where(departments.c.code == authority).values(kind='authority'))


def _add_level_column(table: str) -> None:
    """Add `table.level` referring to `levels.code`. SQLite adds a column with its REFERENCES
    clause in place; rebuilding the table (Alembic's batch mode) would drop a table that other
    rows refer to, which foreign keys, on in every PDW connection, refuse."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN level VARCHAR(64) REFERENCES levels (code)')
    else:
        op.add_column(table, sa.Column('level', sa.String(length=64), nullable=True))
        op.create_foreign_key(f'{table}_level_fkey', table, 'levels', ['level'], ['code'])


def downgrade() -> None:
    op.drop_index('ix_departments_level', table_name='departments')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('level')
    with op.batch_alter_table('departments') as batch:
        batch.drop_column('retired_at')
        batch.drop_column('full_name')
        batch.drop_column('level')
    op.drop_table('levels')
