"""Fixtures shared by every test: engines on a real SQLite file and a real PostgreSQL server."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from engine.persistence.database import connect
from engine_factory import EngineFactory
from engine.persistence.migrate import upgrade
from engine.persistence.models import Base

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
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies, so migrations run once."""
    path = tmp_path_factory.mktemp("template") / "pdw.sqlite3"
    db = connect(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema():
    """A private schema on the PostgreSQL server, migrated once for the whole run."""
    if not _postgres_available():
        if os.environ.get("PDW_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"pdw_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    db = connect(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    db = connect(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.write_engine.begin() as c:
        c.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        c.execute(text("INSERT INTO audit_head (id, entries, last_hash) VALUES (1, 0, :g)"), {"g": "0" * 64})
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """An empty, migrated database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "pdw.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_schema")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    """An empty, migrated SQLite file (for tests that need only one database)."""
    path = tmp_path / "pdw.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engines(database_url):
    """Engines on the parametrized database, with the test forms."""
    factory = EngineFactory(database_url, FIXTURES / "forms")
    yield factory
    factory.close()


@pytest.fixture
def engine(engines):
    """An engine on the parametrized database, its clock frozen on Monday 2026-03-02 09:00."""
    return engines.at()
