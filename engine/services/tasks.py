"""Human tasks: list, claim, unclaim, reassign and complete."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import exists, select
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import access, permissions
from engine.clock import SHANGHAI
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.forms import RawForm, act_date_problems, check_submission, fields_of, read_raw_form, text_problems
from engine.persistence.models import HumanTask, ProcessDefinition, ProcessInstance, TaskCandidate
from engine.persistence.repositories import StaleInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import admission, audience
from engine.services.instances import RESERVED, task_dict
from engine.sandbox import ScriptError
from engine.services.progress import (StepFailed, budget_cause, describe_failure, load_workflow,
                                      raise_if_retryable, record_failure, run_and_sync)
from engine.services.users import require_user


def list_tasks(uow: UnitOfWork, *, actor: str, instance_id: int | None = None,
               state: str | None = "open", limit: int = 200) -> list[dict]:
    """Tasks by due date: the open ones `actor` may claim or holds; or, with `instance_id`, the
    tasks of that application as `actor`'s audience is shown them (its overseers and officials).

    Raises:
        NotFound: no such user, or no such application as far as the user may know.
    """
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        query = select(HumanTask)
        placement = None
        if instance_id is not None:
            placement = audience.place(uow, actor, instance_id, allowed=lambda a: a in access.OFFICIALS)
            query = query.where(HumanTask.instance_id == instance_id)
        if state:
            query = query.where(HumanTask.state == state)
        if placement is None:
            groups = permissions.groups_of(user)
            # Candidate rows exist only for available tasks; the state check keeps it so for any caller.
            in_group = exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.group_name.in_(groups))
            query = query.where((HumanTask.assignee == actor)
                                | (HumanTask.assignee.is_(None) & (HumanTask.state == "open") & in_group))
        query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id).limit(limit)
        rows = list(session.scalars(query))
        forms = _forms_of(session, {t.instance_id for t in rows})
        reader = placement.audience if placement is not None else access.Audience.DECIDING_UNIT
        listed = [_projected(t, forms.get(t.instance_id, {}), reader) for t in rows]
    if placement is not None:
        audience.record_read(uow, placement, "task.list")
    return listed


def of_instance(uow: UnitOfWork, instance_id: int, *, state: str | None = "open") -> list[dict]:
    """The stored task rows of one instance by due date (all states with `state=None`): for the
    engine's own use and tests. No entry point hands them out: they render `list_tasks`."""
    with uow.read():
        query = select(HumanTask).where(HumanTask.instance_id == instance_id)
        if state:
            query = query.where(HumanTask.state == state)
        query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        return [task_dict(t) for t in uow.session.scalars(query)]


def _forms_of(session, instance_ids: set[int]) -> dict[int, dict]:
    if not instance_ids:
        return {}
    return dict(session.execute(select(ProcessInstance.id, ProcessDefinition.forms).join(
        ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.id.in_(instance_ids))).all())


def _projected(task: HumanTask, forms: dict, reader: access.Audience) -> dict:
    """A task row as `reader` is shown it: its result cut to the fields they may read."""
    shown = task_dict(task)
    if shown["result"] is not None:
        shown["result"] = access.readable((forms or {}).get(task.form) if task.form else None, task.result, reader)
    return shown


def show(uow: UnitOfWork, task_id: int, *, actor: str) -> dict:
    """A task row with its form, the JSON Schema and the fields it asks for (`forms.fields_of`),
    for someone who may open it; the read is recorded.

    Raises:
        NotFound: no such user; no such task as far as the user may know.
    """
    with uow.read():
        session = uow.session
        placement, task = audience.place_task(uow, actor, task_id)
        forms = session.scalar(select(ProcessDefinition.forms).where(
            ProcessDefinition.id == placement.instance.definition_id)) or {}
        schema = forms.get(task.form) if task.form else None
        shown = {**_projected(task, forms, placement.audience), "form_schema": schema, "fields": fields_of(schema)}
    audience.record_read(uow, placement, "task.show")
    return shown


def _actor_and_open_task(uow: UnitOfWork, actor: str, task_id: int):
    # One answer for a task one may not open and one that does not exist (engine.access).
    placement, task = audience.place_task(uow, actor, task_id)
    _check_open(task)
    return placement, task


def _require_candidate(user, candidate_groups: list[str]) -> None:
    if not permissions.is_candidate(user, candidate_groups):
        raise PermissionDenied("task.not_candidate", user=user.name, groups=list(candidate_groups))


def _check_open(task) -> None:
    if task.state == "completed":
        raise Conflict("task.completed", task=task.id, by=task.completed_by)
    if task.state != "open":
        raise Conflict("task.cancelled", task=task.id)


def claim(uow: UnitOfWork, task_id: int, *, actor: str) -> dict:
    """Make `actor` the assignee; when many claim at once exactly one wins.

    Raises:
        NotFound, PermissionDenied, Conflict (`task.already_claimed` with the holder).
    """
    with uow:
        now = uow.engine.clock.now()
        # The task with the acting user in one read, the task's row locked until commit (SQLite:
        # BEGIN IMMEDIATE): a concurrent claim waits here and then reads this one's holder.
        task, user = uow.tasks.for_claim(task_id, actor)
        if user is None:
            user = require_user(uow.session, actor)
        if task is not None and permissions.is_candidate(user, task.candidate_groups):
            # A candidate may always open the task: the placement's reads are spared the hot path.
            _check_open(task)
        else:
            placement, task = _actor_and_open_task(uow, actor, task_id)
            _require_candidate(placement.user, task.candidate_groups)
        if task.assignee == actor:
            raise Conflict("task.already_yours", task=task_id)
        if task.assignee is not None:
            raise Conflict("task.already_claimed", task=task_id, holder=task.assignee)
        uow.tasks.take(task_id, actor, now)
        uow.audit.append(at=now, actor=actor, action="task.claim", instance_id=task.instance_id, task_id=task_id,
                         before={"assignee": None}, after={"assignee": actor})
        uow.commit()
        task.assignee, task.claimed_at = actor, now
        return task_dict(task)


def unclaim(uow: UnitOfWork, task_id: int, *, actor: str) -> dict:
    """Give a claimed task back to its groups; only its assignee or a supervisor may."""
    return _assign(uow, task_id, actor=actor, assignee=None, action="task.unclaim")


def reassign(uow: UnitOfWork, task_id: int, *, actor: str, assignee: str) -> dict:
    """A supervisor hands a task to `assignee`, who must be in one of its groups."""
    return _assign(uow, task_id, actor=actor, assignee=assignee, action="task.reassign")


def _assign(uow: UnitOfWork, task_id: int, *, actor: str, assignee: str | None, action: str) -> dict:
    with uow:
        now = uow.engine.clock.now()
        session = uow.session
        placement, task = _actor_and_open_task(uow, actor, task_id)
        # Releasing another's task and reassigning are for the application's overseers: a
        # department's supervisor only where it concerns the department (engine.access).
        overseer = access.may_oversee(placement.audience)
        if action == "task.unclaim":
            if task.assignee is None:
                raise Conflict("task.not_claimed", task=task_id)
            if task.assignee != actor and not overseer:
                raise PermissionDenied("task.held_by_other", task=task_id, holder=task.assignee)
        else:
            if not overseer:
                raise PermissionDenied("task.reassign_forbidden", user=actor)
            _require_candidate(require_user(session, assignee), task.candidate_groups)
        before = {"assignee": task.assignee}
        uow.tasks.assign(task_id, assignee, now)
        uow.audit.append(at=now, actor=actor, action=action, instance_id=task.instance_id, task_id=task_id,
                         before=before, after={"assignee": assignee})
        uow.commit()
        task.assignee, task.claimed_at = assignee, (now if assignee else None)
        return task_dict(task)


def complete(uow: UnitOfWork, task_id: int, *, actor: str, data: dict | RawForm) -> dict:
    """Decide a task with its form's `data` and move its instance on, in one transaction.

    Only the assignee may complete; an unclaimed task is claimed by a candidate who decides it.
    `data` is JSON data, or a `RawForm` as an HTML form posted it (read against the task's form).
    The data must pass the task's form, else nothing changes. When the instance's engine steps
    then go past a budget, the whole step is undone and the instance marked errored.

    Raises:
        NotFound, PermissionDenied, InvalidInput (`task.not_completed`, one problem per field),
        Conflict (`task.post_script_failed` when the task's own postScript fails: nothing changed,
        the task stays open; `instance.errored` when the step failed and the instance was errored).
    """
    engine = uow.engine
    now = engine.clock.now()
    try:
        with uow:
            result = _complete(uow, task_id, actor=actor, data=data, now=now)
            uow.commit()
            return result
    except StepFailed as failed:
        instance_id = failed.instance_id
        reason = failed.reason
    record_failure(engine.uow(), instance_id, reason, actor=actor, action="task.complete.failed", now=now)
    raise Conflict("instance.errored", instance=instance_id, error=reason)


def _complete(uow: UnitOfWork, task_id: int, *, actor: str, data: dict | RawForm, now) -> dict:
    engine = uow.engine
    found = uow.tasks.for_decision(task_id, actor)
    if found is None:
        raise NotFound("task.not_found", task=task_id)
    task, instance, user = found
    if user is None:
        raise NotFound("user.not_found", name=actor)
    if task.assignee != actor and not permissions.is_candidate(user, task.candidate_groups):
        # Not the user's to decide: refused as absent unless they may open it (engine.access).
        audience.place_task(uow, actor, task_id)
    _check_open(task)
    before = {"task": task.task_name, "state": "open", "assignee": task.assignee}
    assignee, claimed_at = task.assignee, task.claimed_at
    if task.assignee is None:
        # Deciding a task is its holder's act: a candidate who has not claimed it claims it in
        # the same transaction (the row lock above keeps a concurrent claim from slipping in
        # between), and the audit shows the claim before the decision.
        _require_candidate(user, task.candidate_groups)
        assignee, claimed_at = actor, now
        uow.audit.append(at=now, actor=actor, action="task.claim", instance_id=instance.id, task_id=task_id,
                         before={"assignee": None}, after={"assignee": actor, "with_decision": True})
    elif task.assignee != actor:
        raise PermissionDenied("task.not_assignee", task=task_id, holder=task.assignee)
    if instance.status == "errored":
        raise Conflict("instance.errored", instance=instance.id, error=instance.error or "")
    if instance.status != "running":
        raise Conflict("instance.ended", instance=instance.id, status=instance.status)
    form = None
    if task.form:
        form = engine.specs.forms(instance.definition_id, lambda: uow.session.scalar(
            select(ProcessDefinition.forms).where(ProcessDefinition.id == instance.definition_id)))[task.form]
    if isinstance(data, RawForm):
        data = read_raw_form(form.schema if form is not None else None, data)
    problems = [Problem("form.reserved", field=k) for k in RESERVED if k in data] + text_problems(data)
    if form is not None:
        problems += check_submission(form, data)
        reported = {p.field for p in problems}
        # A term already over on the day of the decision would record a grant that gives nothing.
        problems += [Problem("task.term_ended", {"date": data[name], "today": engine.clock.today().isoformat()},
                             field=name)
                     for name in admission.past_dates(form.schema, data, engine.clock.today()) if name not in reported]
        if not problems:
            problems += act_date_problems(form.schema, data, received_on=instance.received_on,
                                          today=now.astimezone(SHANGHAI).date())
    if problems:
        raise InvalidInput("task.not_completed", problems, data=data, task=task_id, count=len(problems))

    try:
        workflow = load_workflow(uow, instance)
        spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
        spiff_task.data.update(data)
        spiff_task.run()
    except (SpiffWorkflowException, ScriptError) as err:
        raise_if_retryable(err)
        if budget_cause(err) is not None:
            raise StepFailed(describe_failure(err, budget_cause(err)), instance.id) from None
        # The task's own postScript failed on this data: nothing is kept, the task stays open.
        raise Conflict("task.post_script_failed", task=task_id, detail=describe_failure(err)) from None
    except Exception as err:  # noqa: BLE001 - a stored state that no longer loads is the instance's failure
        raise_if_retryable(err)
        raise StepFailed(describe_failure(err), instance.id) from None
    uow.tasks.complete(task_id, actor=actor, assignee=assignee, claimed_at=claimed_at, now=now, result=data)
    try:
        outcome = run_and_sync(uow, instance, workflow, now=now, completed=task.spiff_task_id)
    except StaleInstance:
        raise Conflict("instance.changed", instance=instance.id, task=task_id) from None
    except StepFailed as failed:
        raise StepFailed(failed.reason, instance.id) from None
    uow.audit.append(at=now, actor=actor, action="task.complete", instance_id=instance.id, task_id=task_id,
                     before=before,
                     after={"task": task.task_name, "state": "completed", "data": data, "status": outcome.status,
                            "opened": outcome.opened, "cancelled": outcome.cancelled, "error": outcome.error})
    return {"id": task_id, "instance_id": instance.id, "task_name": task.task_name, "state": "completed",
            "assignee": assignee, "completed_by": actor, "result": data, "instance_status": outcome.status,
            "opened": outcome.opened, "opened_task_ids": outcome.opened_ids, "error": outcome.error}
