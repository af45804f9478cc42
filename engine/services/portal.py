"""The applicant's side: which procedures one may start, one's applications, their replies and to-dos."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import access, disclosure, permissions
from engine.calendar.statute import load_statute
from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import (AuditEntry, CatalogItem, Department, HumanTask, ProcessDefinition,
                                      ProcessInstance)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import attachments, audience, instances, organisation
from engine.services.inbox import deadline_of, end_of_day, task_deadline
from engine.services.users import account_kind_of, require_user


def _newest():
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.process_id).subquery())
    return select(ProcessDefinition).join(newest, (newest.c.process_id == ProcessDefinition.process_id)
                                          & (newest.c.version == ProcessDefinition.version))


def _todo(task: HumanTask, groups: set[str], actor: str) -> bool:
    return task.state == "open" and (task.assignee == actor or (task.assignee is None
                                                                and bool(groups & set(task.candidate_groups))))


def startable(session, user, config) -> list[ProcessDefinition]:
    """The newest version of each procedure `user` may apply through (it has a start form)."""
    kind = account_kind_of(session, user)
    at_authority = user.department == organisation.competent_authority(session, config, user=user)
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
                      for d in startable(session, user, engine.config)]
        rows = session.execute(
            select(ProcessInstance, ProcessDefinition.name).join(
                ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessInstance.started_by == actor).order_by(ProcessInstance.id.desc()).limit(limit)).all()
        task_rows = session.scalars(select(HumanTask).where(
            HumanTask.instance_id.in_([i.id for i, _ in rows]))
            .order_by(HumanTask.due_at, HumanTask.id)).all() if rows else []
        forms = dict(session.execute(select(ProcessDefinition.id, ProcessDefinition.forms).where(
            ProcessDefinition.id.in_({i.definition_id for i, _ in rows}))).all()) if rows else {}
        steps: dict[int, list] = {}
        tasks_of: dict[int, list] = {}
        todo = []
        for task in task_rows:
            tasks_of.setdefault(task.instance_id, []).append(task)
            if task.state != "open":
                continue
            entry = {"task_id": task.id, "title": task.title, "deadline": task_deadline(engine, task)}
            if _todo(task, groups, actor):
                todo.append({**entry, "instance_id": task.instance_id})
            elif not internal_step(task.candidate_groups):
                steps.setdefault(task.instance_id, []).append(entry)
        applications = []
        for i, name in rows:
            mine = tasks_of.get(i.id, [])
            own_forms = forms.get(i.definition_id) or {}
            answered = any(t.state == "completed" and disclosure.answers(own_forms.get(t.form) if t.form else None,
                                                                         t.result) for t in mine)
            # With a statutory clock the applicant reads its date, not the steps' internal ones.
            shown_steps = [{**e, "deadline": None} for e in steps.get(i.id, [])] if i.statutory_rule \
                else steps.get(i.id, [])
            applications.append({"id": i.id, "receipt_number": i.receipt_number, "process_id": i.process_id,
                                 "process_name": name or i.process_id, "status": i.status,
                                 "received_on": i.received_on, "steps": shown_steps,
                                 "progress": applicant_status(engine, session, i, mine, answered, None)})
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
                                     at_authority=user.department == organisation.competent_authority(
                                         session, uow.engine.config, user=user)):
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
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.started_by != actor:
            # Someone else's application is as good as absent: its existence is not disclosed.
            raise NotFound("application.not_found", instance=instance_id)
        return _applicant_view(uow, user, instance)


def _applicant_view(uow: UnitOfWork, user, instance: ProcessInstance) -> dict:
    engine = uow.engine
    session = uow.session
    actor = user.name
    definition = session.get(ProcessDefinition, instance.definition_id)
    groups = set(permissions.groups_of(user))
    task_rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)
                                .order_by(HumanTask.id)).all()
    forms = definition.forms or {}
    start = (definition.properties or {}).get("startForm")
    steps, todo, replies, extension = [], [], [], None
    for task in task_rows:
        entry = {"task_id": task.id, "title": task.title, "deadline": task_deadline(engine, task)}
        form = forms.get(task.form) if task.form else None
        if task.state == "open":
            if _todo(task, groups, actor):
                todo.append(entry)
            elif not internal_step(task.candidate_groups):
                # The applicant's date is the statutory one, not a step's internal deadline
                # (a procedure without a statutory clock has only its steps' deadlines to tell).
                steps.append({**entry, "deadline": None} if instance.statutory_rule else entry)
        elif task.state == "completed" and disclosure.is_extension(form, task.result):
            extension = disclosure.disclosed(form, task.result).get("extension_reason")
        elif task.state == "completed" and disclosure.answers(form, task.result):
            replies.append({**entry, "completed_at": task.completed_at, "form": form,
                            "result": disclosure.disclosed(form, task.result)})
    department = session.get(Department, instance.department) if instance.department else None
    running = instance.status == "running"
    progress = applicant_status(engine, session, instance, task_rows, bool(replies), extension)
    from engine.services import replies as letters  # replies reads this module's helpers
    # An answered application says what it was answered (同意共享, 异议成立…), as its 答复书 words it.
    progress["outcome"] = letters.decision_words(uow, instance) if progress["status"] in (ANSWERED, ENDED) else None
    return {
        "instance": {"id": instance.id, "receipt_number": instance.receipt_number,
                     "process_name": definition.name or instance.process_id, "status": instance.status,
                     "received_on": instance.received_on.isoformat(), "application": instance.summary or {},
                     "ended_at": instance.ended_at, "statutory": instances.statutory_clock(instance)},
        "progress": progress,
        "start_form": forms.get(start) if start else None,
        "handled_by": department.name if department else None,
        "steps": steps, "todo": todo, "replies": replies,
        "history": _public_history(session, instance, {t.id: t for t in task_rows}, forms),
        "may_withdraw": running and not replies and instance.replied_at is None,
        "attachments": attachments.listed(session, instance.id),
        "may_attach": running,
    }


# Where an application stands, as its applicant is told (not the engine's own statuses: an
# errored instance is still in progress to them, a completed one is answered).
RECEIVED, IN_PROGRESS, EXTENDED, ANSWERED, WITHDRAWN, ENDED = (
    "received", "in_progress", "extended", "answered", "withdrawn", "ended")
APPLICANT_STATUSES = (RECEIVED, IN_PROGRESS, EXTENDED, ANSWERED, WITHDRAWN, ENDED)


def internal_step(candidate_groups) -> bool:
    """True for a step only supervisors work on (督办, escalations): never the applicant's status."""
    groups = list(candidate_groups or [])
    return bool(groups) and all(g == "supervisor" or g.startswith("supervisor@") for g in groups)


def applicant_status(engine, session, instance: ProcessInstance, task_rows, answered: bool,
                     extension_reason: str | None) -> dict:
    """What the applicant is told of where `instance` stands: `status` (one of APPLICANT_STATUSES),
    `due_date` (the statutory date, extended or not), `extension` (the extension notice: reason,
    original and new date), `reason` (why the authority ended it) and `ended_at`."""
    clock = instances.statutory_clock(instance) or {}
    extension = {"reason": extension_reason, "from": clock["extended_from"], "to": clock["due_date"]} \
        if clock.get("extended_from") else None
    reason = None
    if instance.status == "withdrawn":
        status = WITHDRAWN
    elif instance.status == "cancelled":
        status = ENDED
        ended = session.scalar(select(AuditEntry).where(AuditEntry.instance_id == instance.id,
                                                        AuditEntry.action == "instance.cancel")
                               .order_by(AuditEntry.id.desc()).limit(1))
        reason = (ended.after or {}).get("reason") if ended is not None else None
    elif answered or instance.replied_at is not None or instance.status == "completed":
        status = ANSWERED
    elif extension is not None:
        status = EXTENDED
    elif any(t.state == "completed" or t.claimed_at is not None for t in task_rows):
        status = IN_PROGRESS
    else:
        status = RECEIVED
    due = instance.statutory_due_date
    deadline = deadline_of(engine, due_date=due, due_at=end_of_day(due), rule=instance.statutory_rule,
                           article=instance.statutory_article, provisional=instance.statutory_provisional,
                           basis=[]) if due is not None and status in (RECEIVED, IN_PROGRESS, EXTENDED) else None
    return {"status": status, "due_date": clock.get("due_date"), "article": clock.get("article"), "deadline": deadline,
            "extension": extension, "reason": reason,
            "replied_at": instance.replied_at, "ended_at": instance.ended_at}


def applicant_projection(uow: UnitOfWork, placement) -> dict:
    """The applicant's view of their application in the shape officials' projections have
    (engine.services.instances.projection), made from exactly what their portal page shows:
    the replies' disclosed fields, the open steps' titles and deadlines, their public history."""
    instance = placement.instance
    view = _applicant_view(uow, placement.user, instance)
    shown = view["instance"]
    version = uow.session.scalar(select(ProcessDefinition.version)
                                 .where(ProcessDefinition.id == instance.definition_id))
    progress = view["progress"]
    # The applicant's own to-dos carry their deadlines; the officials' steps the statutory date.
    open_tasks = [{"id": s["task_id"], "title": s["title"], "state": "open", "result": None,
                   "due_date": s["deadline"].due_date.isoformat() if s["deadline"].due_date else None,
                   "deadline_article": s["deadline"].article} for s in view["todo"]] + \
        [{"id": s["task_id"], "title": s["title"], "state": "open", "result": None,
          "due_date": s["deadline"].due_date.isoformat() if s["deadline"] and s["deadline"].due_date
          else progress["due_date"],
          "deadline_article": s["deadline"].article if s["deadline"] else progress["article"]}
         for s in view["steps"]]
    replies = [{"id": r["task_id"], "title": r["title"], "state": "completed", "result": r["result"],
                "completed_at": r["completed_at"].isoformat() if r["completed_at"] else None}
               for r in view["replies"]]
    extension = progress["extension"]
    applicant_status = {
        "status": progress["status"], "due_date": progress["due_date"], "article": progress["article"],
        "extension": {"reason": extension["reason"], "from": extension["from"], "to": extension["to"]}
        if extension else None,
        "outcome": progress["outcome"],
        "reason": progress["reason"],
        "replied_at": progress["replied_at"].isoformat() if progress["replied_at"] else None,
        "ended_at": progress["ended_at"].isoformat() if progress["ended_at"] else None}
    return {"id": instance.id, "process_id": instance.process_id, "process_name": shown["process_name"],
            "version": version, "status": instance.status, "receipt_number": instance.receipt_number,
            "received_on": shown["received_on"], "started_by": instance.started_by,
            "started_at": instance.started_at.isoformat(),
            "ended_at": instance.ended_at.isoformat() if instance.ended_at else None, "error": None,
            "department": None, "handled_by": view["handled_by"], "statutory": shown["statutory"],
            "application": shown["application"], "audience": "applicant", "applicant_status": applicant_status,
            "tasks": replies + open_tasks,
            "history": [{"id": None, "at": h["at"].isoformat(), "actor": h["by"], "action": h["action"],
                         "task_id": None, "before": None, "after": {"task": h["step"]} if h["step"] else None}
                        for h in view["history"]]}


# What of an application's audit trail its applicant is shown, and as what.
_PUBLIC_ACTIONS = ("instance.start", "task.complete", "instance.withdraw", "instance.cancel")


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
                forms.get(task.form) if task.form else None) and not internal_step(task.candidate_groups))):
            continue
        shown.append({"at": entry.at, "action": entry.action, "step": task.title if task else None,
                      "by": "applicant" if mine else "official"})
    return shown


def status(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """An application's status, history and the deadlines of its open steps, for anyone who may
    read it, as their audience is shown it (engine.access), read in one transaction; the read is
    recorded unless the reader is its applicant.

    Raises:
        NotFound: no such user, or no such application as far as this user may know.
    """
    engine = uow.engine
    with uow.read():
        placement = audience.place(uow, actor, instance_id)
        official = placement.audience in access.OFFICIALS
        shown = {"instance": instances.projection(uow, placement),
                 "open_steps": [{"task_id": t.id, "title": t.title,
                                 "assignee": t.assignee if official else None,
                                 "candidate_groups": t.candidate_groups if official else [],
                                 "deadline": task_deadline(engine, t)}
                                for t in placement.tasks if t.state == "open"]}
    audience.record_read(uow, placement, "application.status")
    return shown
