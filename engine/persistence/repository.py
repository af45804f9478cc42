"""The hot path of the engine in SQLAlchemy Core: instances and tasks read and written as rows.

Starting an application and deciding a task run a handful of statements each. Going
through the ORM's unit of work cost several times the statements themselves, so these
paths use prebuilt Core statements on the unit of work's session; the ORM classes still
define the tables and serve the colder paths.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.persistence.models import HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate, User

_instances = ProcessInstance.__table__
_tasks = HumanTask.__table__
_candidates = TaskCandidate.__table__
_definitions = ProcessDefinition.__table__
_users = User.__table__


class StaleInstance(Exception):
    """The instance was changed by another transaction since it was read."""


@dataclass
class InstanceRecord:
    """A process instance as the engine works on it; `version` guards concurrent writers."""

    id: int | None
    definition_id: int
    process_id: str
    status: str
    receipt_number: str
    received_on: date
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    error: str | None
    summary: dict
    state: dict
    waiting: dict
    serializer_version: str
    version: int = 1


_INSTANCE_COLUMNS = [_instances.c[f.name] for f in fields(InstanceRecord)]
_LOAD_INSTANCE = select(*_INSTANCE_COLUMNS).where(_instances.c.id == bindparam("id"))
_INSERT_INSTANCE = insert(_instances).returning(_instances.c.id)
_SAVE_INSTANCE = (update(_instances)
                  .where(_instances.c.id == bindparam("b_id"), _instances.c.version == bindparam("b_version"))
                  .values(status=bindparam("b_status"), ended_at=bindparam("b_ended_at"), error=bindparam("b_error"),
                          state=bindparam("b_state"), waiting=bindparam("b_waiting"),
                          version=bindparam("b_new_version")))
_INSERT_TASK = insert(_tasks).returning(_tasks.c.id)
_INSERT_CANDIDATES = insert(_candidates)
_USER = select(_users.c.name, _users.c.department, _users.c.roles).where(
    _users.c.name == bindparam("name"), _users.c.active.is_(True))
_NEWEST_DEFINITION = (select(_definitions.c.id, _definitions.c.version, _definitions.c.properties)
                      .where(_definitions.c.process_id == bindparam("process_id"))
                      .order_by(_definitions.c.version.desc()).limit(1))
_TASK_COLUMNS = [_tasks.c.id, _tasks.c.instance_id, _tasks.c.spiff_task_id, _tasks.c.task_name, _tasks.c.form,
                 _tasks.c.candidate_groups, _tasks.c.assignee, _tasks.c.claimed_at, _tasks.c.state,
                 _tasks.c.completed_by]
_TASK_WITH_INSTANCE = (select(*_TASK_COLUMNS, *[c.label(f"i_{c.name}") for c in _INSTANCE_COLUMNS])
                       .join(_instances, _instances.c.id == _tasks.c.instance_id)
                       .where(_tasks.c.id == bindparam("task_id")))
_COMPLETE_TASK = (update(_tasks).where(_tasks.c.id == bindparam("b_task_id"))
                  .values(state="completed", assignee=bindparam("b_assignee"), claimed_at=bindparam("b_claimed_at"),
                          completed_at=bindparam("b_now"), completed_by=bindparam("b_actor"),
                          result=bindparam("b_result")))


def active_user(session: Session, name: str):
    """(name, department, roles) of an active user, or None."""
    return session.execute(_USER, {"name": name}).first()


def newest_definition(session: Session, process_id: str):
    """(id, version, properties) of the newest deployed version of a process, or None."""
    return session.execute(_NEWEST_DEFINITION, {"process_id": process_id}).first()


def load_instance(session: Session, instance_id: int) -> InstanceRecord | None:
    """The instance with this id, or None."""
    row = session.execute(_LOAD_INSTANCE, {"id": instance_id}).first()
    return InstanceRecord(**row._mapping) if row else None


def insert_instance(session: Session, record: InstanceRecord) -> int:
    """Write a new instance and give the record its id."""
    values = {f.name: getattr(record, f.name) for f in fields(InstanceRecord) if f.name != "id"}
    record.id = session.execute(_INSERT_INSTANCE, values).scalar_one()
    return record.id


def save_instance(session: Session, record: InstanceRecord) -> None:
    """Write back a changed instance.

    Raises:
        StaleInstance: another transaction changed it since it was read.
    """
    changed = session.execute(_SAVE_INSTANCE, {
        "b_id": record.id, "b_version": record.version, "b_status": record.status,
        "b_ended_at": record.ended_at, "b_error": record.error, "b_state": record.state,
        "b_waiting": record.waiting, "b_new_version": record.version + 1,
    }).rowcount
    if changed != 1:
        raise StaleInstance(f"instance {record.id} was changed by another transaction")
    record.version += 1


def insert_tasks(session: Session, rows: list[dict]) -> list[int]:
    """Write new human task rows and their candidate groups; returns their ids in order."""
    ids = [session.execute(_INSERT_TASK, row).scalar_one() for row in rows]
    candidates = [{"task_id": task_id, "group_name": g}
                  for task_id, row in zip(ids, rows) for g in row["candidate_groups"]]
    if candidates:
        session.execute(_INSERT_CANDIDATES, candidates)
    return ids


def task_with_instance(session: Session, task_id: int, *, lock: bool):
    """(task row, InstanceRecord) for a task, locking the task row when `lock`; None if absent."""
    query = _TASK_WITH_INSTANCE.with_for_update(of=_tasks) if lock else _TASK_WITH_INSTANCE
    row = session.execute(query, {"task_id": task_id}).first()
    if row is None:
        return None
    mapping = row._mapping
    record = InstanceRecord(**{f.name: mapping[f"i_{f.name}"] for f in fields(InstanceRecord)})
    return row, record


def complete_task(session: Session, task_id: int, *, actor: str, assignee: str, claimed_at: datetime | None,
                  now: datetime, result: dict) -> None:
    """Mark a task completed by `actor` with the submitted `result`."""
    session.execute(_COMPLETE_TASK, {"b_task_id": task_id, "b_assignee": assignee, "b_claimed_at": claimed_at,
                                     "b_now": now, "b_actor": actor, "b_result": result})
