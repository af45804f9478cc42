"""The database's triggers, written once for every dialect.

task_candidates: kept to available tasks.
A claim, a reassignment or a task leaving 'open' (completed, cancelled) deletes the task's
candidate rows; an unclaim puts them back from human_tasks.candidate_groups with the task's
due_at. Doing it in the database keeps the table right whoever updates a task row.

The models attach these statements to the task_candidates table (so `create_all` makes
them) and migration 0003 executes the same text, so a new database gets the same triggers
either way. Changing a statement here therefore also needs a new migration that drops and
recreates the triggers, or databases migrated earlier keep the old ones. This module
imports nothing from the models, as migrations must not depend on them.

audit_head: an entry added to audit_log becomes the head of its chain (migration 0011; one
chain per application since 0012), so appending an entry is two statements, not three. On
SQLite only since migration 0025: on PostgreSQL the one statement that appends an entry moves
its head (engine.persistence.repositories._audit_append), and the trigger, which did the same
work a second time in every audited write, is dropped. AUDIT_HEAD keeps both dialects' texts,
as migrations 0011 and 0012 execute them.
"""
from __future__ import annotations

from sqlalchemy import DDL, Table, event

SQLITE_CREATE = (
    """
    CREATE TRIGGER trg_task_candidates_taken AFTER UPDATE OF state, assignee ON human_tasks
    WHEN NEW.state <> 'open' OR NEW.assignee IS NOT NULL
    BEGIN
        DELETE FROM task_candidates WHERE task_id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER trg_task_candidates_released AFTER UPDATE OF assignee ON human_tasks
    WHEN NEW.state = 'open' AND NEW.assignee IS NULL AND OLD.assignee IS NOT NULL
    BEGIN
        INSERT OR IGNORE INTO task_candidates (task_id, group_name, due_at)
        SELECT NEW.id, value, NEW.due_at FROM json_each(NEW.candidate_groups);
    END
    """,
)

SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS trg_task_candidates_taken",
    "DROP TRIGGER IF EXISTS trg_task_candidates_released",
)

POSTGRES_CREATE = (
    """
    CREATE FUNCTION pdw_task_candidates_sync() RETURNS trigger AS $$
    BEGIN
        IF NEW.state <> 'open' OR NEW.assignee IS NOT NULL THEN
            DELETE FROM task_candidates WHERE task_id = NEW.id;
        ELSIF OLD.assignee IS NOT NULL THEN
            INSERT INTO task_candidates (task_id, group_name, due_at)
            SELECT NEW.id, g, NEW.due_at FROM json_array_elements_text(NEW.candidate_groups) AS g
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER trg_task_candidates_sync AFTER UPDATE OF state, assignee ON human_tasks
    FOR EACH ROW EXECUTE FUNCTION pdw_task_candidates_sync()
    """,
)

POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS trg_task_candidates_sync ON human_tasks",
    "DROP FUNCTION IF EXISTS pdw_task_candidates_sync()",
)

_BY_DIALECT = {"sqlite": (SQLITE_CREATE, SQLITE_DROP), "postgresql": (POSTGRES_CREATE, POSTGRES_DROP)}

AUDIT_HEAD = {
    "sqlite": ((
        """
        CREATE TRIGGER trg_audit_head_moves AFTER INSERT ON audit_log
        BEGIN
            UPDATE audit_chains SET last_hash = NEW.hash WHERE chain = NEW.chain;
        END
        """,
    ), ("DROP TRIGGER IF EXISTS trg_audit_head_moves",)),
    "postgresql": ((
        """
        CREATE FUNCTION pdw_audit_head_moves() RETURNS trigger AS $$
        BEGIN
            UPDATE audit_chains SET last_hash = NEW.hash WHERE chain = NEW.chain;
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


def create_statements(dialect: str) -> tuple[str, ...]:
    """The statements that create the triggers on `dialect` ("sqlite" or "postgresql"), in order."""
    return _BY_DIALECT[dialect][0]


def drop_statements(dialect: str) -> tuple[str, ...]:
    """The statements that drop the triggers on `dialect`, in order."""
    return _BY_DIALECT[dialect][1]


def attach(task_candidates: Table) -> None:
    """Create the triggers with the task_candidates table and drop them before it.

    They fire on human_tasks but write task_candidates, so they can only exist while both
    tables do; task_candidates references human_tasks, so it is created after it and
    dropped before it.
    """
    _listen(task_candidates, _BY_DIALECT)


def attach_audit_head(audit_log: Table) -> None:
    """Create the audit-head trigger (SQLite) with the audit_log table (audit_chains is created
    before it)."""
    _listen(audit_log, {"sqlite": AUDIT_HEAD["sqlite"]})


def _listen(table: Table, by_dialect: dict) -> None:
    for dialect, (creates, drops) in by_dialect.items():
        for statement in creates:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
        for statement in drops:
            event.listen(table, "before_drop", DDL(statement).execute_if(dialect=dialect))
