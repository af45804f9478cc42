"""A unit of work reads a catalog item from the database once, though admission, the procedure's
operations and the search index each ask for it; what the same unit changes is read fresh; a
grant is written with its step (on PostgreSQL without a round trip of its own) and rolled back
with it."""
from __future__ import annotations

import gc
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select

from engine import demo
from engine.bootstrap import PROJECT_ROOT
from engine.bpmn.operations import OperationContext, OperationError, record_grant, suspend_open
from engine.persistence.models import AuditEntry, Grant
from engine.persistence.repositories import catalog_item
from engine.persistence.round_trips import counting
from engine.persistence.statements import Cursor
from engine.services import catalog_changes, instances, tasks
from engine_factory import EngineFactory

APPLICATION = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息",
               "request_basis": "《户口登记条例》", "purpose": "户籍登记",
               "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
APPROVAL = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}
GRANT = {"catalog_item": "GA-001", "grantee": "sjj", "scope": "姓名", "purpose": "户籍登记",
         "expires_on": "2026-09-30"}
NOW = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)


@pytest.fixture
def engine(database_url, sandbox):
    """An engine with the demo's organisation, catalog and shipped procedures."""
    factory = EngineFactory(database_url, PROJECT_ROOT / "forms", sandbox)
    factory.config = replace(factory.config, workflows_dir=PROJECT_ROOT / "workflows")
    try:
        engine = factory.at()
        demo.load(engine)
        yield engine
    finally:
        factory.close()


@pytest.fixture
def catalog_reads(engine, monkeypatch) -> list[str]:
    """Every statement that reads catalog_items, whether through SQLAlchemy or a prepared
    statement on the transaction's cursor."""
    found: list[str] = []

    def seen(sql: str) -> None:
        if sql.lstrip().startswith("SELECT") and "FROM catalog_items" in sql:
            found.append(sql)

    def sqlalchemy(_conn, _cursor, statement, *_args) -> None:
        seen(statement)

    executed, sent = Cursor._execute, Cursor._send

    def prepared(self, statement, values):  # at once: readers, SQLite
        seen(statement.sql)
        return executed(self, statement, values)

    def batched(self, statement, values, receiver=None, **how):  # in a PostgreSQL writer's batch
        seen(statement.sql)
        return sent(self, statement, values, receiver, **how)

    monkeypatch.setattr(Cursor, "_execute", prepared)
    monkeypatch.setattr(Cursor, "_send", batched)
    for bind in (engine.db.write_engine, engine.db.engine):
        event.listen(bind, "before_cursor_execute", sqlalchemy)
    yield found
    for bind in (engine.db.write_engine, engine.db.engine):
        event.remove(bind, "before_cursor_execute", sqlalchemy)


def test_applying_and_deciding_read_the_catalog_item_once_each(engine, catalog_reads):
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
    assert started.error is None and started.opened_task_ids
    # Admission, the lookup_item operation and the search index each asked for GA-001.
    assert len(catalog_reads) == 1

    review = started.opened_task_ids[0]
    tasks.claim(engine.uow(), review, actor="li.si")
    assert len(catalog_reads) == 1
    done = tasks.complete(engine.uow(), review, actor="li.si", data=APPROVAL)
    assert done["error"] is None and not done["opened_task_ids"]
    # The grant operation read the item once more, in the decision's own unit of work.
    assert len(catalog_reads) == 2

    with engine.uow().read() as uow:
        grant = uow.session.scalars(select(Grant)).one()
        recorded = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "grant.record")).one()
    assert (grant.instance_id, grant.catalog_item, grant.scope) == (started.instance_id, "GA-001", "姓名、户籍地址")
    assert recorded.after["grant_id"] == grant.id


def _instance(engine):
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
    with engine.uow().read() as uow:
        return uow.instances.get(started.instance_id)


def _grants(engine) -> list[tuple]:
    with engine.uow().read() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(Grant.id, Grant.instance_id, Grant.catalog_item, Grant.grantee, Grant.scope, Grant.purpose,
                   Grant.expires_on).order_by(Grant.id))]


def _audited_grants(engine) -> list[int]:
    with engine.uow().read() as uow:
        return [entry.after["grant_id"] for entry in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "grant.record").order_by(AuditEntry.id))]


def test_a_grant_is_rolled_back_with_its_step_and_written_with_it(engine):
    instance = _instance(engine)
    with engine.uow() as uow:
        record_grant(OperationContext(uow, instance, NOW), GRANT)
        # Not committed: the step failed after recording the grant.
    assert _grants(engine) == [] and _audited_grants(engine) == []

    with engine.uow() as uow:
        result = record_grant(OperationContext(uow, instance, NOW), GRANT)
        uow.commit()
    assert result["catalog_item"] == "GA-001" and result["expires_on"] == "2026-09-30"
    assert _grants(engine) == [(result["grant_id"], instance.id, "GA-001", "sjj", "姓名", "户籍登记",
                                datetime(2026, 9, 30).date())]
    assert _audited_grants(engine) == [result["grant_id"]]


def test_a_refused_grant_is_refused_as_before_and_takes_no_grant_id(engine):
    instance = _instance(engine)
    with engine.uow() as uow:
        first = record_grant(OperationContext(uow, instance, NOW), GRANT)["grant_id"]
        uow.commit()
    refusals = [({**GRANT, "catalog_item": "NO-SUCH", "grantee": ""}, "catalog item 'NO-SUCH' does not exist"),
                ({**GRANT, "grantee": ""}, "record_grant needs grantee"),
                ({**GRANT, "expires_on": "30.9.2026"}, "is not a date")]
    for params, message in refusals:
        with engine.uow() as uow, pytest.raises(OperationError, match=message):
            record_grant(OperationContext(uow, instance, NOW), params)
    with engine.uow() as uow:
        # The second reads no item: the unit of work has read it for the first.
        second = record_grant(OperationContext(uow, instance, NOW), GRANT)["grant_id"]
        third = record_grant(OperationContext(uow, instance, NOW), GRANT)["grant_id"]
        uow.commit()
    assert [row[0] for row in _grants(engine)] == [first, second, third] == [first, first + 1, first + 2]
    assert _audited_grants(engine) == [first, second, third]


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_recording_a_grant_on_postgresql_costs_only_the_read_of_its_item(engine):
    instance = _instance(engine)
    with engine.uow() as uow:
        # The process's facts, read once per process, are read here rather than counted.
        record_grant(OperationContext(uow, instance, NOW), GRANT)

    def step(grant: bool) -> int:
        with counting(engine.db.write_engine) as trips:
            with engine.uow() as uow:
                context = OperationContext(uow, instance, NOW)
                if grant:
                    record_grant(context, GRANT)
                context.record(action="test.step", after={})
                uow.commit()
        return trips.count

    assert step(grant=True) - step(grant=False) == 1
    assert len(_grants(engine)) == 1


def test_an_item_the_unit_of_work_changes_is_read_fresh(engine, catalog_reads):
    with engine.uow() as uow:
        session = uow.session
        assert catalog_item(session, "GA-001").open_suspended is False
        assert catalog_item(session, "GA-001").open_suspended is False
        assert len(catalog_reads) == 1

        # Changed through the ORM and not yet flushed: taken from the object the session holds.
        suspend_open(OperationContext(uow, None, NOW), {"catalog_item": "GA-001"})
        assert catalog_item(session, "GA-001").open_suspended is True
        # Flushed and no longer held by anyone: read again, not served from what was read before.
        session.flush()
        gc.collect()
        assert catalog_item(session, "GA-001").open_suspended is True

        # A change approved in the same unit (a catalog proposal) and an item it creates.
        catalog_changes.propose_and_apply(session, uow.audit, now=NOW, actor="li.si", decided_by="li.si",
                                          reason="test", code="GA-001", values={"contact": "市公安局户政支队"},
                                          source_kind="edit", source="edit GA-001")
        gc.collect()
        assert catalog_item(session, "GA-001").contact == "市公安局户政支队"
        assert catalog_item(session, "GA-009") is None
        catalog_changes.propose_and_apply(
            session, uow.audit, now=NOW, actor="li.si", decided_by="li.si", reason="test", code="GA-009",
            values={"name": "机动车登记信息", "source_unit": "gaj", "update_frequency": "每日", "contact": "市公安局",
                    "data_format": "接口", "data_type": "结构化", "sensitivity_level": "一般",
                    "share_attribute": "无条件共享", "open_attribute": "不予开放"},
            source_kind="edit", source="edit GA-009")
        gc.collect()
        assert catalog_item(session, "GA-009").name == "机动车登记信息"
        uow.commit()

    with engine.uow().read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Grant)) == 0
        live = catalog_item(uow.session, "GA-001")
    assert (live.open_suspended, live.contact) == (True, "市公安局户政支队")
