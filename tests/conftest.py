"""Fixtures shared by every test: engines on a real SQLite file and a real PostgreSQL server.

Databases are migrated, and seeded where a suite needs data, once per session (a template);
each test gets a fresh copy: a copied file on SQLite, tables refilled from the template's
schema on PostgreSQL. All engines of a session share one script worker process.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine.persistence.database import connect
from engine.persistence.migrate import upgrade
from engine.persistence.models import Base
from engine.sandbox import Sandbox
from engine.services import calendar
from engine_factory import TEST_SCRIPT_TIME_LIMIT, EngineFactory

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get("PDW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    probe = create_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        with probe.connect() as c:
            c.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        probe.dispose()


@pytest.fixture(scope="session")
def sandbox():
    """The one script worker every engine of the session uses."""
    with Sandbox(time_limit=TEST_SCRIPT_TIME_LIMIT) as shared:
        yield shared


def migrate(url: str) -> None:
    """What `pdw db upgrade` does: run the migrations, then install the shipped holiday notices."""
    db = connect(url)
    upgrade(db)
    db.dispose()
    factory = EngineFactory(url, FIXTURES / "forms")
    calendar.seed(factory.at().uow())
    factory.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies, so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "pdw.sqlite3"
    migrate(f"sqlite:///{path}")
    _checkpoint(path)
    return path


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL URL, once it is known to answer."""
    if not _postgres_available():
        if os.environ.get("PDW_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


class _Schemas:
    """Private, migrated schemas on the PostgreSQL server, dropped at the end of the session."""

    def __init__(self, server: str) -> None:
        self._admin = create_engine(server, poolclass=NullPool)
        self._server = server
        self._restorers: dict[str, object] = {}
        self.names: list[str] = []

    def restore(self, url: str, template_schema: str | None) -> None:
        """Give the schema at `url` the rows of `template_schema` (none: empty), in one round trip."""
        if url not in self._restorers:
            self._restorers[url] = create_engine(url)
        with self._restorers[url].begin() as c:
            c.exec_driver_sql(_restore_script(template_schema))

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self._admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{name}"'))
        self.names.append(name)
        migrate(self.url(name))
        return name

    def url(self, name: str) -> str:
        return f"{self._server}?options=-csearch_path%3D{name}"

    def drop_all(self) -> None:
        for engine in self._restorers.values():
            engine.dispose()
        with self._admin.begin() as c:
            for name in self.names:
                c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_schemas(postgres_server):
    """Makes private migrated schemas for the session and drops them at its end."""
    schemas = _Schemas(postgres_server)
    yield schemas
    schemas.drop_all()


@pytest.fixture(scope="session")
def postgres_schema(postgres_schemas) -> str:
    """A private schema on the PostgreSQL server, migrated once for the whole run; its URL."""
    return postgres_schemas.url(postgres_schemas.create("pdw_test"))


def _restore_script(template_schema: str | None) -> str:
    """The SQL that empties every table and, from a seeded template schema, copies its rows back.

    DELETE in reverse dependency order rather than TRUNCATE: with a few rows per table it is
    several times faster, and sequences are set back explicitly.
    """
    tables = [t.name for t in Base.metadata.sorted_tables]
    lines = [f"DELETE FROM {table}" for table in reversed(tables)]
    # The days' receipt-number sequences (migration 0012) start again from the rows restored.
    lines.append("DO $$DECLARE s text; BEGIN FOR s IN SELECT sequencename FROM pg_sequences "
                 "WHERE schemaname = current_schema() AND starts_with(sequencename, 'pdw_receipt_') "
                 "LOOP EXECUTE 'DROP SEQUENCE ' || quote_ident(s); END LOOP; END$$")
    if template_schema is None:
        lines += ["INSERT INTO audit_chains (chain, entries, last_hash) VALUES (0, 0, '" + "0" * 64 + "')",
                  "INSERT INTO calendar_head (id, version) VALUES (1, 0)"]
    else:
        # audit_chains after audit_log: each copied entry moves its head (a trigger), and the
        # template's head rows then set them back to the chains' true ends.
        copied = sorted(tables, key=lambda table: table == "audit_chains")
        lines += [f'INSERT INTO {table} SELECT * FROM "{template_schema}".{table}' for table in copied]
    # setval is strict: for a table whose id has no sequence it does nothing.
    lines += [f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
              f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
              for table in tables if "id" in Base.metadata.tables[table].c]
    return ";\n".join(lines)


class Templates:
    """Seeded databases built once per session under a name; `fresh` gives a test its own copy."""

    def __init__(self, request, tmp_path_factory) -> None:
        self._request = request
        self._tmp = tmp_path_factory
        self._built: dict[tuple[str, str], str] = {}

    def fresh(self, kind: str, name: str, seed: Callable[[str], None], tmp_path: Path) -> str:
        """A database of `kind` ("sqlite" or "postgres") holding what `seed(url)` wrote into the
        template `name`, for one test; returns its URL."""
        key = (kind, name)
        if key not in self._built:
            self._built[key] = self._build(kind, name, seed)
        if kind == "sqlite":
            path = tmp_path / "pdw.sqlite3"
            shutil.copy(self._built[key], path)
            return f"sqlite:///{path}"
        url = self._request.getfixturevalue("postgres_schema")
        self._request.getfixturevalue("postgres_schemas").restore(url, self._built[key])
        return url

    def _build(self, kind: str, name: str, seed: Callable[[str], None]) -> str:
        if kind == "sqlite":
            path = self._tmp.mktemp(f"template-{name}") / "pdw.sqlite3"
            shutil.copy(self._request.getfixturevalue("sqlite_template"), path)
            url = f"sqlite:///{path}"
            seed(url)
            _checkpoint(path)
            return str(path)
        schemas = self._request.getfixturevalue("postgres_schemas")
        schema = schemas.create(f"pdw_tpl_{name}")
        seed(schemas.url(schema))
        return schema


def _checkpoint(path: Path) -> None:
    # Everything must be in the main file before it is copied, not in the write-ahead log.
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


@pytest.fixture(scope="session")
def templates(request, tmp_path_factory) -> Templates:
    """The session's seeded template databases."""
    return Templates(request, tmp_path_factory)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_kind(request) -> str:
    """Each database test runs on a SQLite file, then on PostgreSQL."""
    return request.param


@pytest.fixture
def database_url(database_kind, templates, tmp_path) -> str:
    """An empty, migrated database holding the shipped holiday notices: a SQLite file, then PostgreSQL."""
    return templates.fresh(database_kind, "empty", _nothing, tmp_path)


def _nothing(url: str) -> None:
    """Seeds nothing beyond what migrating does."""


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """An empty, migrated SQLite file (for tests that need only one database)."""
    path = tmp_path / "pdw.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engines(database_url, sandbox):
    """The engine on the parametrized database, with the test forms, at chosen instants."""
    factory = EngineFactory(database_url, FIXTURES / "forms", sandbox)
    yield factory
    factory.close()


@pytest.fixture
def engine(engines):
    """The engine on the parametrized database, its clock frozen on Monday 2026-03-02 09:00."""
    return engines.at()
