"""Migration 0020 on a database that already holds departments, users and applications: every
one of them is at the city level, whose competent authority is the configured department, now of
kind `authority`. On SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import create_engine, make_url, text

from engine.persistence.database import connect
from engine.persistence.migrate import alembic_config, upgrade


@contextmanager
def _blank(database_url: str, tmp_path):
    """A database of the same dialect with nothing in it, as a URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.sqlite3'}"
        return
    schema = f"pdw_before_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.difference_update_query(["options"]))
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize("authority_kind", ["department", "authority"])
def test_upgrading_an_existing_database_keeps_everything_at_the_city_level(database_url, tmp_path, monkeypatch,
                                                                           authority_kind):
    monkeypatch.delenv("PDW_COMPETENT_DEPARTMENT", raising=False)
    with _blank(database_url, tmp_path) as url:
        db = connect(url)
        try:
            with db.write_engine.begin() as connection:
                command.upgrade(alembic_config(connection), "0018")
                # Before levels: sjj made by `pdw users add` as a plain department (the case) or
                # as the authority; a department and a citizen beside it.
                connection.execute(text("INSERT INTO departments (code, name, kind) VALUES "
                                        f"('sjj', '达州市数据局', '{authority_kind}'), ('gaj', '达州市公安局', 'department')"))
                connection.execute(text(
                    "INSERT INTO users (name, display_name, department, roles, active, created_at, session_generation) "
                    "VALUES ('zhao.liu', '赵六', 'sjj', '[\"supervisor\"]', true, '2026-01-05 01:00:00+00', 0), "
                    "('chen.shi', '陈十', NULL, '[\"applicant\"]', true, '2026-01-05 01:00:00+00', 0)"))
            assert upgrade(db) >= "0020"  # through the organisation migration, to the head
            with db.engine.connect() as connection:
                levels = connection.execute(text("SELECT code, kind, parent, authority FROM levels")).all()
                departments = connection.execute(text(
                    "SELECT code, kind, level, full_name, retired_at FROM departments ORDER BY code")).all()
                users = connection.execute(text("SELECT name, department, level FROM users ORDER BY name")).all()
        finally:
            db.dispose()
    assert [tuple(r) for r in levels] == [("city", "city", None, "sjj")]
    assert [tuple(r) for r in departments] == [("gaj", "department", "city", None, None),
                                               ("sjj", "authority", "city", None, None)]
    # Accounts keep what they had: a member acts at their department's level, a citizen at the city's.
    assert [tuple(r) for r in users] == [("chen.shi", None, None), ("zhao.liu", "sjj", None)]
