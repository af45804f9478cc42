"""The applicant's side: which procedures one may start, one's applications, their replies and to-dos."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import disclosure, permissions
from engine.calendar.statute import load_statute
from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import (AuditEntry, CatalogItem, Department, HumanTask, ProcessDefinition,
                                      ProcessInstance)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import attachments, instances
from engine.services.inbox import task_deadline
from engine.services.users import account_kind_of, require_user


def _newest():
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.process_id).subquery())
    return select(ProcessDefinition).join(newest, (newest.c.process_id == ProcessDefinition.process_id)
                                          & (newest.c.version == ProcessDefinition.version))


def _todo(task: HumanTask, groups: set[str], actor: str) -> bool:
    return task.state == "open" and (task.assignee == actor or (task.assignee is None
                                                                and bool(groups & set(task.candidate_groups))))


def startable(session, user, competent_department: str) -> list[ProcessDefinition]:
    """The newest version of each procedure `user` may apply through (it has a start form)."""
    kind = account_kind_of(session, user)
    at_authority = user.department == competent_department
    return [d for d in session.scalars(_newest().order_by(ProcessDefinition.process_id))
            if permissions.may_start(user.roles, d.properties, kind, at_authority=at_authority)
            and d.properties.get("startForm")]


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
                      for d in startable(session, user, engine.config.competent_department)]
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
            entry = {"task_id": task.id, "title": task.title, "deadline": task_deadline(engine, task)}
            if _todo(task, groups, actor):
                todo.append({**entry, "instance_id": task.instance_id})
            else:
                steps.setdefault(task.instance_id, []).append(entry)
        applications = [{"id": i.id, "receipt_number": i.receipt_number, "process_id": i.process_id,
                         "process_name": name or i.process_id, "status": i.status, "received_on": i.received_on,
                         "steps": steps.get(i.id, [])} for i, name in rows]
    return {"procedures": procedures, "applications": applications, "todo": todo}


def start_form(uow: UnitOfWork, actor: str, process_id: str) -> dict:
    """The start form of the newest version of `process_id`, if `actor` may start it, with the
    catalog entries to pick from when the form has a catalog field (`"x-widget": "catalog"`) and
    the reply period (`clock`: period, unit and article; no period when the Measures set none).

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
        kind = account_kind_of(session, user)
        if not permissions.may_start(user.roles, definition.properties, kind,
                                     at_authority=user.department == uow.engine.config.competent_department):
            instances.raise_not_startable(actor, user.roles, kind, process_id, definition.properties)
        schema = definition.forms.get(definition.properties["startForm"], {})
        picks = any(p.get("x-widget") == "catalog" for p in (schema.get("properties") or {}).values())
        return {"process_id": process_id, "name": definition.name or process_id, "schema": schema,
                "catalog": _catalog_choices(session) if picks else [],
                "clock": _reply_period(uow.engine, definition.properties.get("statutoryRule"))}


def _reply_period(engine, rule_id: str | None) -> dict | None:
    """What the applicant is told of the reply period before applying: the rule's period, unit
    and article, or the article with no period when the Measures set none."""
    if not rule_id:
        return None
    rule = engine.rules.get(rule_id)
    if rule is not None:
        return {"period": rule.period, "unit": rule.unit, "article": rule.article}
    no_period = load_statute().no_period.get(rule_id)
    return {"period": None, "unit": None, "article": no_period.article} if no_period else None


def _catalog_choices(session) -> list[dict]:
    """Every catalog entry as an applicant picks it: code, name and source unit."""
    rows = session.execute(select(CatalogItem.code, CatalogItem.name, Department.name)
                           .outerjoin(Department, Department.code == CatalogItem.source_unit)
                           .order_by(CatalogItem.code)).all()
    return [{"code": code, "name": name, "source_unit": unit} for code, name, unit in rows]


def application(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """One of `actor`'s applications as its applicant is shown it, read in one transaction.

    Returns a dict: `instance` (receipt number, procedure, status, dates, what was applied
    for), `start_form`, `handled_by` (the competent unit's name, once known), `steps` (open
    steps with their deadlines), `todo` (steps waiting for the applicant), `replies` (each
    reply's title, date, form and disclosed fields), `history` (what happened, by whom as the
    applicant may know it), `may_withdraw`, `attachments` and `may_attach`. Never internal opinions, logins or engine ids.

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
            entry = {"task_id": task.id, "title": task.title, "deadline": task_deadline(engine, task)}
            form = forms.get(task.form) if task.form else None
            if task.state == "open":
                (todo if _todo(task, groups, actor) else steps).append(entry)
            elif task.state == "completed" and disclosure.is_reply(form):
                replies.append({**entry, "completed_at": task.completed_at, "form": form,
                                "result": disclosure.disclosed(form, task.result)})
        department = session.get(Department, instance.department) if instance.department else None
        running = instance.status == "running"
        return {
            "instance": {"id": instance.id, "receipt_number": instance.receipt_number,
                         "process_name": definition.name or instance.process_id, "status": instance.status,
                         "received_on": instance.received_on.isoformat(), "application": instance.summary or {},
                         "ended_at": instance.ended_at, "statutory": instances.statutory_clock(instance)},
            "start_form": forms.get(start) if start else None,
            "handled_by": department.name if department else None,
            "steps": steps, "todo": todo, "replies": replies,
            "history": _public_history(session, instance, {t.id: t for t in task_rows}, forms),
            "may_withdraw": running and not replies and instance.replied_at is None,
            "attachments": attachments.listed(session, instance_id),
            "may_attach": running,
        }


# What of an application's audit trail its applicant is shown, and as what.
_PUBLIC_ACTIONS = ("instance.start", "task.complete", "instance.withdraw")


def _public_history(session, instance, tasks: dict, forms: dict) -> list[dict]:
    """The applicant's own acts and the replies they were given, without logins or engine ids:
    `{"at", "action", "step", "by"}` where `by` is "applicant" or "official"."""
    entries = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance.id,
                                                       AuditEntry.action.in_(_PUBLIC_ACTIONS))
                              .order_by(AuditEntry.id)).all()
    shown = []
    for entry in entries:
        task = tasks.get(entry.task_id) if entry.task_id else None
        mine = entry.actor == instance.started_by
        if entry.action == "task.complete" and not (mine or (task is not None and disclosure.is_reply(
                forms.get(task.form) if task.form else None))):
            continue
        shown.append({"at": entry.at, "action": entry.action, "step": task.title if task else None,
                      "by": "applicant" if mine else "official"})
    return shown


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
                                "candidate_groups": t.candidate_groups, "deadline": task_deadline(engine, t)}
                               for t in task_rows if t.state == "open"]}
