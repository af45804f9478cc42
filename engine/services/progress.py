"""Moving a workflow on and making the task and timer rows agree with it.

Start, task completion and timer firing all end here: run the engine steps, then open a
row for each new user task (candidate groups, form, statutory deadline), cancel rows whose
task went away, and keep one timer row per waiting timer so the scheduler reads only rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bootstrap import Engine
from engine.clock import SHANGHAI
from engine.bpmn.timers import CLOCKED, next_due
from engine.persistence.models import HumanTask, ProcessDefinition, Timer
from engine.persistence.repository import InstanceRecord, insert_instance, insert_tasks, save_instance
from engine.sandbox import ScriptError
from engine.bpmn.operations import OperationContext, OperationError

_tasks = HumanTask.__table__
_timers = Timer.__table__


@dataclass
class Outcome:
    """What one step of a workflow changed, for the audit log and the caller."""

    opened: list[str] = field(default_factory=list)
    opened_ids: list[int] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    status: str = "running"
    error: str | None = None


def load_workflow(engine: Engine, session: Session, instance: InstanceRecord) -> BpmnWorkflow:
    """Restore the workflow of `instance` with its definition's spec."""
    specs = engine.specs.get(instance.definition_id, lambda: session.scalar(
        select(ProcessDefinition.spec).where(ProcessDefinition.id == instance.definition_id)))
    return engine.store.load_state(instance.state, specs, engine.script_engine)


def properties(task_spec) -> dict[str, str]:
    """The spiffworkflow:properties of a task spec."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _candidate_groups(engine: Engine, task) -> list[str]:
    props = properties(task.task_spec)
    groups = [g.strip() for g in props.get("candidateGroups", "").split(",") if g.strip()]
    expression = props.get("candidateGroupsExpression")
    if expression:
        value = engine.script_engine.evaluate(task, expression)
        computed = [value] if isinstance(value, str) else list(value or [])
        groups.extend(str(g).strip() for g in computed if str(g).strip())
    lane = getattr(task.task_spec, "lane", None)
    if lane and not groups:
        groups.append(lane)
    return sorted(set(groups))


def _deadline_columns(engine: Engine, instance: InstanceRecord, rule_id: str | None, now: datetime) -> dict:
    if not rule_id:
        return {"due_date": None, "due_at": None, "deadline_rule": None, "deadline_article": None,
                "deadline_provisional": False, "deadline_basis": None}
    rule = engine.rules[rule_id]
    start = instance.received_on if rule.counts_from == "receipt" else now.astimezone(SHANGHAI).date()
    deadline = engine.calendar.deadline(start, rule=rule, rules=engine.rules)
    return {
        "due_date": deadline.due_date,
        "due_at": deadline.due_at,
        "deadline_rule": rule.id,
        "deadline_article": rule.article,
        "deadline_provisional": deadline.provisional,
        "deadline_basis": deadline.to_dict()["basis"],
    }


def _waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[str, datetime]]:
    timers = {}
    # The event manager holds exactly the waiting catch events; no need to walk the tree.
    for task in list(workflow.event_manager.tasks.values()):
        if not task.has_state(TaskState.WAITING):
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if type(definition) in CLOCKED.values():
            due = next_due(task._get_internal_data("event_value"))
            if due is not None:
                timers[str(task.id)] = (task.task_spec.name, due)
    return timers


def _write(session: Session, instance: InstanceRecord) -> None:
    if instance.id is None:
        insert_instance(session, instance)
    else:
        save_instance(session, instance)


def run_and_sync(engine: Engine, session: Session, instance: InstanceRecord, workflow: BpmnWorkflow,
                 *, now: datetime, completed: str | None = None, fired_timer: str | None = None,
                 worker: str | None = None) -> Outcome:
    """Run the workflow as far as it goes and write back its state, tasks and timers.

    `completed` is the Spiff id of the user task this step completed (its row is already
    updated by the caller); `fired_timer` the Spiff id of the timer that fired.

    A script or expression failure marks the instance errored with the message; the state
    up to the failing task is kept so the instance can be repaired and retried.
    """
    outcome = Outcome()
    try:
        with engine.script_engine.operating(OperationContext(session, instance, now)):
            workflow.refresh_timers()
            workflow.do_engine_steps()
            workflow.refresh_timers()
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        new_rows = []
        waiting = instance.waiting or {"tasks": [], "timers": {}}
        open_ids = set(waiting["tasks"])
        for task in ready:
            spiff_id = str(task.id)
            if spiff_id in open_ids:
                continue
            props = properties(task.task_spec)
            new_rows.append((task, props, _candidate_groups(engine, task)))
    except (SpiffWorkflowException, ScriptError, OperationError) as err:
        outcome.status = "errored"
        outcome.error = _describe(err)
        instance.status = "errored"
        instance.error = outcome.error
        instance.state = engine.store.dump_state(workflow)
        _write(session, instance)
        return outcome

    ready_ids = {str(t.id) for t in ready}
    timers = _waiting_timers(workflow)
    instance.status = "completed" if workflow.is_completed() else "running"
    if instance.status == "completed":
        instance.ended_at = now
    instance.error = None
    instance.state = engine.store.dump_state(workflow)
    instance.waiting = {"tasks": sorted(ready_ids), "timers": {k: v[1].isoformat() for k, v in timers.items()}}
    outcome.status = instance.status
    _write(session, instance)

    gone = sorted(open_ids - ready_ids - {completed})
    if gone:
        session.execute(update(_tasks)
                        .where(_tasks.c.instance_id == instance.id, _tasks.c.spiff_task_id.in_(gone),
                               _tasks.c.state == "open")
                        .values(state="cancelled", completed_at=now))
        outcome.cancelled = gone

    rows = [{
        "instance_id": instance.id, "spiff_task_id": str(task.id), "task_name": task.task_spec.name,
        "title": task.task_spec.bpmn_name or task.task_spec.name, "process_id": instance.process_id,
        "form": props.get("formJsonSchemaFilename"), "candidate_groups": groups, "state": "open",
        "created_at": now, **_deadline_columns(engine, instance, props.get("deadlineRule"), now),
    } for task, props, groups in new_rows]
    if rows:
        outcome.opened = [row["task_name"] for row in rows]
        outcome.opened_ids = insert_tasks(session, rows)

    _sync_timers(session, instance, waiting["timers"], timers, now=now, fired_timer=fired_timer, worker=worker)
    return outcome


def _sync_timers(session: Session, instance: InstanceRecord, before: dict[str, str],
                 after: dict[str, tuple[str, datetime]], *, now: datetime, fired_timer: str | None,
                 worker: str | None) -> None:
    for spiff_id in before.keys() - after.keys():
        if spiff_id == fired_timer:
            session.execute(update(_timers).where(_timers.c.instance_id == instance.id,
                                                  _timers.c.spiff_task_id == spiff_id)
                            .values(fired_at=now, fired_by=worker))
        else:
            session.execute(delete(_timers).where(_timers.c.instance_id == instance.id,
                                                  _timers.c.spiff_task_id == spiff_id, _timers.c.fired_at.is_(None)))
    for spiff_id, (name, due) in after.items():
        if spiff_id not in before:
            session.add(Timer(instance_id=instance.id, spiff_task_id=spiff_id, task_name=name, due_at=due))
        elif before[spiff_id] != due.isoformat():
            # A cycle timer moved on to its next occurrence.
            session.execute(update(_timers).where(_timers.c.instance_id == instance.id,
                                                  _timers.c.spiff_task_id == spiff_id)
                            .values(due_at=due, fired_at=None, fired_by=None))


def _describe(err: Exception) -> str:
    task = getattr(err, "task", None)
    where = f"task '{task.task_spec.name}': " if task is not None else ""
    cause = getattr(err, "exception", None) or err
    return where + str(cause).splitlines()[0] if str(cause) else where + type(cause).__name__
