"""the audit chain's head moves with each entry, by trigger

Revision ID: 0011
Revises: 0010

Appending an audit entry took three statements: take the head (and its lock), insert the
entry, move the head to the entry's hash. A trigger on audit_log now moves the head inside the
insert, so an append is two statements on every step of every application.
"""
from alembic import op

# The triggers as this migration made them (engine.persistence.triggers has moved on since, 0012).
AUDIT_HEAD = {
    "sqlite": ((
        """
        CREATE TRIGGER trg_audit_head_moves AFTER INSERT ON audit_log
        BEGIN
            UPDATE audit_head SET last_hash = NEW.hash WHERE id = 1;
        END
        """,
    ), ("DROP TRIGGER IF EXISTS trg_audit_head_moves",)),
    "postgresql": ((
        """
        CREATE FUNCTION pdw_audit_head_moves() RETURNS trigger AS $$
        BEGIN
            UPDATE audit_head SET last_hash = NEW.hash WHERE id = 1;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """,
        """
        CREATE TRIGGER trg_audit_head_moves AFTER INSERT ON audit_log
        FOR EACH ROW EXECUTE FUNCTION pdw_audit_head_moves()
        """,
    ), ("DROP TRIGGER IF EXISTS trg_audit_head_moves ON audit_log", "DROP FUNCTION IF EXISTS pdw_audit_head_moves()")),
}

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in AUDIT_HEAD[op.get_bind().dialect.name][0]:
        op.execute(statement)


def downgrade() -> None:
    for statement in AUDIT_HEAD[op.get_bind().dialect.name][1]:
        op.execute(statement)
