"""What supervisors do and what the scheduler does for them: 催办 a task, the deadline watch
(reminders, overdue alerts, 通报), departments' 承诺时限, and warnings about groups nobody is
in. (The applicant's reply notice is no deadline: it is written with the step that gave the
reply, engine.services.notifications.tell_reply.)

The watch runs in every scheduler (the web process's on the embedded default, and any number
of `pdw scheduler run` processes); each notice is recorded under a unique key in the
transaction that writes its notifications, so each is sent once whoever scans first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath
from xml.etree import ElementTree

from sqlalchemy import exists, insert, select, update

from engine import access, messages, permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.persistence.models import (CatalogItem, DeadlineNotice, Department, DepartmentPromise, HumanTask, Level,
                                       ProcessDefinition, Urge, User)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import audience, definitions, notifications, organisation, reports

_t = HumanTask.__table__
_n = DeadlineNotice.__table__
_urge = Urge.__table__

# The 通报 goes out when the work is still overdue this many working days after a 催办.
BULLETIN_AFTER_WORKING_DAYS = 5
WATCH_BATCH = 500


@dataclass
class WatchReport:
    """What one run of the deadline watch sent, by kind."""

    reminders: int = 0
    overdue: int = 0
    bulletins: int = 0

    @property
    def total(self) -> int:
        """Notices sent in all."""
        return self.reminders + self.overdue + self.bulletins


@dataclass(frozen=True)
class UrgeView:
    """A 催办 as recorded."""

    id: int
    task_id: int
    instance_id: int
    urged_by: str
    holder: str
    working_days_overdue: int
    note: str
    holder_name: str = ""  # the holder in words, as a person reads it


@dataclass(frozen=True)
class GroupWarning:
    """A group some work is sent to that has no active member."""

    group: str
    where: str  # the catalog item or BPMN file that sends work there
    title: str

    def text(self, lang: str = "en") -> str:
        """The warning in `lang` ("zh" or "en")."""
        return messages.render("warning.group_empty", {"group": self.group, "where": self.where,
                                                       "title": self.title}, lang)


def _not_noticed(kind: str, column):
    return ~exists().where(_n.c.kind == kind, _n.c.task_id == column)


def _holder_of(row: reports.TaskReportRow) -> str:
    # What a person reads in a notification: the holder's name, or the groups in words.
    return row.holder_name or row.holder


def _alerted(department: str | None, kinds: dict[str, str]) -> list[str]:
    """Who is told of overdue work at `department`: the city authority's supervisors (the bare
    group `supervisor`) always, the department's head and its own supervisors, and for a county's
    department its county authority's supervisors. A department with nobody in either of its own
    groups shows on reports.silent_departments. `kinds`: `_kinds`."""
    if not department:
        return ["supervisor"]
    own = [f"department_head@{department}"]
    county = kinds.get(f"county:{department}")
    if kinds.get(department) != permissions.AUTHORITY_KIND or county:
        own.append(f"supervisor@{department}")  # the city authority's own supervisors are `supervisor`
    if county and county != department:
        own.append(f"supervisor@{county}")
    return ["supervisor", *own]


def _kinds(session, config) -> dict[str, str]:
    """Each department's kind, and under `county:CODE` the authority of its county (counties only)."""
    kinds = dict(session.execute(select(Department.code, Department.kind)).all())
    levels = {r.code: r for r in session.scalars(select(Level))}
    for code, level in organisation.departments_by_level(session).items():
        if level in levels and levels[level].kind == permissions.COUNTY:
            kinds[f"county:{code}"] = organisation.authority_of_level(session, config, level)
    return kinds


def _note(code: str, params: dict, *, user: str | None = None, group: str | None = None, instance_id=None,
          task_id=None) -> dict:
    """A notification row (its time is set when written)."""
    return {"code": code, "params": params, "recipient_user": user, "recipient_group": group,
            "instance_id": instance_id, "task_id": task_id}


def _to_holder(row: reports.TaskReportRow, code: str, params: dict) -> list[dict]:
    """Notifications to the task's assignee, or to each of its groups while unclaimed."""
    if row.assignee:
        return [_note(code, params, user=row.assignee, instance_id=row.instance_id, task_id=row.task_id)]
    return [_note(code, params, group=group, instance_id=row.instance_id, task_id=row.task_id)
            for group in row.groups]


def watch(uow: UnitOfWork) -> WatchReport:
    """Send what is due, each once: the holder is reminded one working day before a statutory
    deadline, the department's supervisors alerted when it has passed, and the department's
    head sent a 通报 of work still overdue
    BULLETIN_AFTER_WORKING_DAYS working days after a 催办. One transaction."""
    report = WatchReport()
    with uow:
        engine = uow.engine
        now, today = engine.clock.now(), engine.clock.today()
        session = uow.session
        notes: list[dict] = []
        tomorrow = engine.calendar.add_working_days(today, 1)
        due_soon = (select(_t.c.id).where(_t.c.state == "open", _t.c.due_at > now,
                                          _t.c.due_at <= reports.start_of(tomorrow + timedelta(days=1)),
                                          _not_noticed("reminder", _t.c.id))
                    .order_by(_t.c.due_at).limit(WATCH_BATCH))
        for row in _task_rows(uow, due_soon, today):
            rule = engine.rules.get(row.rule) if row.rule else None
            if rule is None or not rule.statutory:
                continue
            if notifications.once(uow, f"reminder:task:{row.task_id}", "reminder", instance_id=row.instance_id,
                     task_id=row.task_id):
                notes += _to_holder(row, "notification.deadline_tomorrow", _params(row))
                report.reminders += 1
        kinds = _kinds(session, engine.config)
        passed = (select(_t.c.id).where(_t.c.state == "open", _t.c.due_at <= now, _not_noticed("overdue", _t.c.id))
                  .order_by(_t.c.due_at).limit(WATCH_BATCH))
        for row in _task_rows(uow, passed, today):
            if notifications.once(uow, f"overdue:task:{row.task_id}", "overdue", instance_id=row.instance_id, task_id=row.task_id):
                for group in _alerted(row.department, kinds):
                    notes.append(_note("notification.deadline_overdue", dict(_params(row), holder=_holder_of(row)),
                                       group=group, instance_id=row.instance_id, task_id=row.task_id))
                report.overdue += 1
        report.bulletins = _bulletins(uow, notes, today)
        for note in notes:
            note["created_at"] = now
        uow.notifications.add(notes)
        uow.commit()
    return report


def _task_rows(uow: UnitOfWork, ids_query, today: date) -> list[reports.TaskReportRow]:
    ids = list(uow.session.scalars(ids_query))
    if not ids:
        return []
    found = uow.session.execute(reports.task_query().where(_t.c.id.in_(ids)).order_by(_t.c.due_at, _t.c.id)).all()
    return reports.rows_of(uow, found, today)


def _params(row: reports.TaskReportRow) -> dict:
    return {"receipt_number": row.receipt_number, "title": row.title, "task": row.task_id,
            "due_date": row.due_date.isoformat() if row.due_date else "", "article": row.article or ""}


def _bulletins(uow: UnitOfWork, notes: list[dict], today: date) -> int:
    engine, session = uow.engine, uow.session
    pending = session.execute(
        select(_urge.c.id, _urge.c.task_id, _urge.c.urged_on)
        .select_from(_urge.join(_t, _t.c.id == _urge.c.task_id))
        .where(_urge.c.bulletin_at.is_(None), _urge.c.urged_on <= today - timedelta(days=BULLETIN_AFTER_WORKING_DAYS),
               _t.c.state == "open", _t.c.due_at <= engine.clock.now())
        .order_by(_urge.c.id).limit(WATCH_BATCH)).all()
    due = [p for p in pending
           if engine.calendar.working_days_between(p.urged_on, today) >= BULLETIN_AFTER_WORKING_DAYS]
    if not due:
        return 0
    rows = {r.task_id: r for r in _task_rows(uow, select(_t.c.id).where(_t.c.id.in_({p.task_id for p in due})),
                                             today)}
    sent = 0
    now = engine.clock.now()
    for p in due:
        row = rows[p.task_id]
        if not notifications.once(uow, f"bulletin:urge:{p.id}", "bulletin", instance_id=row.instance_id, task_id=row.task_id):
            continue
        session.execute(update(_urge).where(_urge.c.id == p.id).values(bulletin_at=now))
        params = dict(_params(row), holder=_holder_of(row), days=row.working_days_overdue,
                      urged_on=p.urged_on.isoformat())
        department = row.department
        kinds = _kinds(session, engine.config)
        for group in _alerted(department, kinds):
            notes.append(_note("notification.bulletin", params, group=group, instance_id=row.instance_id,
                               task_id=row.task_id))
        uow.audit.append(at=now, actor="scheduler", action="task.bulletin", instance_id=row.instance_id,
                         task_id=row.task_id, after={"task": row.title, "holder": _holder_of(row),
                                                     "working_days_overdue": row.working_days_overdue,
                                                     "urged_on": p.urged_on.isoformat()})
        sent += 1
    return sent


def urge(uow: UnitOfWork, task_id: int, *, actor: str, note: str = "") -> UrgeView:
    """A supervisor sends the holder of an open task a 催办通知: recorded, audited (it shows in
    the application's timeline) and notified to the assignee or the task's groups.

    Raises:
        NotFound: no such task or user.
        NotFound: no such task as far as the user may know (not of an application they oversee).
        PermissionDenied: the user is no supervisor.
        Conflict: the task is no longer open.
        InvalidInput: the note is longer than 500 characters.
    """
    note = (note or "").strip()
    if len(note) > 500:
        raise InvalidInput("urge.refused", [Problem("urge.note_too_long", {"max": 500}, field="note")])
    with uow:
        engine = uow.engine
        now, today = engine.clock.now(), engine.clock.today()
        reports.scope_of(uow, actor)
        found = uow.session.execute(reports.task_query().where(_t.c.id == task_id)).all()
        # A task of an application the supervisor does not oversee is as good as absent.
        if not found or not access.may_oversee(audience.audience_for(uow, actor, found[0].instance_id)):
            raise NotFound("task.not_found", task=task_id)
        state = uow.session.scalar(select(_t.c.state).where(_t.c.id == task_id))
        if state != "open":
            raise Conflict("urge.task_closed", task=task_id, state=state)
        row = reports.rows_of(uow, found, today)[0]
        holder = row.holder  # the record keeps the code; the notification and the page show words
        urge_id = uow.session.execute(insert(_urge).values(
            task_id=task_id, instance_id=row.instance_id, urged_by=actor, urged_at=now, urged_on=today,
            holder=holder, department=row.department, note=note or None).returning(_urge.c.id)).scalar_one()
        uow.audit.append(at=now, actor=actor, action="task.urge", instance_id=row.instance_id, task_id=task_id,
                         after={"task": row.title, "holder": holder, "working_days_overdue": row.working_days_overdue,
                                "note": note})
        by = uow.session.scalar(select(User.display_name).where(User.name == actor)) or actor
        params = {**_params(row), "days": row.working_days_overdue, "by": by, "note": note}
        uow.notifications.add([{**n, "created_at": now} for n in _to_holder(row, "notification.urged", params)])
        uow.commit()
    return UrgeView(urge_id, task_id, row.instance_id, actor, holder, row.working_days_overdue, note,
                    _holder_of(row))


@dataclass(frozen=True)
class PromiseView:
    """A department's published 承诺时限 for a procedure, as the supervisor's page lists it."""

    department: str
    department_name: str
    process_id: str
    procedure: str | None
    working_days: int
    published_on: date
    set_by: str


def promises(uow: UnitOfWork, actor: str) -> list[PromiseView]:
    """The published 承诺时限 a supervisor oversees (all, for those of the 主管部门), by department
    and procedure.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
    """
    names = definitions.procedure_names().subquery()
    with uow.read():
        scope = reports.scope_of(uow, actor)
        query = (select(DepartmentPromise, Department.name, names.c.name)
                 .join(Department, Department.code == DepartmentPromise.department)
                 .outerjoin(names, names.c.process_id == DepartmentPromise.process_id)
                 .order_by(DepartmentPromise.department, DepartmentPromise.process_id))
        if scope is not None:
            query = query.where(DepartmentPromise.department.in_(scope))
        return [PromiseView(p.department, department_name, p.process_id, procedure, p.working_days, p.published_on,
                            p.set_by) for p, department_name, procedure in uow.session.execute(query)]


def set_promise(uow: UnitOfWork, department: str, process_id: str, working_days: int, *, actor: str) -> None:
    """Record a department's published 承诺时限 for a procedure (working days from receipt);
    supervisors of the 主管部门 or of that department set it. 0 removes it.

    Raises:
        NotFound: no such user, department or procedure.
        PermissionDenied: the user may not set it.
        InvalidInput: working days out of range.
    """
    if not 0 <= working_days <= 60:
        raise InvalidInput("promise.refused", [Problem("report.out_of_range", {"min": 0, "max": 60},
                                                       field="working_days")])
    with uow:
        scope = reports.scope_of(uow, actor)
        if uow.session.get(Department, department) is None:
            raise NotFound("promise.department_unknown", department=department)
        if uow.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_id == process_id)
                              .limit(1)) is None:
            raise NotFound("process.not_found", process=process_id)
        if scope is not None and department not in scope:
            raise PermissionDenied("urge.out_of_scope", task="-", department=", ".join(sorted(scope)))
        if working_days:
            _check_within_the_law(uow, process_id, working_days)
        existing = uow.session.get(DepartmentPromise, (department, process_id))
        if existing is not None:
            uow.session.delete(existing)
            uow.session.flush()
        if working_days:
            uow.session.add(DepartmentPromise(department=department, process_id=process_id,
                                              working_days=working_days, published_on=uow.engine.clock.today(),
                                              set_by=actor))
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="promise.set",
                         after={"department": department, "process_id": process_id, "working_days": working_days})
        uow.commit()


def _check_within_the_law(uow: UnitOfWork, process_id: str, working_days: int) -> None:
    """Refuse a 承诺时限 longer than the statutory period that governs the procedure (its newest
    version's `statutoryRule`): a department may promise sooner than the Measures, never later.

    A period in working days is compared as it stands; one in calendar days is compared from
    every receipt day of the coming year, since holidays make N working days longer than the
    same period at some times of year than at others.
    """
    engine = uow.engine
    properties = uow.session.scalar(select(ProcessDefinition.properties).where(
        ProcessDefinition.process_id == process_id).order_by(ProcessDefinition.version.desc()).limit(1)) or {}
    rule = engine.rules.get(properties.get("statutoryRule") or "")
    if rule is None or not rule.statutory:
        return  # the Measures set no period: nothing a promise could exceed
    if rule.unit == "working_days":
        longer = working_days > rule.period
    else:
        today = engine.clock.today()
        longer = any(engine.calendar.add_working_days(day, working_days) >
                     engine.calendar.deadline(day, rule=rule, rules=engine.rules).due_date
                     for day in (today + timedelta(days=n) for n in range(366)))
    if longer:
        raise InvalidInput("promise.refused", [Problem("promise.longer_than_statutory", {
            "days": working_days, "period": rule.period, "unit": rule.unit, "article": rule.article,
            "rule": rule.title_zh}, field="working_days")])


def _named_groups(file_name: str, content: bytes) -> list[tuple[str, str, str]]:
    """(where, task name, group) of every group a user task of a BPMN file names in `candidateGroups`."""
    found = []
    for task in ElementTree.fromstring(content).iter():
        if not task.tag.endswith("}userTask"):
            continue
        for prop in task.iter():
            if prop.tag.endswith("}property") and prop.get("name") == "candidateGroups":
                where = f"{PurePath(file_name).name} element '{task.get('id')}'"
                found += [(where, task.get("name") or task.get("id"), g.strip())
                          for g in (prop.get("value") or "").split(",") if g.strip()]
    return found


def empty_groups_of_bpmn(uow: UnitOfWork, files: list[tuple[str, bytes]]) -> list[GroupWarning]:
    """Groups the user tasks of these (deployed, so well-formed) BPMN files name in
    `candidateGroups` that no active user is in: work sent there would reach nobody. Groups
    computed from instance data are checked when the data they come from is imported
    (`empty_groups_of_catalog`)."""
    named = [found for name, content in files for found in _named_groups(name, content)]
    with uow.read():
        empty = reports.empty_groups(uow, {group for _, _, group in named})
    return [GroupWarning(group, where, title) for where, title, group in named if group in empty]


def empty_groups_of_catalog(uow: UnitOfWork) -> list[GroupWarning]:
    """Catalog items whose source unit has no active source-unit handler: the consultations,
    corrections and objections the procedures send there (`source_unit_handler@UNIT`) would
    reach nobody."""
    with uow.read():
        items = uow.session.execute(select(CatalogItem.code, CatalogItem.name, CatalogItem.source_unit)
                                    .order_by(CatalogItem.code)).all()
        wanted = {f"source_unit_handler@{item.source_unit}": item for item in items}
        empty = reports.empty_groups(uow, set(wanted))
    return [GroupWarning(f"source_unit_handler@{item.source_unit}", item.code, item.name)
            for item in items if f"source_unit_handler@{item.source_unit}" in empty]


__all__ = ["WatchReport", "UrgeView", "GroupWarning", "PromiseView", "watch", "urge", "promises", "set_promise",
           "empty_groups_of_bpmn", "empty_groups_of_catalog", "BULLETIN_AFTER_WORKING_DAYS"]
