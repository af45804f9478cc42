"""Moving a workflow on and making the task and timer rows agree with it.

Start, task completion and timer firing all end here: run the engine steps, then open a
row for each new user task (candidate groups, form, statutory deadline), cancel rows whose
task went away, and keep one timer row per waiting timer so the scheduler reads only rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine import governance
from engine.bpmn.budgets import BudgetExceeded, StepMeter
from engine.bpmn.timers import CLOCKED, next_due
from engine.clock import SHANGHAI
from engine.errors import PdwError
from engine.persistence.health import DATABASE_ERRORS, is_transient
from engine.persistence.models import ProcessDefinition
from engine.persistence.repositories import InstanceRecord
from engine.persistence.unit_of_work import UnitOfWork
from engine.sandbox import ScriptError
from engine.bpmn.operations import OperationContext, OperationError
from engine.services import notifications, statutory


@dataclass
class Outcome:
    """What one step of a workflow changed, for the audit log and the caller."""

    opened: list[str] = field(default_factory=list)
    opened_ids: list[int] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    status: str = "running"
    error: str | None = None


def load_workflow(uow: UnitOfWork, instance: InstanceRecord) -> BpmnWorkflow:
    """Restore the workflow of `instance` with its definition's spec."""
    engine = uow.engine
    specs = engine.specs.get(instance.definition_id, lambda: uow.session.scalar(
        select(ProcessDefinition.spec).where(ProcessDefinition.id == instance.definition_id)))
    return engine.store.load_state(instance.state, specs, engine.script_engine)


def end_without_decision(uow: UnitOfWork, instance: InstanceRecord, *, status: str, now) -> list[str]:
    """End `instance` where it stands (withdrawn by its applicant, cancelled by a supervisor): its
    workflow cancelled, its open steps cancelled and its timers dropped, inside the caller's unit
    of work. Returns the spiff ids of the steps it cancelled."""
    waiting = instance.waiting or {}
    open_tasks = sorted(waiting.get("tasks") or [])
    if instance.state:
        workflow = load_workflow(uow, instance)
        workflow.cancel()
        instance.state = uow.engine.store.dump_state(workflow)
    if open_tasks:
        uow.tasks.cancel(instance.id, open_tasks, now)
    for spiff_id in waiting.get("timers") or {}:
        uow.timers.drop(instance.id, spiff_id)
    instance.status, instance.ended_at = status, now
    instance.waiting = {"tasks": [], "timers": {}}
    uow.instances.save(instance)
    return open_tasks


def _notice(code: str, params: dict, *, user: str, instance_id: int, now) -> dict:
    """A notification row to `user` about an application."""
    return {"recipient_user": user, "recipient_group": None, "code": code, "params": params,
            "instance_id": instance_id, "task_id": None, "created_at": now}


def properties(task_spec) -> dict[str, str]:
    """The spiffworkflow:properties of a task spec."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def _candidate_groups(engine, task, instance: InstanceRecord) -> list[str]:
    props = properties(task.task_spec)
    groups = [g.strip() for g in props.get("candidateGroups", "").split(",") if g.strip()]
    expression = props.get("candidateGroupsExpression")
    if expression:
        value = engine.script_engine.evaluate(task, expression)
        computed = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        if computed is None or not all(isinstance(g, str) for g in computed):
            raise BudgetExceeded("candidates.invalid", element=task.task_spec.bpmn_id or task.task_spec.name,
                                 kind=type(value).__name__)
        groups.extend(g.strip() for g in computed if g.strip())
    lane = getattr(task.task_spec, "lane", None)
    if lane and not groups:
        groups.append(lane)
    if instance.department:
        # A process of the authority (only those name a deciding unit, engine.services.statutory:
        # the authority of the applicant's level, fixed at receipt): whatever its data says by
        # now, its decisions stay there.
        outside = governance.groups_outside_authority(groups, instance.department, instance.started_by)
        if outside:
            raise BudgetExceeded("candidates.outside_authority", element=task.task_spec.bpmn_id or task.task_spec.name,
                                 groups=outside)
    return sorted(set(groups))


# Instance data the engine writes when the scheduler starts a periodic round (engine.services.
# rounds): the rule of the round's schedule, which gives each of its steps without a
# `deadlineRule` of their own the round's deadline.
ROUND_DEADLINE_RULE = "round_deadline_rule"


def _deadline_rule(task, props: dict) -> str | None:
    return props.get("deadlineRule") or task.data.get(ROUND_DEADLINE_RULE)


def _deadline_columns(engine, instance: InstanceRecord, rule_id: str | None, now: datetime) -> dict:
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


# SpiffWorkflow's task iterator descends no deeper than this (its max_depth).
_ITERATOR_DEPTH = 1000


def ready_tasks(workflow: BpmnWorkflow, *, manual: bool | None = None) -> list:
    """`workflow.get_tasks(state=TaskState.READY, manual=manual)`: the same tasks in the same order.

    That walks the task tree from its root, which costs more than the rest of a step's own
    bookkeeping. Without subprocesses every task of the tree is in `workflow.tasks`, and with
    fewer tasks than the walk's depth limit the walk reaches each of them (a READY task never
    lies under a predicted one, where it stops): the ready ones are taken from there. Only the
    walk knows the tree's order, so it still gives two or more.
    """
    if workflow.subprocesses or len(workflow.tasks) > _ITERATOR_DEPTH:
        return workflow.get_tasks(state=TaskState.READY, manual=manual)
    found = [task for task in workflow.tasks.values()
             if task.state == TaskState.READY and (manual is None or task.task_spec.manual == manual)]
    if len(found) > 1:
        return workflow.get_tasks(state=TaskState.READY, manual=manual)
    return found


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


class StepFailed(Exception):
    """A command's engine steps went past a budget or failed where no consistent state is left
    to keep (a timer value, a serializer, the data size, an engine that stopped short).

    The caller lets its unit of work roll the whole step back and records the failure with
    `record_failure`: the instance keeps the state it had before the command, marked errored
    with `reason`.
    """

    def __init__(self, reason: str, instance_id: int | None = None) -> None:
        self.reason = reason
        self.instance_id = instance_id
        super().__init__(reason)


def run_and_sync(uow: UnitOfWork, instance: InstanceRecord, workflow: BpmnWorkflow,
                 *, now: datetime, completed: str | None = None, fired_timer: str | None = None,
                 worker: str | None = None) -> Outcome:
    """Run the workflow as far as it goes and write back its state, tasks and timers.

    `completed` is the Spiff id of the user task this step completed (its row is already
    updated by the caller); `fired_timer` the Spiff id of the timer that fired.

    A script, expression or service-task failure marks the instance errored with the message;
    the state up to the failing task is kept so the instance can be repaired and retried.

    Raises:
        StepFailed: a budget was exceeded, or the run failed leaving no state worth keeping.
    """
    engine = uow.engine
    outcome = Outcome()
    meter = StepMeter(engine.budgets)
    marks = statutory.Marks()
    if completed is not None:
        # The user task decided by this command ran before the engine steps: note it as they would.
        decided = workflow.get_task_from_id(UUID(completed)).task_spec
        marks.note(properties(decided), decided.bpmn_id or decided.name)

    def did_complete(task) -> None:
        meter(task)
        props = properties(task.task_spec)
        if props:
            marks.note(props, task.task_spec.bpmn_id or task.task_spec.name)
            if props.get("statutoryExtension"):
                extension_reasons.append(task.data.get("extension_reason"))

    extension_reasons: list = []

    try:
        with engine.script_engine.operating(OperationContext(uow, instance, now)):
            workflow.refresh_timers()
            workflow.do_engine_steps(did_complete_task=did_complete)
            workflow.refresh_timers()
        ready = ready_tasks(workflow, manual=True)
        new_rows = []
        waiting = instance.waiting or {"tasks": [], "timers": {}}
        open_ids = set(waiting["tasks"])
        for task in ready:
            spiff_id = str(task.id)
            if spiff_id in open_ids:
                continue
            props = properties(task.task_spec)
            new_rows.append((task, props, _candidate_groups(engine, task, instance)))
        timers = _waiting_timers(workflow)
        completed_now = workflow.is_completed()
        if completed_now and _stopped_short(workflow):
            raise BudgetExceeded("process.ended_short")
    except (SpiffWorkflowException, ScriptError, OperationError) as err:
        refused = _refusal(err)
        if refused is not None:
            # An operation refused what a person decided (a rule of the Measures): nothing of the
            # command is kept and they are told why, as for bad form input.
            raise refused from None
        raise_if_retryable(err)
        budget = budget_cause(err)
        if budget is not None:
            raise StepFailed(describe_failure(err, budget)) from None
        outcome.status = "errored"
        outcome.error = describe_failure(err)
        instance.status = "errored"
        instance.error = outcome.error
        _save(uow, instance, workflow)
        return outcome
    except BudgetExceeded as err:
        raise StepFailed(str(err)) from None
    except Exception as err:  # noqa: BLE001 - designer BPMN can make SpiffWorkflow raise anything
        refused = _refusal(err)
        if refused is not None:
            raise refused from None
        raise_if_retryable(err)
        raise StepFailed(describe_failure(err)) from None

    # A late extension raises here and the caller's unit of work undoes the whole command.
    extended_before, replied_before = instance.statutory_extended_from, instance.replied_at
    statutory.apply(engine, instance, marks, now)
    if instance.statutory_extended_from is not None and extended_before is None:
        # The extension notice (Art. 20 para. 2: 告知申请人), in the step's own transaction so
        # its mail is due exactly when the extension is recorded.
        reason = next((r for r in reversed(extension_reasons) if isinstance(r, str) and r), "")
        uow.notifications.add([_notice("notification.extended", {
            "receipt_number": instance.receipt_number, "old_due": instance.statutory_extended_from.isoformat(),
            "new_due": instance.statutory_due_date.isoformat(), "reason": reason},
            user=instance.started_by, instance_id=instance.id, now=now)])
    ready_ids = {str(t.id) for t in ready}
    instance.status = "completed" if completed_now else "running"
    if instance.status == "completed":
        instance.ended_at = now
    instance.error = None
    instance.waiting = {"tasks": sorted(ready_ids), "timers": {k: v[1].isoformat() for k, v in timers.items()}}
    outcome.status = instance.status
    _save(uow, instance, workflow)
    if instance.replied_at is not None and replied_before is None:
        # The reply notice (and its mail) commits with the step that gave the reply, or not at all;
        # written once the instance is saved, as a new application has no id before.
        notifications.tell_reply(uow, instance, now)

    gone = sorted(open_ids - ready_ids - {completed})
    if gone:
        uow.tasks.cancel(instance.id, gone, now)
        outcome.cancelled = gone

    # A step is named by its BPMN element: SpiffWorkflow names each instance of a multi-instance
    # step "<id> [child]", which no diagram or report knows.
    rows = [{
        "instance_id": instance.id, "spiff_task_id": str(task.id),
        "task_name": task.task_spec.bpmn_id or task.task_spec.name,
        "title": task.task_spec.bpmn_name or task.task_spec.name, "process_id": instance.process_id,
        "form": props.get("formJsonSchemaFilename"), "candidate_groups": groups, "state": "open",
        "created_at": now, **_deadline_columns(engine, instance, _deadline_rule(task, props), now),
    } for task, props, groups in new_rows]
    if rows:
        outcome.opened = [row["task_name"] for row in rows]
        outcome.opened_ids = uow.tasks.add(rows)

    _sync_timers(uow, instance, waiting["timers"], timers, now=now, fired_timer=fired_timer, worker=worker)
    return outcome


def _save(uow: UnitOfWork, instance: InstanceRecord, workflow: BpmnWorkflow) -> None:
    try:
        instance.state = uow.engine.store.dump_state(workflow)
        uow.instances.save(instance, max_bytes=uow.engine.budgets.instance_bytes)
    except BudgetExceeded as err:
        raise StepFailed(str(err)) from None
    except (TypeError, ValueError, OverflowError) as err:
        # Data SpiffWorkflow cannot serialize: nothing of this step can be kept.
        raise StepFailed(describe_failure(err)) from None


def _stopped_short(workflow: BpmnWorkflow) -> bool:
    """True when SpiffWorkflow calls the workflow complete though a task is unfinished.

    Its task iterator stops at a depth of 1000, so an endless loop of script tasks or gateways
    deeper than that looks finished to it; every task of the tree is looked at here.
    """
    return any(not task.has_state(TaskState.FINISHED_MASK) for task in workflow.tasks.values())


def _refusal(err: BaseException) -> PdwError | None:
    return _cause_of(err, PdwError)


def raise_if_retryable(err: BaseException) -> None:
    """Raise the database error behind `err` if sending the request again would not meet it.

    A step's service tasks read and write through its unit of work, so a connection lost while
    the workflow runs (or a deadlock, a serialization failure) reaches here wrapped in
    SpiffWorkflow's exceptions. That is not the application's failure and must not error it: the
    unit of work is rolled back and the caller asked to retry (engine.persistence.health). Any
    other database error stays the step's failure, as before: the instance is errored with it,
    and a supervisor sees why.
    """
    cause = _cause_of(err, DATABASE_ERRORS)
    if cause is not None and is_transient(cause):
        raise cause from None


def budget_cause(err: BaseException) -> BudgetExceeded | None:
    """The budget an error comes from: SpiffWorkflow wraps what a task spec raises (a loop, a
    timer) in its own exceptions."""
    return _cause_of(err, BudgetExceeded)


def _cause_of(err: BaseException, kind: type):
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, kind):
            return err
        err = getattr(err, "exception", None) or err.__cause__ or err.__context__
        seen += 1
    return None


def record_failure(uow: UnitOfWork, instance_id: int, reason: str, *, actor: str, action: str,
                   now: datetime, timer_id: int | None = None) -> None:
    """After a rolled-back step, mark the instance errored with `reason` (its state as before
    the step), the failing timer spent if one fired it, with an audit entry; one transaction."""
    with uow:
        instance = uow.instances.get(instance_id)
        before = {"status": instance.status}
        instance.status, instance.error = "errored", reason
        uow.instances.save(instance)
        if timer_id is not None:
            uow.timers.spend(timer_id, now, f"failed:{actor}")
        uow.audit.append(at=now, actor=actor, action=action, instance_id=instance_id, before=before,
                         after={"status": "errored", "error": reason})
        uow.commit()


def _sync_timers(uow: UnitOfWork, instance: InstanceRecord, before: dict[str, str],
                 after: dict[str, tuple[str, datetime]], *, now: datetime, fired_timer: str | None,
                 worker: str | None) -> None:
    for spiff_id in before.keys() - after.keys():
        if spiff_id == fired_timer:
            uow.timers.fired(instance.id, spiff_id, now, worker)
        else:
            uow.timers.drop(instance.id, spiff_id)
    for spiff_id, (name, due) in after.items():
        if spiff_id not in before:
            uow.timers.add(instance.id, spiff_id, name, due)
        elif before[spiff_id] != due.isoformat():
            # A cycle timer moved on to its next occurrence.
            uow.timers.move(instance.id, spiff_id, due)


def describe_failure(err: BaseException, cause: BaseException | None = None) -> str:
    """One line saying what failed and where, for an errored instance (in English: for operators)."""
    task = getattr(err, "task", None)
    where = f"task '{task.task_spec.name}': " if task is not None else ""
    cause = cause or getattr(err, "exception", None) or err
    text = str(cause).splitlines()[0][:500] if str(cause).strip() else type(cause).__name__
    return where + text
