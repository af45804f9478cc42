"""no row that every write must take: an audit chain per application, receipt numbers from sequences

Revision ID: 0012
Revises: 0011

Every audited write updated the one audit_head row, and every accepted application the day's
receipt_counters row, each holding the row's lock until its commit: concurrent applications
queued on both. Now:
- audit_log.chain names the chain an entry links into: its application's id, or 0 for entries
  about no application and for the scheduler's seals. Each chain has its head in audit_chains
  (moved by the trigger, as audit_head was). The entries written before this migration stay in
  chain 0, whose head continues audit_head's, which is dropped.
- On PostgreSQL a day's receipt numbers come from a sequence of that day (pdw_receipt_next,
  which makes it at the day's first application, continuing receipt_counters' count of it), so
  taking one waits for nobody; a number taken by a unit of work that rolls back is not reused.
  SQLite, a single writer, keeps receipt_counters.
"""
import sqlalchemy as sa
from alembic import op

from engine.persistence.triggers import AUDIT_HEAD

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The sequence of `day`'s receipt numbers, made if missing, to start after the day's numbers
# given before it existed (by receipt_counters before this migration, or in a database restored
# without its sequences). Applications making it at the same moment wait for the first to commit,
# so the scheduler makes today's and tomorrow's ahead (InstanceRepository.prepare_receipt_days).
RECEIPT_DAY = """
CREATE FUNCTION pdw_receipt_day(day date) RETURNS text AS $$
DECLARE
    name text := 'pdw_receipt_' || to_char(day, 'YYYYMMDD');
    given integer;
BEGIN
    IF to_regclass(name) IS NULL THEN
        given := GREATEST(
            (SELECT last FROM receipt_counters AS r WHERE r.day = pdw_receipt_day.day),
            (SELECT max(substr(receipt_number, 11)::integer) FROM process_instances
             WHERE receipt_number LIKE 'DZ' || to_char(day, 'YYYYMMDD') || '%'));
        BEGIN
            EXECUTE format('CREATE SEQUENCE %I AS integer START WITH %s', name, COALESCE(given, 0) + 1);
        EXCEPTION WHEN unique_violation OR duplicate_table THEN
            -- Another transaction made it at the same moment (and has committed: we waited).
            NULL;
        END;
    END IF;
    RETURN name;
END
$$ LANGUAGE plpgsql
"""

# The next number of `day`'s sequence: waits for no other application (nextval never does).
RECEIPT_NEXT = """
CREATE FUNCTION pdw_receipt_next(day date) RETURNS integer AS $$
    SELECT nextval(pdw_receipt_day(day))::integer
$$ LANGUAGE sql
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in AUDIT_HEAD[dialect][1]:
        op.execute(statement)
    op.create_table('audit_chains',
                    sa.Column('chain', BigId, autoincrement=False, nullable=False),
                    sa.Column('entries', BigId, nullable=False),
                    sa.Column('last_hash', sa.String(length=64), nullable=False),
                    sa.Column('sealed_entries', BigId, server_default='0', nullable=False),
                    sa.PrimaryKeyConstraint('chain'))
    op.execute("INSERT INTO audit_chains (chain, entries, last_hash, sealed_entries) "
               "SELECT 0, entries, last_hash, entries FROM audit_head WHERE id = 1")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', BigId, server_default='0', nullable=False))
    op.drop_table('audit_head')
    for statement in AUDIT_HEAD[dialect][0]:
        op.execute(statement)
    if dialect == 'postgresql':
        op.execute(RECEIPT_DAY)
        op.execute(RECEIPT_NEXT)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS pdw_receipt_next(date)")
        op.execute("DROP FUNCTION IF EXISTS pdw_receipt_day(date)")
    for statement in AUDIT_HEAD[dialect][1]:
        op.execute(statement)
    op.create_table('audit_head',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('entries', BigId, nullable=False),
                    sa.Column('last_hash', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    # Only chain 0 can be the one chain again; entries of other chains no longer link into it.
    op.execute("INSERT INTO audit_head (id, entries, last_hash) SELECT 1, entries, last_hash FROM audit_chains "
               "WHERE chain = 0")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('chain')
    op.drop_table('audit_chains')
    for statement in (
        """CREATE TRIGGER trg_audit_head_moves AFTER INSERT ON audit_log
        BEGIN UPDATE audit_head SET last_hash = NEW.hash WHERE id = 1; END""",
    ) if dialect == 'sqlite' else (
        """CREATE FUNCTION pdw_audit_head_moves() RETURNS trigger AS $$
        BEGIN UPDATE audit_head SET last_hash = NEW.hash WHERE id = 1; RETURN NULL; END
        $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER trg_audit_head_moves AFTER INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION pdw_audit_head_moves()""",
    ):
        op.execute(statement)
