"""An instance's save sets only the indexed columns it changes (SQLite rewrites every index whose
columns an UPDATE sets, whether or not the value changed): generated over every indexed column a
save writes, on both databases, each change landing and nothing else moving."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.persistence.models import ProcessDefinition, ProcessInstance
from engine.persistence.repositories import _SAVED_FIELDS, _SAVED_INDEXED, _i, indexed_columns
from engine.services import definitions, instances
from engine.services.users import SYSTEM, add_user

BPMN = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "two_reviews.bpmn"
NEW_VALUES = {"status": "completed", "department": "sjj", "statutory_due_date": date(2026, 3, 20),
              "replied_at": datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc), "replied_late_days": 3}


def test_the_indexed_columns_are_every_index_key_and_partial_index_condition():
    keyed = {c.key for index in _i.indexes for c in index.columns}
    assert keyed <= indexed_columns(_i)
    # The partial indexes' conditions read these two; neither is a key of them.
    assert {"statutory_due_date", "replied_at"} <= indexed_columns(_i)
    assert set(_SAVED_INDEXED) == indexed_columns(_i) & set(_SAVED_FIELDS)
    assert {"state", "waiting", "version"}.isdisjoint(_SAVED_INDEXED)


@pytest.fixture
def started(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    return instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口"}).instance_id


def _saved_by(uow, record) -> list[str]:
    """The statements the save of `record` ran (by name)."""
    ran = []
    cursor = uow.cursor
    for method in ("later", "run"):
        original = getattr(cursor, method)

        def recording(name, values, _original=original):
            ran.append(name)
            return _original(name, values)
        setattr(cursor, method, recording)
    uow.instances.save(record)
    return ran


def _row(engine, instance_id) -> dict:
    with engine.uow().read() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        return {n: getattr(row, n) for n in [*_SAVED_INDEXED, "version"]}


def _another_version(engine) -> int:
    bpmn = BPMN.read_bytes().replace(b'name="', b'name="v2 ', 1)
    definitions.deploy(engine.uow(), [(BPMN.name, bpmn)], actor=SYSTEM)
    with engine.uow().read() as uow:
        return uow.session.scalar(select(func.max(ProcessDefinition.id)))


@pytest.mark.parametrize("column", _SAVED_INDEXED)
def test_a_save_sets_the_one_indexed_column_it_changed(engine, started, column):
    value = _another_version(engine) if column == "definition_id" else NEW_VALUES[column]
    before = _row(engine, started)
    assert before[column] != value
    with engine.uow() as uow:
        record = uow.instances.get(started, lock=True)
        setattr(record, column, value)
        assert _saved_by(uow, record) == [f"instance_save:{column}"]
        uow.commit()
    after = _row(engine, started)
    assert after[column] == value
    assert {n: v for n, v in after.items() if n not in (column, "version")} == \
           {n: v for n, v in before.items() if n not in (column, "version")}
    assert after["version"] == before["version"] + 1


def test_a_save_that_changes_no_indexed_column_sets_none(engine, started):
    with engine.uow() as uow:
        record = uow.instances.get(started, lock=True)
        record.error = "checked"
        assert _saved_by(uow, record) == ["instance_save:"]
        # Saved again in the same unit of work: compared with what the first save wrote.
        record.status = "errored"
        assert _saved_by(uow, record) == ["instance_save:status"]
        uow.commit()
    row = _row(engine, started)
    assert (row["status"], row["version"]) == ("errored", 3)


def test_a_record_not_read_in_this_unit_of_work_sets_every_indexed_column(engine, started):
    with engine.uow() as uow:
        record = uow.instances.get(started)
    with engine.uow() as uow:
        record.department = "sjj"
        assert _saved_by(uow, record) == ["instance_save:" + ",".join(_SAVED_INDEXED)]
        uow.commit()
    assert _row(engine, started)["department"] == "sjj"
