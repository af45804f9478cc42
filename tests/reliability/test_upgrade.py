"""Upgrading a database with applications in flight: instances started on version 1 of a
process finish after the database went back to the previous migration and `pdw db upgrade`
brought it to this code's again.

(This code writes what the newest migration made, audit_chains since 0012, so its applications
are started at the head revision, and the schema then goes down and up under them.)"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from engine.cli import main
from engine.persistence.database import connect
from engine.persistence.health import head_revision
from engine.persistence.migrate import MIGRATIONS, alembic_config
from engine.services import definitions, instances, tasks
from engine.services.users import SYSTEM, add_user
from engine_factory import EngineFactory

FIXTURES = Path(__file__).parent.parent / "fixtures"
BPMN = FIXTURES / "bpmn" / "two_reviews.bpmn"


@pytest.fixture
def previous_schema(postgres_server):
    """A PostgreSQL schema migrated to this code's head; its URL and the revision before the head."""
    name = f"pdw_prev_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{name}"'))
    url = f"{postgres_server}?options=-csearch_path%3D{name}"
    previous = ScriptDirectory(str(MIGRATIONS)).get_revision(head_revision()).down_revision
    db = connect(url)
    with db.write_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    db.dispose()
    yield url, previous
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def test_applications_started_on_version_1_and_the_previous_schema_finish_after_the_upgrade(
        previous_schema, sandbox, monkeypatch):
    url, previous = previous_schema
    factory = EngineFactory(url, FIXTURES / "forms", sandbox)
    try:
        engine = factory.at()
        add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
        add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
        add_user(engine.uow(), "sam", department="sjj", roles=["supervisor"], actor=SYSTEM)
        definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
        waiting = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "升级前"})
        halfway = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "升级前"})
        tasks.complete(engine.uow(), halfway.opened_task_ids[0], actor="rita", data={"decision": "approve"})
        engine.db.dispose()
        db = connect(url)
        with db.write_engine.begin() as connection:
            command.downgrade(alembic_config(connection), previous)
        db.dispose()

        monkeypatch.setenv("PDW_DATABASE_URL", url)
        monkeypatch.setenv("PDW_FORMS_DIR", str(FIXTURES / "forms"))
        upgraded = CliRunner().invoke(main, ["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert f"database at revision {head_revision()}" in upgraded.output and previous != head_revision()

        changed = BPMN.read_bytes().replace(b'name="\xe5\xa4\x8d\xe5\xae\xa1"', b'name="\xe5\xa4\x8d\xe6\xa0\xb8"')
        assert [d.version for d in definitions.deploy(engine.uow(), [(BPMN.name, changed)], actor=SYSTEM)] == [2]

        for started in (waiting, halfway):
            while True:
                shown = instances.read_stored(engine.uow(), started.instance_id)
                open_tasks = [t for t in shown["tasks"] if t["state"] == "open"]
                if not open_tasks:
                    break
                actor = "rita" if open_tasks[0]["task_name"] == "first_review" else "sam"
                tasks.complete(engine.uow(), open_tasks[0]["id"], actor=actor, data={"decision": "approve"})
            assert (shown["status"], shown["version"]) == ("completed", 1)
        fresh = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "升级后"})
        assert instances.read_stored(engine.uow(), fresh.instance_id)["version"] == 2
    finally:
        factory.close()


def test_the_audit_chain_written_before_0012_verifies_as_chain_0_after_it(postgres_server, sandbox):
    from datetime import datetime, timezone

    from engine.persistence.repositories import GENESIS, canonical, entry_hash
    from engine.services import audit

    name = f"pdw_audit_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{name}"'))
    url = f"{postgres_server}?options=-csearch_path%3D{name}"
    try:
        db = connect(url)
        with db.write_engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0011")
            # Two entries of the one chain, about two applications, as 0011's code appended them.
            prev = GENESIS
            for entry_id, instance_id in ((1, 7), (2, 8)):
                at = datetime(2026, 3, 2, 1, entry_id, tzinfo=timezone.utc)
                after = canonical({"n": entry_id})
                digest = entry_hash(prev, at, "alice", "instance.start", instance_id, None, None, after)
                connection.execute(text("INSERT INTO audit_log (id, at, actor, action, instance_id, after, prev_hash, hash) "
                                        "VALUES (:id, :at, 'alice', 'instance.start', :i, CAST(:after AS json), :prev, :h)"),
                                   {"id": entry_id, "at": at, "i": instance_id, "after": after, "prev": prev, "h": digest})
                prev = digest
            connection.execute(text("UPDATE audit_head SET entries = 2"))
            connection.execute(text("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 2)"))
            command.upgrade(alembic_config(connection), "head")
        db.dispose()
        factory = EngineFactory(url, FIXTURES / "forms", sandbox)
        try:
            engine = factory.at()
            assert audit.verify(engine.uow()).ok
            with engine.uow() as uow:  # application 7's own chain begins; chain 0 goes on
                uow.audit.append(at=engine.clock.now(), actor="rita", action="task.complete", instance_id=7)
                uow.audit.append(at=engine.clock.now(), actor="admin", action="user.add")
                uow.commit()
            report = audit.verify(engine.uow())
            assert report.ok and report.entries == 4
        finally:
            factory.close()
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
