"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, make_url, text

from engine.persistence import search_index
from engine.persistence.database import connect
from engine.persistence.models import Base

TRIGGERS = {"sqlite": {"trg_task_candidates_taken", "trg_task_candidates_released", "trg_application_search_added",
                      "trg_application_search_removed", "trg_application_search_changed", "trg_audit_head_moves"},
            # PostgreSQL moves an audit chain's head in the statement that appends (migration 0025).
            "postgresql": {"trg_task_candidates_sync"}}


def test_the_migrated_schema_matches_the_models(database_url):
    db = connect(database_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": _modelled})
            differences = compare_metadata(context, Base.metadata)
            assert context.get_current_revision() is not None
    finally:
        db.dispose()
    assert differences == []


def _modelled(name, kind, parent_names) -> bool:
    """False for what engine.persistence.search_index makes beside the models (the FTS5 table and
    its shadow tables on SQLite, the expression index on PostgreSQL): no model describes them."""
    return not (name or "").startswith((search_index.FTS_TABLE, search_index.POSTGRES_INDEX))


def _triggers(url: str) -> set[tuple]:
    """The triggers of the database (or PostgreSQL schema) at `url`: name, table and definition,
    with the name and source of the function each runs on PostgreSQL."""
    db = connect(url)
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                query = "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
            else:
                # Foreign keys are enforced by internal triggers, which are no part of the design;
                # the definition names the table with its schema, which differs per database.
                query = ("SELECT t.tgname, c.relname, replace(pg_get_triggerdef(t.oid), current_schema() || '.', ''), "
                         "p.proname, p.prosrc "
                         "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                         "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal")
            return {tuple(row) for row in connection.execute(text(query))}
    finally:
        db.dispose()


@contextmanager
def _created_by_the_models(database_url: str, tmp_path: Path):
    """A new database of the same dialect made by `Base.metadata.create_all`, as a URL.

    On PostgreSQL it is a private schema, dropped afterwards like the session's test schema.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = f"sqlite:///{tmp_path / 'created.sqlite3'}"
        schema = admin = None
    else:
        schema = f"pdw_create_all_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url.difference_update_query(["options"]))
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        target = url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        db = connect(target)
        try:
            with db.write_engine.begin() as connection:
                Base.metadata.create_all(connection)
        finally:
            db.dispose()
        yield target
    finally:
        if admin is not None:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def test_the_migrated_schema_and_the_models_create_the_same_triggers(database_url, tmp_path):
    migrated = _triggers(database_url)
    with _created_by_the_models(database_url, tmp_path) as created_url:
        created = _triggers(created_url)
    assert {t[0] for t in migrated} == TRIGGERS[make_url(database_url).get_backend_name()]
    assert created == migrated
