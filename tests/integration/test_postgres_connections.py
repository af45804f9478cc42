"""PostgreSQL connections: a pooled connection the server closed is replaced before use, and the
writes the engine holds back for one round trip are seen by queries and committed with it."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text

from engine.persistence.database import connect
from engine.persistence.models import AuditEntry


@pytest.fixture
def database_kind() -> str:
    return "postgres"


def test_a_pooled_connection_the_server_closed_is_replaced_before_use(database_url):
    db = connect(database_url)
    admin = create_engine(database_url)
    try:
        with db.engine.connect() as c:
            pid = c.execute(text("select pg_backend_pid()")).scalar()
        with admin.connect() as c:
            # Waits (up to 5 s) until the backend has exited and closed its socket.
            assert c.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        with db.engine.connect() as c:
            assert c.execute(text("select pg_backend_pid()")).scalar() != pid
    finally:
        admin.dispose()
        db.dispose()


def test_held_back_writes_are_seen_by_an_orm_query_and_committed_with_the_unit_of_work(engine):
    uow = engine.uow()
    with uow:
        now = engine.clock.now()
        uow.audit.append(at=now, actor="tester", action="test.held_back")
        assert uow.cursor.has_pending
        # The ORM query sends what was held back before it runs.
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "test.held_back")) == 1
        uow.audit.append(at=now, actor="tester", action="test.held_back")
        uow.commit()
    with engine.uow().read() as reader:
        assert reader.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "test.held_back")) == 2


def test_held_back_writes_are_dropped_with_a_unit_of_work_that_does_not_commit(engine):
    with engine.uow() as uow:
        uow.audit.append(at=engine.clock.now(), actor="tester", action="test.rolled_back")
    with engine.uow().read() as reader:
        assert reader.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "test.rolled_back")) == 0
