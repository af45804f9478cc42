"""Human tasks: list, claim, unclaim, reassign and complete."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import exists, select, update

from engine.bootstrap import Engine
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.forms import check_submission
from engine.persistence import repository
from engine.persistence.models import HumanTask, ProcessDefinition, TaskCandidate
from engine.persistence.repository import StaleInstance
from engine.services import audit
from engine.services.instances import RESERVED, task_dict
from engine.services.progress import load_workflow, run_and_sync
from engine.services.users import groups_of, require_user


def list_tasks(engine: Engine, *, actor: str | None = None, instance_id: int | None = None,
               state: str | None = "open", limit: int = 200) -> list[dict]:
    """Tasks by due date: open ones a user may claim or holds, or all of one instance."""
    with engine.reading() as uow:
        session = uow.session
        query = select(HumanTask)
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        if state:
            query = query.where(HumanTask.state == state)
        if actor is not None:
            user = require_user(session, actor)
            groups = groups_of(user)
            in_group = exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.group_name.in_(groups))
            query = query.where((HumanTask.assignee == actor) | (HumanTask.assignee.is_(None) & in_group))
        query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id).limit(limit)
        return [task_dict(t) for t in session.scalars(query)]


def _actor_and_open_task(session, actor: str, task_id: int):
    user = require_user(session, actor)
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    _check_open(task)
    return user, task


def _require_candidate(user, candidate_groups: list[str]) -> None:
    if not set(groups_of(user)) & set(candidate_groups):
        raise PermissionDenied(f"user '{user.name}' is in none of the task's groups ({', '.join(candidate_groups)})")


def _check_open(task: HumanTask) -> None:
    if task.state != "open":
        raise Conflict(f"task {task.id} is {task.state}" + (f" by {task.completed_by}" if task.completed_by else ""))


def claim(engine: Engine, task_id: int, *, actor: str) -> dict:
    """Make `actor` the assignee; when many claim at once exactly one wins.

    Raises:
        NotFound, PermissionDenied, Conflict ("already claimed by X").
    """
    now = engine.clock.now()
    with engine.writing() as uow:
        session = uow.session
        user, task = _actor_and_open_task(session, actor, task_id)
        _require_candidate(user, task.candidate_groups)
        won = session.execute(update(HumanTask)
                              .where(HumanTask.id == task_id, HumanTask.state == "open", HumanTask.assignee.is_(None))
                              .values(assignee=actor, claimed_at=now)
                              .execution_options(synchronize_session=False)).rowcount
        if won != 1:
            session.refresh(task)
            if task.assignee == actor:
                raise Conflict(f"task {task_id} is already claimed by you")
            raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
        audit.append(session, at=now, actor=actor, action="task.claim", instance_id=task.instance_id, task_id=task_id,
                     before={"assignee": None}, after={"assignee": actor})
        uow.commit()
        task.assignee, task.claimed_at = actor, now
        return task_dict(task)


def unclaim(engine: Engine, task_id: int, *, actor: str) -> dict:
    """Give a claimed task back to its groups; only its assignee or a supervisor may."""
    return _assign(engine, task_id, actor=actor, assignee=None, action="task.unclaim")


def reassign(engine: Engine, task_id: int, *, actor: str, assignee: str) -> dict:
    """A supervisor hands a task to `assignee`, who must be in one of its groups."""
    return _assign(engine, task_id, actor=actor, assignee=assignee, action="task.reassign")


def _assign(engine: Engine, task_id: int, *, actor: str, assignee: str | None, action: str) -> dict:
    now = engine.clock.now()
    with engine.writing() as uow:
        session = uow.session
        user, task = _actor_and_open_task(session, actor, task_id)
        supervisor = "supervisor" in user.roles or "admin" in user.roles
        if action == "task.unclaim":
            if task.assignee is None:
                raise Conflict(f"task {task_id} is not claimed")
            if task.assignee != actor and not supervisor:
                raise PermissionDenied(f"task {task_id} is held by {task.assignee}; only they or a supervisor "
                                       "may release it")
        else:
            if not supervisor:
                raise PermissionDenied(f"only a supervisor may reassign tasks; '{actor}' is not one")
            _require_candidate(require_user(session, assignee), task.candidate_groups)
        before = {"assignee": task.assignee}
        task.assignee = assignee
        task.claimed_at = now if assignee else None
        audit.append(session, at=now, actor=actor, action=action, instance_id=task.instance_id, task_id=task_id,
                     before=before, after={"assignee": assignee})
        uow.commit()
        return task_dict(task)


def complete(engine: Engine, task_id: int, *, actor: str, data: dict) -> dict:
    """Decide a task with the form `data` and move its instance on.

    Only the assignee may complete; an unclaimed task is claimed by a candidate who decides it.
    The data must pass the task's form, else nothing changes.

    Raises:
        NotFound, PermissionDenied, Conflict, InvalidInput (one problem per field).
    """
    now = engine.clock.now()
    with engine.writing() as uow:
        session = uow.session
        found = repository.task_for_decision(session, task_id, actor)
        if found is None:
            raise NotFound(f"no task {task_id}")
        task, instance, user = found
        _check_open(task)
        before = {"task": task.task_name, "state": "open", "assignee": task.assignee}
        assignee, claimed_at = task.assignee, task.claimed_at
        if task.assignee is None:
            # Deciding an unclaimed task claims it in the same transaction; the row lock
            # above keeps a concurrent claim from slipping in between.
            if user is None:
                raise NotFound(f"no user '{actor}'")
            _require_candidate(user, task.candidate_groups)
            assignee, claimed_at = actor, now
        elif task.assignee != actor:
            raise PermissionDenied(f"only the assignee may complete task {task_id}; it is claimed by {task.assignee}")
        if instance.status != "running":
            raise Conflict(f"instance {instance.id} is {instance.status}: {instance.error or ''}".rstrip(": "))
        problems = [Problem(k, "is set by the engine and may not be submitted") for k in RESERVED if k in data]
        if task.form:
            forms = engine.specs.forms(instance.definition_id, lambda: session.scalar(
                select(ProcessDefinition.forms).where(ProcessDefinition.id == instance.definition_id)))
            problems += [Problem(e.field, e.message) for e in check_submission(forms[task.form], data)]
        if problems:
            raise InvalidInput(f"task {task_id} not completed", problems)

        workflow = load_workflow(engine, session, instance)
        spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
        spiff_task.data.update(data)
        spiff_task.run()
        repository.complete_task(session, task_id, actor=actor, assignee=assignee, claimed_at=claimed_at, now=now,
                                 result=data)
        try:
            outcome = run_and_sync(engine, session, instance, workflow, now=now, completed=task.spiff_task_id)
        except StaleInstance:
            raise Conflict(f"instance {instance.id} changed while task {task_id} was being completed; "
                           "try again") from None
        audit.append(session, at=now, actor=actor, action="task.complete", instance_id=instance.id, task_id=task_id,
                     before=before,
                     after={"task": task.task_name, "state": "completed", "data": data, "status": outcome.status,
                            "opened": outcome.opened, "cancelled": outcome.cancelled, "error": outcome.error})
        uow.commit()
    return {"id": task_id, "instance_id": instance.id, "task_name": task.task_name, "state": "completed",
            "assignee": assignee, "completed_by": actor, "result": data, "instance_status": outcome.status,
            "opened": outcome.opened, "opened_task_ids": outcome.opened_ids, "error": outcome.error}
