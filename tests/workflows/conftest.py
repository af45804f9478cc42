"""Fixtures for driving the statutory procedures path by path with a frozen clock.

Every test gets the demo departments, the demo users (one per role, and a source-unit handler
in every source unit), the demo catalog, and the project's own procedures and forms.
"""
from __future__ import annotations

import json
from uuid import UUID
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import demo
from engine.bootstrap import PROJECT_ROOT
from engine.persistence.models import AuditEntry, CatalogRelease, Department, Grant, HumanTask
from engine.services import catalog, definitions, instances, tasks, timers
from engine.services.progress import load_workflow
from engine.services.users import SYSTEM, add_user
from engine_factory import EngineFactory

WORKFLOWS = PROJECT_ROOT / "workflows"
FORMS = PROJECT_ROOT / "forms"


class Procedures:
    """Drives one procedure through the engine services, checking each wait state round-trips."""

    def __init__(self, engines, process_id: str) -> None:
        self.engines = engines
        self.process_id = process_id
        self.engine = engines.at()

    def at(self, instant: str):
        """Move the clock: later calls use an engine frozen at `instant`."""
        self.engine = self.engines.at(instant)
        return self.engine

    def start(self, actor: str = "zhang.san", **data) -> int:
        """Start the procedure; returns the instance id."""
        result = instances.start(self.engine.uow(), self.process_id, actor=actor, data=data)
        assert result.error is None, result.error
        self.assert_round_trips(result.instance_id)
        return result.instance_id

    def open_tasks(self, instance_id: int) -> dict[str, dict]:
        """The open tasks of an instance by task name."""
        return {t["task_name"]: t for t in tasks.of_instance(self.engine.uow(), instance_id)}

    def complete(self, instance_id: int, task_name: str, actor: str, **data) -> dict:
        """Claim (unless `actor` holds it already) and complete the open task `task_name` as `actor`."""
        task = self.open_tasks(instance_id)[task_name]
        if task["assignee"] != actor:
            tasks.claim(self.engine.uow(), task["id"], actor=actor)
        done = tasks.complete(self.engine.uow(), task["id"], actor=actor, data=data)
        assert done["error"] is None, done["error"]
        self.assert_round_trips(instance_id)
        return done

    def sweep(self) -> list:
        """Fire the timers due at the current clock."""
        fired = timers.sweep(self.engine.uow, worker="test")
        for f in fired:
            self.assert_round_trips(f.instance_id)
        return fired

    def show(self, instance_id: int) -> dict:
        """The instance with its data, tasks and history."""
        return instances.read_stored(self.engine.uow(), instance_id)

    def actions(self, instance_id: int) -> list[tuple[str, str]]:
        """(actor, action) of each audit entry of the instance made by a person or the scheduler,
        in order (the entries of the changes its operations made are `changes`)."""
        with self.engine.uow().read() as uow:
            return [(e.actor, e.action) for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.instance_id == instance_id).order_by(AuditEntry.id))
                if not e.actor.startswith("process:")]

    def changes(self, instance_id: int) -> list[tuple[str, dict]]:
        """(action, after) of each catalog and grant change the instance's operations made, in order."""
        with self.engine.uow().read() as uow:
            return [(e.action, e.after) for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.instance_id == instance_id).order_by(AuditEntry.id))
                if e.actor.startswith("process:")]

    def grants(self, instance_id: int) -> list[dict]:
        """The grants recorded by the instance."""
        with self.engine.uow().read() as uow:
            return [{"catalog_item": g.catalog_item, "grantee": g.grantee, "scope": g.scope, "purpose": g.purpose,
                     "expires_on": g.expires_on.isoformat() if g.expires_on else None}
                    for g in uow.session.scalars(select(Grant).where(Grant.instance_id == instance_id))]

    def releases(self, code: str) -> list[dict]:
        """The records that released catalog item `code` from 不予开放 (Art. 24 para. 3, 25)."""
        with self.engine.uow().read() as uow:
            return [{"attribute": r.attribute, "instance_id": r.instance_id, "desensitisation": r.desensitisation,
                     "consent_holders": r.consent_holders, "consent_date": r.consent_date.isoformat(),
                     "consent_evidence": r.consent_evidence}
                    for r in uow.session.scalars(select(CatalogRelease).where(CatalogRelease.catalog_item == code))]

    def item(self, code: str) -> dict:
        """One catalog item."""
        return {i["code"]: i for i in catalog.list_items(self.engine.uow())}[code]

    def assert_round_trips(self, instance_id: int) -> None:
        """The stored state reloads into a workflow that serializes to the same state and waits
        for exactly the tasks that have open rows."""
        with self.engine.uow().read() as uow:
            session = uow.session
            record = uow.instances.get(instance_id)
            workflow = load_workflow(uow, record)
            assert _canonical(self.engine.store.dump_state(workflow)) == _canonical(record.state)
            # The store's own task conversion writes and reads what SpiffWorkflow's does.
            assert _canonical(_tasks_as_spiff_writes(self.engine.store, workflow)) == _canonical(record.state["tasks"])
            assert _task_facts(_restored_as_spiff_reads(self.engine.store, workflow, record.state)) \
                == _task_facts(workflow)
            ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
            rows = set(session.scalars(select(HumanTask.spiff_task_id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "open")))
            assert ready == rows == set(record.waiting["tasks"])
            assert workflow.is_completed() == (record.status == "completed")


def _tasks_as_spiff_writes(store, workflow) -> dict:
    """The top workflow's tasks as SpiffWorkflow's own TaskConverter writes them, their data
    escaped as the store escapes it."""
    converter = store.registry.tasks
    written = {}
    for task_id, task in workflow.tasks.items():
        dct = TaskConverter.to_dict(converter, task)
        if dct["data"]:
            dct["data"] = converter._data(dct["data"])
        if dct["delta"] and dct["delta"]["updates"]:
            dct["delta"]["updates"] = converter._data(dct["delta"]["updates"])
        written[str(task_id)] = {**dct, "typename": "Task"}
    return written


def _restored_as_spiff_reads(store, workflow, state: dict) -> BpmnWorkflow:
    """The top workflow's tasks restored from `state` by SpiffWorkflow's own TaskConverter."""
    restored = BpmnWorkflow(workflow.spec, workflow.subprocess_specs, deserializing=True)
    converter = store.registry.tasks
    restored.tasks = {UUID(key): TaskConverter.from_dict(converter, dict(value), restored)
                      for key, value in state["tasks"].items()}
    return restored


def _task_facts(workflow) -> dict:
    return {str(t.id): (t.task_spec.name, t.state, t.triggered, t.last_state_change, str(t._parent),
                        [str(c) for c in t._children], _canonical(t.data), _canonical(t.internal_data),
                        t.id in workflow.event_manager.tasks)
            for t in workflow.tasks.values()}


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def seed(engine, workflows_dir: Path = WORKFLOWS) -> None:
    """Departments, users, the demo catalog and every procedure, without passwords (slow to hash)."""
    with engine.uow() as uow:
        for code, (name, kind) in demo.DEPARTMENTS.items():
            uow.session.add(Department(code=code, name=name, kind=kind))
        uow.commit()
    for user in demo.DEMO_USERS:
        add_user(engine.uow(), user.name, department=user.department, roles=list(user.roles),
                 display_name=user.display_name, actor=SYSTEM)
    catalog.install_initial(engine.uow(), (demo.DEMO_DATA / "catalog.csv").read_text(encoding="utf-8"), actor=SYSTEM)
    files = sorted(workflows_dir.glob("*.bpmn"))
    definitions.deploy(engine.uow(), [(f.name, f.read_bytes()) for f in files], actor=SYSTEM)


def _project_engines(url: str, sandbox=None) -> EngineFactory:
    factory = EngineFactory(url, FORMS, sandbox)
    factory.config = replace(factory.config, workflows_dir=WORKFLOWS)
    return factory


def _seed_project(url: str) -> None:
    factory = _project_engines(url)
    seed(factory.at())
    factory.close()


@pytest.fixture
def project_engines(database_kind, templates, tmp_path, sandbox):
    """The engine on a database seeded with the project's departments, users, catalog and
    procedures (seeded once per session, copied for each test)."""
    factory = _project_engines(templates.fresh(database_kind, "project", _seed_project, tmp_path), sandbox)
    yield factory
    factory.close()


@pytest.fixture
def procedure(project_engines, request):
    """A driver for the procedure the test module names in PROCESS_ID."""
    return Procedures(project_engines, request.module.PROCESS_ID)


@pytest.fixture
def drive(project_engines):
    """Drivers for any procedure on one database: `drive("conditional_share")`."""
    return lambda process_id: Procedures(project_engines, process_id)
