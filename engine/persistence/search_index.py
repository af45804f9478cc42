"""The full-text index over application_search, written once for every dialect.

SQLite: an FTS5 table reading its text from application_search (external content), kept in
step by three triggers. PostgreSQL: a GIN index over the words as a tsvector, built with
array_to_tsvector so no text-search parser or locale splits (or drops) Chinese.
Like engine.persistence.triggers, the models attach these statements to the table and
migration 0009 executes the same text; this module imports nothing from the models.
"""
from __future__ import annotations

from sqlalchemy import DDL, Table, event

# The PostgreSQL expression the index is built on; queries must use the very same expression.
POSTGRES_LEXEMES = "array_to_tsvector(string_to_array(tokens, ' '))"
FTS_TABLE = "application_search_fts"
POSTGRES_INDEX = "ix_application_search_lexemes"

# detail=none and columnsize=0: the inbox asks only whether an application holds each word
# (single words and prefixes, never phrases or ranks), so the index keeps no positions or
# sizes, which halves what indexing a new application writes.
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(tokens, content='application_search', "
    "content_rowid='instance_id', tokenize='unicode61', detail=none, columnsize=0)",
    f"""
    CREATE TRIGGER trg_application_search_added AFTER INSERT ON application_search BEGIN
        INSERT INTO {FTS_TABLE} (rowid, tokens) VALUES (NEW.instance_id, NEW.tokens);
    END
    """,
    f"""
    CREATE TRIGGER trg_application_search_removed AFTER DELETE ON application_search BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, tokens) VALUES ('delete', OLD.instance_id, OLD.tokens);
    END
    """,
    f"""
    CREATE TRIGGER trg_application_search_changed AFTER UPDATE ON application_search BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, tokens) VALUES ('delete', OLD.instance_id, OLD.tokens);
        INSERT INTO {FTS_TABLE} (rowid, tokens) VALUES (NEW.instance_id, NEW.tokens);
    END
    """,
)

SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS trg_application_search_changed",
    "DROP TRIGGER IF EXISTS trg_application_search_removed",
    "DROP TRIGGER IF EXISTS trg_application_search_added",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

POSTGRES_CREATE = (f"CREATE INDEX {POSTGRES_INDEX} ON application_search USING gin ({POSTGRES_LEXEMES})",)
POSTGRES_DROP = (f"DROP INDEX IF EXISTS {POSTGRES_INDEX}",)

_BY_DIALECT = {"sqlite": (SQLITE_CREATE, SQLITE_DROP), "postgresql": (POSTGRES_CREATE, POSTGRES_DROP)}


def create_statements(dialect: str) -> tuple[str, ...]:
    """The statements that create the index on `dialect` ("sqlite" or "postgresql"), in order."""
    return _BY_DIALECT[dialect][0]


def drop_statements(dialect: str) -> tuple[str, ...]:
    """The statements that drop the index on `dialect`, in order."""
    return _BY_DIALECT[dialect][1]


def attach(application_search: Table) -> None:
    """Create the index with the application_search table and drop it before the table."""
    for dialect, (creates, drops) in _BY_DIALECT.items():
        for statement in creates:
            event.listen(application_search, "after_create", DDL(statement).execute_if(dialect=dialect))
        for statement in drops:
            event.listen(application_search, "before_drop", DDL(statement).execute_if(dialect=dialect))
