"""Re-counting open deadlines when a holiday notice changes the days they count.

A task's deadline is counted once, when its step opens, and a BPMN timer's instant once, when
it starts waiting (its expression, e.g. `deadline_at("art20_share_reply", receipt_date)`, is
evaluated and SpiffWorkflow keeps the value as the task's `event_value`). When a notice
changes a year, both are counted again with the new calendar: the task row (due date, instant,
provisional flag, the notices it rests on) and its inbox rows, and for a timer the stored
event value in the instance state (SpiffWorkflow fires by it, against PDW's clock) together
with the timer row the scheduler reads. Each change gets an audit entry; a task's holder (or
its groups) is told when its date moves, and supervisors too when the new date has passed.

Only periods that end on or after the first day the notice touches can change, so only
deadlines from that day on are looked at (through the due-date indexes).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import groupby
from uuid import UUID

from sqlalchemy import select
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.script_engine import PdwScriptEngine
from engine.bpmn.timers import ClockedTimeDateEventDefinition, next_due
from engine.calendar import WorkingCalendar
from engine.calendar.arrangements import Arrangement
from engine.calendar_sync import worker_payload
from engine.clock import SHANGHAI
from engine.errors import Conflict
from engine.persistence.models import HumanTask, ProcessInstance, Timer
from engine.persistence.repositories import InstanceRecord, StaleInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.sandbox import Sandbox, SandboxEnvironment, ScriptError
from engine.services.progress import load_workflow

SUPERVISORS = "supervisor"
# Functions whose value depends on when a script runs: a timer reading them is not re-counted,
# since evaluating it again later would move it for reasons other than the calendar.
CLOCK_FUNCTIONS = frozenset({"now", "today"})


@dataclass(frozen=True)
class DeadlineChange:
    """One open task's deadline or one waiting timer's instant that the new calendar moves."""

    kind: str  # "task" | "timer"
    instance_id: int
    receipt_number: str
    task_id: int | None
    title: str
    old_due_date: date | None
    new_due_date: date | None
    old_due_at: datetime
    new_due_at: datetime
    old_provisional: bool
    new_provisional: bool
    old_notices: list[str]
    new_notices: list[str]
    passed: bool

    @property
    def moved(self) -> bool:
        """True when the date (or instant) itself changes, not only the notices it rests on."""
        return self.old_due_at != self.new_due_at

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {
            "kind": self.kind, "instance_id": self.instance_id, "receipt_number": self.receipt_number,
            "task_id": self.task_id, "title": self.title,
            "old_due_date": _iso(self.old_due_date), "new_due_date": _iso(self.new_due_date),
            "old_due_at": self.old_due_at.isoformat(), "new_due_at": self.new_due_at.isoformat(),
            "old_provisional": self.old_provisional, "new_provisional": self.new_provisional,
            "old_notices": self.old_notices, "new_notices": self.new_notices, "moved": self.moved,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class SkippedTimer:
    """A waiting timer that was not re-counted, and why ("reads_clock" or "failed: ...")."""

    instance_id: int
    receipt_number: str
    title: str
    reason: str

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"instance_id": self.instance_id, "receipt_number": self.receipt_number, "title": self.title,
                "reason": self.reason}


@dataclass
class Plan:
    """What re-counting would change; `apply` writes it in the caller's unit of work."""

    changes: list[DeadlineChange] = field(default_factory=list)
    skipped: list[SkippedTimer] = field(default_factory=list)
    _tasks: list[tuple[DeadlineChange, dict, str | None, list[str]]] = field(default_factory=list)
    _instances: list[tuple[InstanceRecord, object, list[tuple[str, str, datetime, DeadlineChange]]]] = \
        field(default_factory=list)
    # The statutory clocks of unanswered applications: (instance id, new column values).
    _clocks: list[tuple[int, dict]] = field(default_factory=list)


def first_affected_day(new: Arrangement, old: Arrangement | None) -> date:
    """The first day whose standing the notice may change: 1 January of its year, or earlier when
    it (or the notice it replaces) moves a day across New Year."""
    days = [date(new.year, 1, 1), *(entry.day for entry in new.entries)]
    if old is not None:
        days += [entry.day for entry in old.entries]
    return min(days)


def plan(uow: UnitOfWork, calendar: WorkingCalendar, arrangements: dict[int, Arrangement], since: date,
         now: datetime) -> Plan:
    """Count again, by `calendar` (built from `arrangements`), every open task and waiting timer
    due on or after `since`; what differs is the plan."""
    result = Plan()
    _plan_tasks(uow, calendar, since, now, result)
    _plan_timers(uow, arrangements, since, now, result)
    _plan_clocks(uow, calendar, since, result)
    return result


def apply(uow: UnitOfWork, result: Plan, *, actor: str, notice: str | None, now: datetime) -> None:
    """Write a plan: rows, instance states, audit entries and notifications, citing `notice` (the
    notice installed; None: the newest notice each deadline rests on).

    Raises:
        Conflict: an instance changed meanwhile (`calendar.install_conflict`); nothing is kept.
    """
    notifications = []
    for change, columns, holder, groups in result._tasks:
        uow.calendar.move_task(change.task_id, **columns)
        cited = notice or _newest(change.new_notices)
        uow.audit.append(at=now, actor=actor, action="deadline.recount", instance_id=change.instance_id,
                         task_id=change.task_id, before=_deadline_entry(change, "old"),
                         after={**_deadline_entry(change, "new"), "notice": cited})
        if change.moved:
            notifications += _notify(change, holder, groups, cited, now)
    uow.notifications.add(notifications)
    for instance, workflow, moved in result._instances:
        timers = dict(instance.waiting.get("timers", {}))
        for spiff_id, _name, due, _change in moved:
            timers[spiff_id] = due.isoformat()
        instance.waiting = {**instance.waiting, "timers": timers}
        instance.state = uow.engine.store.dump_state(workflow)
        try:
            uow.instances.save(instance)
        except StaleInstance:
            raise Conflict("calendar.install_conflict", instance=instance.id) from None
        for spiff_id, name, due, change in moved:
            uow.timers.move(instance.id, spiff_id, due)
            uow.audit.append(at=now, actor=actor, action="timer.recount", instance_id=instance.id,
                             before={"timer": name, "due_at": change.old_due_at.isoformat()},
                             after={"timer": name, "due_at": due.isoformat(), "notice": notice})
    # After the instances a moved timer saved (their records hold the clock as it was read).
    for instance_id, columns in result._clocks:
        uow.instances.set_clock(instance_id, **columns)


def _plan_tasks(uow: UnitOfWork, calendar: WorkingCalendar, since: date, now: datetime, result: Plan) -> None:
    engine = uow.engine
    t, i = HumanTask.__table__, ProcessInstance.__table__
    rows = uow.session.execute(
        select(t.c.id, t.c.instance_id, t.c.title, t.c.assignee, t.c.candidate_groups, t.c.created_at, t.c.due_date,
               t.c.due_at, t.c.deadline_rule, t.c.deadline_provisional, t.c.deadline_basis, i.c.received_on,
               i.c.receipt_number)
        .select_from(t.join(i, i.c.id == t.c.instance_id))
        .where(t.c.state == "open", t.c.due_date >= since, t.c.deadline_rule.is_not(None))
        .order_by(t.c.id))
    for row in rows:
        rule = engine.rules.get(row.deadline_rule)
        if rule is None:
            continue
        start = row.received_on if rule.counts_from == "receipt" else row.created_at.astimezone(SHANGHAI).date()
        deadline = calendar.deadline(start, rule=rule, rules=engine.rules)
        basis = deadline.to_dict()["basis"]
        old_notices, new_notices = _notices(row.deadline_basis), _notices(basis)
        if (deadline.due_date, deadline.due_at, deadline.provisional, new_notices) == \
                (row.due_date, row.due_at, bool(row.deadline_provisional), old_notices):
            continue
        change = DeadlineChange("task", row.instance_id, row.receipt_number, row.id, row.title, row.due_date,
                                deadline.due_date, row.due_at, deadline.due_at, bool(row.deadline_provisional),
                                deadline.provisional, old_notices, new_notices, deadline.due_at <= now)
        columns = {"due_date": deadline.due_date, "due_at": deadline.due_at, "provisional": deadline.provisional,
                   "basis": basis}
        result.changes.append(change)
        result._tasks.append((change, columns, row.assignee, list(row.candidate_groups or [])))


def _plan_clocks(uow: UnitOfWork, calendar: WorkingCalendar, since: date, result: Plan) -> None:
    """The statutory clock of every application not yet answered whose deadline the calendar moves
    (the original deadline of an extended one too); its version moves on so a step that read the
    old clock meanwhile is refused rather than writing it back."""
    engine = uow.engine
    i = ProcessInstance.__table__
    clocks = (select(i.c.id, i.c.received_on, i.c.statutory_rule, i.c.statutory_due_date, i.c.statutory_provisional,
                     i.c.statutory_extended_from)
              .where(i.c.replied_at.is_(None), i.c.statutory_due_date >= since).order_by(i.c.id))
    if uow.writing:
        # Locked as every writer of an instance locks it (InstanceRepository.get), so a step
        # extending a clock meanwhile waits and then reads the re-counted one.
        clocks = clocks.with_for_update(of=i)
    rows = uow.session.execute(clocks)
    for row in rows:
        rule = engine.rules.get(row.statutory_rule)
        if rule is None:
            continue
        deadline = calendar.deadline(row.received_on, rule=rule, rules=engine.rules)
        extended_from = row.statutory_extended_from
        if extended_from is not None and rule.extends in engine.rules:
            extended_from = calendar.deadline(row.received_on, rule=rule.extends, rules=engine.rules).due_date
        columns = {"statutory_due_date": deadline.due_date, "statutory_provisional": deadline.provisional,
                   "statutory_extended_from": extended_from}
        if columns != {"statutory_due_date": row.statutory_due_date,
                       "statutory_provisional": row.statutory_provisional,
                       "statutory_extended_from": row.statutory_extended_from}:
            result._clocks.append((row.id, columns))


def _plan_timers(uow: UnitOfWork, arrangements: dict[int, Arrangement], since: date, now: datetime,
                 result: Plan) -> None:
    start_of_since = datetime.combine(since, time(0), tzinfo=SHANGHAI)
    waiting = uow.session.execute(
        select(Timer.instance_id, Timer.spiff_task_id, Timer.task_name, Timer.due_at)
        .where(Timer.fired_at.is_(None), Timer.due_at >= start_of_since)
        .order_by(Timer.instance_id, Timer.id)).all()
    if not waiting:
        return
    engine = uow.engine
    # The timers are counted by a worker of their own that holds the new arrangements: the
    # engine's worker keeps the calendar of record until this install commits.
    with Sandbox(time_limit=engine.config.script_time_limit, memory_limit_mb=engine.config.script_memory_mb,
                 arrangements=worker_payload(arrangements)) as sandbox:
        script_engine = PdwScriptEngine(SandboxEnvironment(sandbox, engine.clock), engine.clock)
        for instance_id, timers in groupby(waiting, key=lambda row: row.instance_id):
            instance = uow.instances.get(instance_id, lock=True)
            if instance is None or instance.status != "running":
                continue
            workflow = load_workflow(uow, instance)
            moved = []
            for timer in timers:
                found = _recount_timer(script_engine, workflow, instance, timer, now, result)
                if found is not None:
                    moved.append(found)
            if moved:
                result._instances.append((instance, workflow, moved))


def _recount_timer(script_engine, workflow, instance: InstanceRecord, timer, now: datetime, result: Plan):
    try:
        task = workflow.get_task_from_id(UUID(timer.spiff_task_id))
    except TaskNotFoundException:
        task = None
    definition = getattr(task.task_spec, "event_definition", None) if task is not None else None
    if task is None or not task.has_state(TaskState.WAITING) or \
            not isinstance(definition, ClockedTimeDateEventDefinition):
        return None
    if _reads_clock(definition.expression):
        result.skipped.append(SkippedTimer(instance.id, instance.receipt_number, timer.task_name, "reads_clock"))
        return None
    old_value = task._get_internal_data("event_value")
    try:
        new_value = script_engine.evaluate(task, definition.expression)
        new_due = next_due(new_value)
    except (ScriptError, SpiffWorkflowException, TypeError, ValueError) as err:
        result.skipped.append(SkippedTimer(instance.id, instance.receipt_number, timer.task_name,
                                           f"failed: {str(err).splitlines()[0] if str(err) else type(err).__name__}"))
        return None
    old_due = next_due(old_value) if old_value is not None else timer.due_at
    if new_due == old_due:
        return None
    task._set_internal_data(event_value=new_value)
    change = DeadlineChange("timer", instance.id, instance.receipt_number, None, timer.task_name, None, None,
                            old_due, new_due, False, False, [], [], new_due <= now)
    result.changes.append(change)
    return timer.spiff_task_id, timer.task_name, new_due, change


def _reads_clock(expression: str) -> bool:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return True
    return any(isinstance(node, ast.Name) and node.id in CLOCK_FUNCTIONS for node in ast.walk(tree))


def _newest(notices: list[str]) -> str:
    return notices[-1].split(":", 1)[1] if notices else ""


def _notices(basis) -> list[str]:
    """The notices a deadline rests on as `year:notice` (or `year:provisional`), for comparing."""
    return [f"{n['year']}:{n.get('notice') or n.get('source')}" for n in (basis or [])]


def _deadline_entry(change: DeadlineChange, which: str) -> dict:
    return {"due_date": _iso(getattr(change, f"{which}_due_date")),
            "due_at": getattr(change, f"{which}_due_at").isoformat(),
            "provisional": getattr(change, f"{which}_provisional"),
            "notices": getattr(change, f"{which}_notices")}


def _notify(change: DeadlineChange, holder: str | None, groups: list[str], notice: str, now: datetime) -> list[dict]:
    params = {"task": change.task_id, "title": change.title, "receipt_number": change.receipt_number,
              "old_due": _iso(change.old_due_date), "new_due": _iso(change.new_due_date), "notice": notice}
    recipients = [(holder, None)] if holder else [(None, group) for group in groups]
    rows = [_notification("notification.deadline_moved", params, user, group, change, now)
            for user, group in recipients]
    if change.passed:
        rows.append(_notification("notification.deadline_passed", params, None, SUPERVISORS, change, now))
    return rows


def _notification(code: str, params: dict, user: str | None, group: str | None, change: DeadlineChange,
                  now: datetime) -> dict:
    return {"recipient_user": user, "recipient_group": group, "code": code, "params": params,
            "instance_id": change.instance_id, "task_id": change.task_id, "created_at": now}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
