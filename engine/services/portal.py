"""The applicant's side: which procedures one may start, one's applications, their replies and to-dos."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import permissions
from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import instances
from engine.services.inbox import deadline_of
from engine.services.users import require_user


def _newest():
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.process_id).subquery())
    return select(ProcessDefinition).join(newest, (newest.c.process_id == ProcessDefinition.process_id)
                                          & (newest.c.version == ProcessDefinition.version))


def _deadline(engine, task: HumanTask):
    return deadline_of(engine, due_date=task.due_date, due_at=task.due_at, rule=task.deadline_rule,
                       article=task.deadline_article, provisional=task.deadline_provisional,
                       basis=task.deadline_basis)


def _todo(task: HumanTask, groups: set[str], actor: str) -> bool:
    return task.state == "open" and (task.assignee == actor or (task.assignee is None
                                                                and bool(groups & set(task.candidate_groups))))


def overview(uow: UnitOfWork, actor: str, *, limit: int = 100) -> dict:
    """The procedures `actor` may start, their newest applications with open steps, and their to-dos.

    Raises:
        NotFound: no such user.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        groups = set(permissions.groups_of(user))
        procedures = [{"process_id": d.process_id, "name": d.name or d.process_id}
                      for d in session.scalars(_newest().order_by(ProcessDefinition.process_id))
                      if permissions.may_start(user.roles, d.properties) and d.properties.get("startForm")]
        rows = session.execute(
            select(ProcessInstance, ProcessDefinition.name).join(
                ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessInstance.started_by == actor).order_by(ProcessInstance.id.desc()).limit(limit)).all()
        open_tasks = session.scalars(select(HumanTask).where(
            HumanTask.instance_id.in_([i.id for i, _ in rows]), HumanTask.state == "open")
            .order_by(HumanTask.due_at, HumanTask.id)).all() if rows else []
        steps: dict[int, list] = {}
        todo = []
        for task in open_tasks:
            entry = {"task_id": task.id, "title": task.title, "assignee": task.assignee,
                     "deadline": _deadline(engine, task)}
            if _todo(task, groups, actor):
                todo.append({**entry, "instance_id": task.instance_id})
            else:
                steps.setdefault(task.instance_id, []).append(entry)
        applications = [{"id": i.id, "receipt_number": i.receipt_number, "process_id": i.process_id,
                         "process_name": name or i.process_id, "status": i.status, "received_on": i.received_on,
                         "steps": steps.get(i.id, [])} for i, name in rows]
    return {"procedures": procedures, "applications": applications, "todo": todo}


def start_form(uow: UnitOfWork, actor: str, process_id: str) -> dict:
    """The start form of the newest version of `process_id`, if `actor` may start it.

    Raises:
        NotFound: no such user, process, or the process has no start form.
        PermissionDenied: the user's roles may not start it.
    """
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        definition = session.scalar(_newest().where(ProcessDefinition.process_id == process_id))
        if definition is None or not definition.properties.get("startForm"):
            raise NotFound("process.no_start_form", process=process_id)
        if not permissions.may_start(user.roles, definition.properties):
            raise PermissionDenied("process.not_startable", user=actor, roles=list(user.roles), process=process_id,
                                   needed=sorted(permissions.startable_by(definition.properties)))
        return {"process_id": process_id, "name": definition.name or process_id,
                "schema": definition.forms.get(definition.properties["startForm"], {})}


def application(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """One of `actor`'s applications: status, open steps with deadlines, replies, to-dos and history,
    read in one transaction.

    `replies` are the completed steps other people decided, each with its form for the labels.

    Raises:
        NotFound: no such application, or it is someone else's.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.started_by != actor:
            # Someone else's application is as good as absent: its existence is not disclosed.
            raise NotFound("application.not_found", instance=instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        groups = set(permissions.groups_of(user))
        task_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                    .order_by(HumanTask.id)).all()
        forms = definition.forms or {}
        start = (definition.properties or {}).get("startForm")
        steps, todo, replies = [], [], []
        for task in task_rows:
            entry = {"task_id": task.id, "title": task.title, "assignee": task.assignee,
                     "deadline": _deadline(engine, task)}
            if task.state == "open":
                (todo if _todo(task, groups, actor) else steps).append(entry)
            elif task.state == "completed" and task.completed_by != actor:
                replies.append({**entry, "completed_at": task.completed_at, "result": task.result or {},
                                "form": forms.get(task.form) if task.form else None})
        return {"instance": instances.shown(uow, instance_id), "start_form": forms.get(start) if start else None,
                "steps": steps, "todo": todo, "replies": replies}


def status(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """An application's status, history and the deadlines of its open steps, for anyone who may
    read it (`permissions.may_see_application`), read in one transaction.

    Raises:
        NotFound: no such user, or no such application as far as this user may know.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        instance = session.get(ProcessInstance, instance_id)
        task_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                    .order_by(HumanTask.id)).all() if instance is not None else []
        if instance is None or not permissions.may_see_application(user, started_by=instance.started_by,
                                                                   tasks=task_rows):
            # One may not learn that an application one may not read exists.
            raise NotFound("application.not_found", instance=instance_id)
        return {"instance": instances.shown(uow, instance_id),
                "open_steps": [{"task_id": t.id, "title": t.title, "assignee": t.assignee,
                                "candidate_groups": t.candidate_groups, "deadline": _deadline(engine, t)}
                               for t in task_rows if t.state == "open"]}
