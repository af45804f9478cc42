"""PostgreSQL: the JSON written at each step is compressed with lz4 rather than pglz

Revision ID: 0027
Revises: 0026

A value that takes a row past about 2 kB is compressed before it is stored (TOAST), with pglz
unless the column says otherwise. An application's state is past that from its first step (3 kB
for the bench's two_reviews, more for the shipped procedures), and it is written at every step:
pglz_compress was 6.7% of the PostgreSQL backends' CPU on two_reviews (perf, sampling the
backends). lz4 compresses several times faster and decompresses faster; throughput on
two_reviews, a single process, went from 212-223 to 224-225 instances/s (three interleaved
pairs). Only values written from now on use it; the rest stay readable as they are.

The columns: the state, the application's summary, a decided task's result and an audit entry's
before and after. Servers built without lz4 (it is optional) keep pglz: nothing changes there.
SQLite does not compress.
"""
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

COLUMNS = [("process_instances", "state"), ("process_instances", "summary"), ("human_tasks", "result"),
           ("audit_log", "before"), ("audit_log", "after")]


def _lz4_available(bind) -> bool:
    return bool(bind.exec_driver_sql(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").scalar())


def _set(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _lz4_available(bind):
        return
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("default")
