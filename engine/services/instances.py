"""Starting applications and reading them back."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import access, permissions
from engine.bpmn.serializer import STATE_FORMAT
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.forms import RawForm, check_submission, read_raw_form, text_problems
from engine.persistence.models import AuditEntry, HumanTask, ProcessDefinition, ProcessInstance, User
from engine.persistence.repositories import InstanceRecord
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.progress import (ROUND_DEADLINE_RULE, StepFailed, describe_failure, end_without_decision,
                                      load_workflow, ready_tasks, record_failure, run_and_sync)
from engine.services import admission, audience, notifications, organisation, search, statutory
from engine.services.users import require_user

# Variables the engine puts in every instance's data; an application may not supply them.
RESERVED = ("receipt_number", "receipt_date", "applicant", "applicant_department", statutory.COMPETENT_DEPARTMENT,
            ROUND_DEADLINE_RULE, "round_period")


@dataclass(frozen=True)
class StartResult:
    """The new application: its id, receipt number and what it is waiting for."""

    instance_id: int
    receipt_number: str
    status: str
    opened: list[str]
    opened_task_ids: list[int]
    error: str | None


def start(uow: UnitOfWork, process_id: str, *, actor: str, data: dict | RawForm | None = None) -> StartResult:
    """Start the newest deployed version of `process_id` for `actor` with the application `data`.

    `data` is JSON data, or a `RawForm` as an HTML form posted it (read against the start form).

    Raises:
        NotFound: no such process or user.
        PermissionDenied: the user's roles may not start this process.
        InvalidInput: the application fails the start form (`application.refused`, one problem per field).
    """
    with uow:
        engine = uow.engine
        now = engine.clock.now()
        # The repositories' cursor opens the transaction (engine.persistence.unit_of_work); the
        # session joins it only if a colder query needs it.
        user, definition = uow.instances.applicant_and_process(actor, process_id)
        session = uow.session
        if user is None:
            raise NotFound("user.not_found", name=actor)
        if definition is None:
            raise NotFound("process.not_found", process=process_id)
        kind = permissions.account_kind(user.department, user.department_kind)
        # 「本级」: the authority of the applicant's level decides (engine.services.organisation).
        authority = user.authority or engine.config.competent_department
        at_authority = user.department == authority
        if not permissions.may_start(user.roles, definition.properties, kind, at_authority=at_authority):
            raise_not_startable(actor, user.roles, kind, process_id, definition.properties)
        form_name = definition.properties.get("startForm")
        form = engine.specs.forms(definition.id, lambda: session.scalar(
            select(ProcessDefinition.forms).where(ProcessDefinition.id == definition.id)))[form_name] \
            if form_name else None
        if isinstance(data, RawForm):
            data = read_raw_form(form.schema if form is not None else None, data)
        data = dict(data or {})
        received_on = engine.clock.today()
        _admit(session, definition, form, data, received_on, lambda number: _may_read_receipt(session, user, number))
        if not permissions.may_start(user.roles, definition.properties, kind, data, at_authority=at_authority):
            raise_not_startable(actor, user.roles, kind, process_id, definition.properties, data)

        instance, workflow = _received(uow, definition, process_id, actor, data, now, authority,
                                       {"applicant": user.name, "applicant_department": user.department})
        instance_id, receipt_number = instance.id, instance.receipt_number
        try:
            outcome = run_and_sync(uow, instance, workflow, now=now)
        except StepFailed as failed:
            failure = (definition, data, failed.reason, instance_id)
        else:
            failure = None
        if failure is None:
            search.index_application(uow, instance.id, receipt_number=receipt_number, process_name=definition.name,
                                     applicant=actor, person=(user.display_name, user.department_name), data=data,
                                     schema=form.schema if form is not None else None)
            uow.audit.append(at=now, actor=actor, action="instance.start", instance_id=instance.id,
                             after={"process": process_id, "version": definition.version,
                                    "receipt_number": receipt_number, "application": data, "status": outcome.status,
                                    "opened": outcome.opened, "error": outcome.error})
            uow.commit()
            return StartResult(instance.id, receipt_number, outcome.status, outcome.opened, outcome.opened_ids,
                               outcome.error)
    # The step went past a budget or failed beyond repair: nothing of it is kept (grants,
    # rows), and the application is received as an errored instance that never ran.
    return _record_failed_start(engine.uow(), *failure, process_id=process_id, actor=actor, now=now)


def start_round(uow: UnitOfWork, process_id: str, *, actor: str, department: str, data: dict, period: str,
                deadline_rule: str) -> StartResult:
    """Inside the caller's open unit of work, start `process_id` as the scheduler's periodic
    round for `department` (engine.services.rounds): `actor` is the system actor, no user, so no
    applicant's role or kind is asked; the start form and admission checks still hold. Every
    step without a `deadlineRule` of its own has the round's deadline by `deadline_rule`,
    counted from today. The caller commits (with its round row) or rolls back.

    Raises:
        NotFound: no such process.
        InvalidInput: the data fails the start form or admission (`application.refused`).
        StepFailed: the process failed as it started.
    """
    engine = uow.engine
    now, received_on = engine.clock.now(), engine.clock.today()
    session = uow.session
    _, definition = uow.instances.applicant_and_process(actor, process_id)
    if definition is None:
        raise NotFound("process.not_found", process=process_id)
    form_name = definition.properties.get("startForm")
    form = engine.specs.forms(definition.id, lambda: session.scalar(
        select(ProcessDefinition.forms).where(ProcessDefinition.id == definition.id)))[form_name] \
        if form_name else None
    _admit(session, definition, form, data, received_on, lambda number: False)
    # A round's department is its applicant (applicant_department); the instance names a deciding
    # unit only when the process is the authority's (statutory.open_clock).
    instance, workflow = _received(uow, definition, process_id, actor, data, now,
                                   organisation.competent_authority(session, engine.config, department=department),
                                   {"applicant": actor, "applicant_department": department, "round_period": period,
                                    ROUND_DEADLINE_RULE: deadline_rule})
    receipt_number = instance.receipt_number
    outcome = run_and_sync(uow, instance, workflow, now=now)
    search.index_application(uow, instance.id, receipt_number=receipt_number, process_name=definition.name,
                             applicant=actor, person=None, data=data, schema=form.schema if form else None)
    uow.audit.append(at=now, actor=actor, action="instance.start", instance_id=instance.id,
                     after={"process": process_id, "version": definition.version, "receipt_number": receipt_number,
                            "application": data, "round": period, "status": outcome.status,
                            "opened": outcome.opened, "error": outcome.error})
    return StartResult(instance.id, receipt_number, outcome.status, outcome.opened, outcome.opened_ids, outcome.error)


def _admit(session, definition, form, data: dict, received_on, may_read_receipt) -> None:
    """Refuse an application the Measures in force, its start form or admission refuse, with one
    problem per field (a value the form already refuses is not looked up as well).

    Raises:
        InvalidInput: `application.refused`.
    """
    admission.check_in_force(received_on)
    problems = [Problem("form.reserved", field=k) for k in RESERVED if k in data] + text_problems(data)
    if form is not None:
        problems += check_submission(form, data)
    reported = {p.field for p in problems}
    problems += [p for p in admission.problems(session, definition.properties, form.schema if form else None, data,
                                               received_on, may_read_receipt) if p.field not in reported]
    if problems:
        raise InvalidInput("application.refused", problems, data=data, count=len(problems))


def _received(uow: UnitOfWork, definition, process_id: str, actor: str, data: dict, now, authority: str,
              applicant: dict) -> tuple[InstanceRecord, BpmnWorkflow]:
    """An accepted application received today: its receipt number and id reserved, its record,
    and its workflow with the start data (`data`, the receipt, `applicant`'s facts and the
    statutory clock opened with `authority`, that of the applicant's level) in its ready tasks."""
    engine = uow.engine
    received_on = engine.clock.today()
    spec, subprocess_specs = engine.specs.get(definition.id, lambda: uow.session.scalar(
        select(ProcessDefinition.spec).where(ProcessDefinition.id == definition.id)))
    receipt_sequence, instance_id = uow.instances.reserve(received_on)
    receipt_number = _receipt_text(received_on, receipt_sequence)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine.script_engine)
    instance = InstanceRecord(
        id=instance_id, definition_id=definition.id, process_id=process_id, status="running",
        receipt_number=receipt_number, received_on=received_on, started_by=actor, started_at=now,
        ended_at=None, error=None, summary=data, state={}, waiting={}, serializer_version=STATE_FORMAT,
    )
    initial = {**data, "receipt_number": receipt_number, "receipt_date": received_on.isoformat(), **applicant,
               **statutory.open_clock(engine, instance, definition.properties, authority)}
    for task in ready_tasks(workflow):
        task.data.update(initial)
    return instance, workflow


def raise_not_startable(actor: str, roles, kind: str, process_id: str, properties: dict,
                        data: dict | None = None) -> None:
    """Refuse `actor` an application: their roles cannot start the process (`process.not_startable`),
    only the competent authority's staff may (`process.authority_only`), or their kind of account
    may not apply under its article (`process.not_for_kind`)."""
    if not permissions.startable_by(properties) & set(roles):
        raise PermissionDenied("process.not_startable", user=actor, roles=list(roles), process=process_id,
                               needed=sorted(permissions.startable_by(properties)))
    if properties.get(permissions.STARTABLE_AT) == permissions.AUTHORITY_KIND:
        raise PermissionDenied("process.authority_only", user=actor, process=process_id)
    names = permissions.ACCOUNT_KIND_NAMES
    needed = [k for k in permissions.ACCOUNT_KINDS if k in permissions.applicant_kinds(properties, data)]
    raise PermissionDenied("process.not_for_kind", user=actor, process=process_id, kind=names[kind][0],
                           kind_en=names[kind][1], needed="、".join(names[k][0] for k in needed),
                           needed_en=", ".join(names[k][1] for k in needed))


def _receipt_number(uow: UnitOfWork, day) -> str:
    """The next receipt number of `day`, such as DZ2026030200007."""
    return _receipt_text(day, uow.instances.next_receipt_sequence(day))


def _receipt_text(day, sequence: int) -> str:
    return f"DZ{day:%Y%m%d}{sequence:05d}"


def _record_failed_start(uow: UnitOfWork, definition, data: dict, reason: str, instance_id: int | None, *,
                         process_id: str, actor: str, now) -> StartResult:
    with uow:
        received_on = uow.engine.clock.today()
        receipt_number = _receipt_number(uow, received_on)
        if instance_id is not None:
            # The id reserved for the step that was rolled back was never written: the
            # application keeps it, as it keeps its receipt number.
            uow.instances.reuse(instance_id)
        instance = InstanceRecord(
            id=instance_id, definition_id=definition.id, process_id=process_id, status="errored",
            receipt_number=receipt_number, received_on=received_on, started_by=actor, started_at=now,
            ended_at=None, error=reason, summary=data, state={}, waiting={}, serializer_version=STATE_FORMAT,
        )
        applicant = uow.session.scalar(select(User).where(User.name == actor))
        statutory.open_clock(uow.engine, instance, definition.properties,
                             organisation.competent_authority(uow.session, uow.engine.config, user=applicant))
        uow.instances.add(instance)
        search.index_application(uow, instance.id, receipt_number=receipt_number, process_name=definition.name,
                                 applicant=actor, person=None, data=data, schema=None)
        uow.audit.append(at=now, actor=actor, action="instance.start", instance_id=instance.id,
                         after={"process": process_id, "version": definition.version, "receipt_number": receipt_number,
                                "application": data, "status": "errored", "opened": [], "error": reason})
        uow.commit()
    return StartResult(instance.id, receipt_number, "errored", [], [], reason)


def _overseen_instance(uow: UnitOfWork, instance_id: int, actor: str, forbidden: PermissionDenied) -> InstanceRecord:
    # Retrying and cancelling are for the application's overseers (engine.access): an admin,
    # the authority's supervisors, a department's supervisors when it concerns the department.
    audience.oversee(uow, actor, instance_id, forbidden)
    return uow.instances.get(instance_id)


def retry(uow: UnitOfWork, instance_id: int, *, actor: str) -> StartResult:
    """Run an errored instance on from where it stopped, once its cause is fixed (a catalog item
    added, a budget raised); supervisors and admins may.

    The task that failed runs again; the instance's timers are written again from its state.

    Raises:
        NotFound: no such instance or user.
        PermissionDenied: the user is not a supervisor or admin.
        Conflict: the instance is not errored, or it fails again (`instance.errored`, with why).
    """
    engine = uow.engine
    now = engine.clock.now()
    try:
        with uow:
            instance = _overseen_instance(uow, instance_id, actor,
                                          PermissionDenied("instance.retry_forbidden", user=actor))
            if instance.status != "errored":
                raise Conflict("instance.not_errored", instance=instance_id, status=instance.status)
            if not instance.state:
                # It never ran (it failed as it started): there is no point to go on from.
                raise Conflict("instance.errored", instance=instance_id, error=instance.error or "")
            before = {"status": "errored", "error": instance.error}
            workflow = load_workflow(uow, instance)
            for task in workflow.get_tasks(state=TaskState.ERROR):
                task._set_state(TaskState.READY)
            uow.timers.reset_for_retry(instance.id)
            instance.waiting = {**(instance.waiting or {"tasks": []}), "timers": {}}
            instance.status, instance.error = "running", None
            outcome = run_and_sync(uow, instance, workflow, now=now)
            uow.audit.append(at=now, actor=actor, action="instance.retry", instance_id=instance.id, before=before,
                             after={"status": outcome.status, "opened": outcome.opened, "error": outcome.error})
            uow.commit()
            return StartResult(instance.id, instance.receipt_number, outcome.status, outcome.opened,
                               outcome.opened_ids, outcome.error)
    except StepFailed as failed:
        reason = failed.reason
    except (NotFound, PermissionDenied, Conflict):
        raise
    except Exception as err:  # noqa: BLE001 - a state that still does not load stays errored, with why
        reason = describe_failure(err)
    record_failure(engine.uow(), instance_id, reason, actor=actor, action="instance.retry.failed", now=now)
    raise Conflict("instance.errored", instance=instance_id, error=reason)


STATUSES = ("running", "completed", "errored", "cancelled", "withdrawn")


def list_instances(uow: UnitOfWork, *, actor: str, status: str | None = None, process_id: str | None = None,
                   limit: int = 200) -> list[dict]:
    """Applications `actor` oversees, newest first, optionally of one status and one process: every
    application for admins and the authority's supervisors, those a department decides for its
    own supervisors, one's own applications for anyone else.

    Raises:
        NotFound: no such user.
        InvalidInput: an unknown status.
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput("instance.query_refused",
                           [Problem("instance.status_unknown", {"status": status, "allowed": list(STATUSES)},
                                    field="status")])
    query = (select(ProcessInstance, ProcessDefinition.version)
             .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id))
    if status is not None:
        query = query.where(ProcessInstance.status == status)
    if process_id is not None:
        query = query.where(ProcessInstance.process_id == process_id)
    with uow.read():
        user = organisation.viewer(uow.session, require_user(uow.session, actor))
        if not permissions.is_overseer(user.roles):
            query = query.where(ProcessInstance.started_by == actor)
        elif (scope := access.supervised_scope(user)) is not None:
            query = query.where(ProcessInstance.department.in_(scope))
        rows = uow.session.execute(query.order_by(ProcessInstance.id.desc()).limit(limit)).all()
        return [{"id": i.id, "process_id": i.process_id, "version": version, "status": i.status,
                 "receipt_number": i.receipt_number, "received_on": i.received_on.isoformat(),
                 "started_by": i.started_by, "started_at": i.started_at.isoformat(),
                 "ended_at": i.ended_at.isoformat() if i.ended_at else None, "error": i.error}
                for i, version in rows]


def cancel(uow: UnitOfWork, instance_id: int, *, actor: str, reason: str) -> dict:
    """End a running or errored application by the authority (entered twice, say): its workflow,
    open tasks and timers are cancelled, and the ending with its reason is the reply the applicant
    is owed (Art. 20 para. 2: every application is answered), recorded on the statutory clock so
    the case stays in every report. Supervisors and admins may.

    Raises:
        InvalidInput: no reason given.
        NotFound: no such instance or user.
        PermissionDenied: the user is not a supervisor or admin.
        Conflict: the instance has already ended.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("instance.not_cancelled", [Problem("instance.reason_missing", field="reason")],
                           instance=instance_id)
    with uow:
        now = uow.engine.clock.now()
        instance = _overseen_instance(uow, instance_id, actor,
                                      PermissionDenied("instance.cancel_forbidden", user=actor))
        if instance.status not in ("running", "errored"):
            raise Conflict("instance.ended", instance=instance_id, status=instance.status)
        before = {"status": instance.status}
        # Ending an application is itself a decision the applicant is answered with; a reply
        # already given (a grant in its term of use, say) keeps its date.
        if instance.replied_at is None:
            instance.replied_at = now
            instance.replied_late_days = statutory.late_days(uow.engine, instance.statutory_due_date,
                                                             uow.engine.clock.today())
        open_tasks = end_without_decision(uow, instance, status="cancelled", now=now)
        notifications.tell_reply(uow, instance, now, ended_reason=reason)
        uow.audit.append(at=now, actor=actor, action="instance.cancel", instance_id=instance_id, before=before,
                         after={"status": "cancelled", "reason": reason, "cancelled_tasks": len(open_tasks),
                                "replied_at": instance.replied_at.isoformat()})
        uow.commit()
    return {"id": instance_id, "status": "cancelled", "reason": reason, "cancelled_tasks": len(open_tasks)}


def _may_read_receipt(session, user, number: str) -> bool:
    """True when `number` is the receipt number of an application `user` may read."""
    row = session.scalar(select(ProcessInstance).where(ProcessInstance.receipt_number == number))
    if row is None:
        return False
    case = audience.case_of(session, row, session.scalars(select(HumanTask).where(HumanTask.instance_id == row.id)))
    return access.may_read(access.audience_of(organisation.viewer(session, user), case))


def access_rows(session, instance_id: int) -> list:
    """Who each step of an application concerns (candidate groups, holder, decider): what
    permissions.may_see_application reads."""
    return session.execute(select(HumanTask.candidate_groups, HumanTask.assignee, HumanTask.completed_by)
                           .where(HumanTask.instance_id == instance_id)).all()


def show(uow: UnitOfWork, instance_id: int, *, actor: str) -> dict:
    """Application `instance_id` as `actor`'s audience is shown it (`projection`); the read is
    recorded in its access log unless `actor` is its applicant.

    Raises:
        NotFound: no such user, or no such application as far as the user may know.
    """
    with uow.read():
        placement = audience.place(uow, actor, instance_id)
        shown = projection(uow, placement)
    audience.record_read(uow, placement, "application.show")
    return shown


def projection(uow: UnitOfWork, placement: audience.Placement) -> dict:
    """The application as `placement`'s audience is shown it, inside the caller's unit of work.

    Officials get its tasks with each result cut to the fields their audience may read
    (engine.access.readable) and the audit trail as engine.access.project_history shows it to
    them; the applicant gets what their portal page shows (engine.services.portal); nobody gets
    the raw workflow data.
    """
    if placement.audience == access.Audience.APPLICANT:
        from engine.services import portal  # portal renders the applicant's view from this module's helpers
        return portal.applicant_projection(uow, placement)
    record = stored(uow, placement.instance.id, with_data=False)
    forms = uow.session.scalar(select(ProcessDefinition.forms)
                               .where(ProcessDefinition.id == placement.instance.definition_id)) or {}
    tasks = []
    for task in record["tasks"]:
        form = forms.get(task["form"]) if task["form"] else None
        tasks.append({**task, "result": access.readable(form, task["result"], placement.audience)
                      if task["result"] is not None else None})
    history = uow.session.scalars(select(AuditEntry).where(AuditEntry.instance_id == placement.instance.id)
                                  .order_by(AuditEntry.id)).all()
    return {**record, "audience": placement.audience.value, "tasks": tasks,
            "history": access.project_history(history, placement.audience, placement.instance.started_by)}


def stored(uow: UnitOfWork, instance_id: int, *, with_data: bool = True) -> dict:
    """An instance's whole stored record (tasks, workflow data, audit history), inside the
    caller's unit of work: for the engine's own use cases and tests. No entry point hands it
    out: they render `projection` (tests/reliability/test_permission_matrix.py checks).

    Raises:
        NotFound: no such instance.
    """
    session = uow.session
    # One read of the instance serves both the listing and its workflow data; of the
    # definition only the name and version are needed, not its stored spec.
    instance = uow.instances.get(instance_id)
    if instance is None:
        raise NotFound("instance.not_found", instance=instance_id)
    definition = session.execute(select(ProcessDefinition.name, ProcessDefinition.version)
                                 .where(ProcessDefinition.id == instance.definition_id)).one()
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                            .order_by(HumanTask.id)).all()
    record = {
        "id": instance.id,
        "process_id": instance.process_id,
        "process_name": definition.name,
        "version": definition.version,
        "status": instance.status,
        "receipt_number": instance.receipt_number,
        "received_on": instance.received_on.isoformat(),
        "started_by": instance.started_by,
        "started_at": instance.started_at.isoformat(),
        "ended_at": instance.ended_at.isoformat() if instance.ended_at else None,
        "error": instance.error,
        "department": instance.department,
        "statutory": statutory_clock(instance),
        "application": instance.summary,
        "tasks": [task_dict(t) for t in tasks],
    }
    if with_data:
        history = session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id)
                                  .order_by(AuditEntry.id)).all()
        record["data"] = _data_of(uow, instance)
        record["history"] = [{"id": h.id, "at": h.at.isoformat(), "actor": h.actor, "action": h.action,
                              "task_id": h.task_id, "before": h.before, "after": h.after} for h in history]
    return record


def read_stored(uow: UnitOfWork, instance_id: int) -> dict:
    """`stored` in a read transaction of its own (for the engine's tools and tests)."""
    with uow.read():
        return stored(uow, instance_id)


def statutory_clock(instance: InstanceRecord) -> dict | None:
    """The application's statutory clock as JSON data (None when no statutory period governs it)."""
    if instance.statutory_rule is None and instance.replied_at is None:
        return None
    due, extended_from = instance.statutory_due_date, instance.statutory_extended_from
    return {"due_date": due.isoformat() if due else None, "rule": instance.statutory_rule,
            "article": instance.statutory_article, "provisional": instance.statutory_provisional,
            "extended_from": extended_from.isoformat() if extended_from else None,
            "replied_at": instance.replied_at.isoformat() if instance.replied_at else None,
            "late_days": instance.replied_late_days}


def _data_of(uow: UnitOfWork, instance: InstanceRecord) -> dict:
    if not instance.state:
        return {}
    try:
        workflow = load_workflow(uow, instance)
    except Exception:  # noqa: BLE001 - a state stored before data was escaped may not load; show the rest
        return {}
    if workflow.is_completed():
        return dict(workflow.data) or dict(workflow.last_task.data if workflow.last_task else {})
    ready = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    return dict(ready[0].data) if ready else {}


def task_dict(task: HumanTask) -> dict:
    """JSON-able form of a task row."""
    return {
        "id": task.id, "instance_id": task.instance_id, "task_name": task.task_name, "title": task.title,
        "process_id": task.process_id, "form": task.form, "candidate_groups": task.candidate_groups,
        "assignee": task.assignee, "state": task.state,
        "created_at": task.created_at.isoformat(),
        "claimed_at": task.claimed_at.isoformat() if task.claimed_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "completed_by": task.completed_by,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "deadline_rule": task.deadline_rule, "deadline_article": task.deadline_article,
        "deadline_provisional": task.deadline_provisional, "deadline_basis": task.deadline_basis,
        "result": task.result,
    }


__all__ = ["start", "retry", "cancel", "list_instances", "STATUSES", "access_rows", "show", "projection", "stored",
           "read_stored", "statutory_clock",
           "raise_not_startable", "task_dict", "StartResult"]
