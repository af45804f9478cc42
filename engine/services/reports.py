"""Supervision reports (Art. 49): overdue and at-risk work, tasks nobody can take, on-time rates
and the assessment per department and period.

Every report reads indexed rows (human_tasks, task_candidates, process_instances) and never
restores a workflow. Rows are plain dataclasses (`asdict` gives JSON-able dicts after
`to_dict`), so the command line, the web pages, the downloads and an API share them.

`actor` is the user asking (their scope: every department for the 主管部门's supervisors, their
own for a department's); None is the operator at the command line, who sees everything.
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Text, cast, exists, false, func, or_, select, tuple_

from engine import access, permissions
from engine.clock import SHANGHAI
from engine.errors import InvalidInput, NotFound, PermissionDenied, Problem
from engine.forms import act_dates
from engine.persistence.models import (AuditEntry, Department, DepartmentPromise, HumanTask, Level, ProcessDefinition,
                                       ProcessInstance, TaskCandidate, Urge, User)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import audience, definitions, figures, organisation
from engine.services.users import SYSTEM, SYSTEM_NAME, require_user

_t = HumanTask.__table__
_i = ProcessInstance.__table__
_c = TaskCandidate.__table__
_u = User.__table__
_dep = Department.__table__
_d = ProcessDefinition.__table__
_p = DepartmentPromise.__table__
_urge = Urge.__table__

# `level`: the city's per-level breakdown (the city itself and each county), a roll-up by the
# level of the department each application counts for (engine.services.organisation).
GROUPINGS = ("procedure", "department", "level", "month")
PERIODS = ("month", "quarter", "year")
GREEN, YELLOW, RED = "green", "yellow", "red"
MAX_ROWS = 100_000


@dataclass(frozen=True)
class TaskReportRow:
    """One open task in a supervision list, with who holds it and how its deadlines stand."""

    task_id: int
    instance_id: int
    receipt_number: str
    process_id: str
    task_name: str
    title: str
    department: str | None
    assignee: str | None
    groups: list[str]
    due_date: date | None
    working_days_overdue: int
    working_days_left: int | None
    article: str | None
    rule: str | None
    light: str | None
    # The application's governing statutory deadline (issue 9's clock), where it is recorded.
    statutory_due_date: date | None
    statutory_article: str | None
    # The department's published 承诺时限, beside the statutory deadline.
    promised_due_date: date | None
    urged: int
    # What a person reads: the procedure's title, the department's name, the holder's name (or
    # the groups it waits for, in words).
    procedure_name: str = ""
    department_name: str = ""
    holder_name: str = ""
    group_words: list = field(default_factory=list)  # (department name, role name) per group waited for

    @property
    def holder(self) -> str:
        """Who holds the work: the assignee, else "group:NAME[,NAME]" while unclaimed."""
        return self.assignee or "group:" + ",".join(self.groups)

    def to_dict(self) -> dict:
        """JSON-able form (dates as ISO text)."""
        return _jsonable({**asdict(self), "holder": self.holder})


@dataclass(frozen=True)
class OnTimeRow:
    """Answers given in a period for one procedure, department or month."""

    key: str
    name: str  # what a person reads for the key: the procedure's title, the department's name
    process_id: str | None
    department: str | None
    month: str | None
    answered: int
    on_time: int
    late: int
    open_overdue: int
    ended_unanswered: int
    ended_by_authority: int
    withdrawn: int
    counted: int  # answered + open overdue + ended without a reply: what the rate is over
    on_time_rate: float | None  # on_time / counted (engine.services.figures)
    promised: int
    kept_promise: int
    median_working_days: float | None  # from receipt to reply

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


@dataclass(frozen=True)
class AssessmentRow:
    """Art. 49 assessment of one department over one period."""

    department: str
    department_name: str
    received: int
    answered_on_time: int
    answered_late: int
    open: int
    overdue: int  # open and past the statutory deadline (figures' open overdue)
    ended_unanswered: int
    ended_by_authority: int
    withdrawn: int
    on_time_rate: float | None

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    """Narrowing of a task list; None means any."""

    process_id: str | None = None
    department: str | None = None
    assignee: str | None = None


def _jsonable(value: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in value.items()}


def start_of(day: date) -> datetime:
    """00:00 Beijing time of `day`, as UTC (a deadline day ends at the start of the next)."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)


def working_days_overdue(calendar, due_date: date, at: date) -> int:
    """Working days after `due_date` up to and including `at`: due 2026-02-26, on 2026-03-02 it
    is 3 (02-27, the make-up Saturday 02-28, 03-02)."""
    return max(0, calendar.working_days_between(due_date, at))


def traffic_light(engine, *, due_date: date | None, rule: str | None, today: date) -> str | None:
    """Red when overdue; yellow when one working day or less, or under a fifth of the period,
    remains; green otherwise; None without a deadline."""
    if due_date is None:
        return None
    if due_date < today:
        return RED
    left = engine.calendar.working_days_between(today, due_date)
    if left <= 1:
        return YELLOW
    known = engine.rules.get(rule) if rule else None
    if known is not None:
        remaining = left if known.unit == "working_days" else (due_date - today).days
        if remaining * 5 < known.period:
            return YELLOW
    return GREEN


def scope_of(uow: UnitOfWork, actor: str) -> frozenset[str] | None:
    """The departments `actor` oversees (None: all, the city authority's roll-up; a county
    authority's: its county's; a department's supervisor: their own), inside an open unit of work.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
    """
    user = require_user(uow.session, actor)
    if not permissions.may_supervise(user.roles):
        raise PermissionDenied("report.supervisors_only", user=actor)
    return organisation.scope_of_user(uow.session, user)


def scope_name(uow: UnitOfWork, actor: str | None) -> str:
    """What a report's title row says of its scope: 全部部门, a county's name, or the one department's name.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
    """
    with uow.read():
        scope = scope_of(uow, actor) if actor else None
        if scope is None:
            return "全部部门"
        if len(scope) > 1:
            user = require_user(uow.session, actor)
            level = uow.session.get(Level, organisation.level_of_user(uow.session, user))
            return f"{level.name}（全部部门）" if level is not None else "、".join(sorted(scope))
        code = next(iter(scope), "")
        return uow.session.scalar(select(Department.name).where(Department.code == code)) or code


def heading(report: str, start: date | None, end: date | None, scope: str) -> str:
    """The title row of an exported report: its name, period (Beijing dates) and scope; a list
    of work as it stands on one day (overdue, at risk) has no start: 截至 that day."""
    if end is None:
        period = "截至今日"
    elif start is None:
        period = f"截至 {end.isoformat()}"
    else:
        period = start.isoformat() if start == end else f"{start.isoformat()} 至 {end.isoformat()}"
    return f"{report}　统计期间：{period}　范围：{scope}"


def _concerns(departments):
    """Tasks that concern one of `departments`: their applications, work held by their people,
    or waiting for one of their groups (`role@department`)."""
    departments = sorted(departments)
    if not departments:
        return false()
    return or_(_i.c.department.in_(departments),
               _t.c.assignee.in_(select(_u.c.name).where(_u.c.department.in_(departments))),
               *(cast(_t.c.candidate_groups, Text).like(f'%@{d}"%') for d in departments))


_TASK_COLUMNS = (_t.c.id, _t.c.instance_id, _t.c.task_name, _t.c.title, _t.c.process_id, _t.c.candidate_groups,
                 _t.c.assignee, _t.c.due_date, _t.c.due_at, _t.c.deadline_rule, _t.c.deadline_article,
                 _i.c.receipt_number, _i.c.department, _i.c.received_on, _i.c.statutory_due_date,
                 _i.c.statutory_article)


def task_query():
    """The columns a TaskReportRow is made from (`rows_of`), tasks joined to their applications."""
    return select(*_TASK_COLUMNS).select_from(_t.join(_i, _i.c.id == _t.c.instance_id))


def _open_tasks(scope: frozenset[str] | None, filters: Filters):
    q = task_query().where(_t.c.state == "open")
    if scope is not None:
        q = q.where(_concerns(scope))
    if filters.process_id:
        q = q.where(_t.c.process_id == filters.process_id)
    if filters.department:
        q = q.where(_concerns({filters.department}))
    if filters.assignee:
        q = q.where(_t.c.assignee == filters.assignee)
    return q


def _department_of(row, departments: dict[str, str | None]) -> str | None:
    # Who holds the work decides: the holder's department, else the department of the group it
    # waits for, else the unit competent for the application.
    if row.assignee and departments.get(row.assignee):
        return departments[row.assignee]
    for group in row.candidate_groups or []:
        if "@" in group:
            return group.split("@", 1)[1]
    return row.department


def rows_of(uow: UnitOfWork, found: list, at: date) -> list[TaskReportRow]:
    """Report rows of rows read with `task_query()`, counted on day `at` (inside an open unit of work)."""
    if not found:
        return []
    session, engine = uow.session, uow.engine
    assignees = {r.assignee for r in found if r.assignee}
    departments = dict(session.execute(select(_u.c.name, _u.c.department).where(_u.c.name.in_(assignees)))
                       .all()) if assignees else {}
    promises = {(p.department, p.process_id): p.working_days for p in session.execute(select(_p))}
    names = _words(session, assignees, {g for r in found for g in (r.candidate_groups or [])})
    task_ids = [r.id for r in found]
    urged = dict(session.execute(select(_urge.c.task_id, func.count()).where(_urge.c.task_id.in_(task_ids))
                                 .group_by(_urge.c.task_id)).all())
    rows = []
    for r in found:
        department = _department_of(r, departments)
        promised = promises.get((department, r.process_id)) or promises.get((r.department, r.process_id))
        overdue = working_days_overdue(engine.calendar, r.due_date, at) if r.due_date and r.due_date < at else 0
        left = engine.calendar.working_days_between(at, r.due_date) if r.due_date and r.due_date >= at else None
        rows.append(TaskReportRow(
            task_id=r.id, instance_id=r.instance_id, receipt_number=r.receipt_number, process_id=r.process_id,
            task_name=r.task_name, title=r.title, department=department, assignee=r.assignee,
            groups=list(r.candidate_groups or []), due_date=r.due_date, working_days_overdue=overdue,
            working_days_left=left, article=r.deadline_article, rule=r.deadline_rule,
            light=traffic_light(engine, due_date=r.due_date, rule=r.deadline_rule, today=at),
            statutory_due_date=r.statutory_due_date, statutory_article=r.statutory_article,
            promised_due_date=engine.calendar.add_working_days(r.received_on, promised) if promised else None,
            urged=urged.get(r.id, 0), procedure_name=names["procedures"].get(r.process_id, r.process_id),
            department_name=names["departments"].get(department, department or ""),
            holder_name=(names["people"].get(r.assignee) or r.assignee) if r.assignee else
            "、".join(" ".join(filter(None, names["groups"][g])) for g in r.candidate_groups or []),
            group_words=[names["groups"][g] for g in r.candidate_groups or []]))
    return rows


def _words(session, people: set[str], groups: set[str]) -> dict[str, dict]:
    """Names a person reads for codes: procedures, departments, people (their display name) and
    candidate groups as (department name, role name): ("达州市数据局", "审核人员") for `reviewer@sjj`;
    the bare `supervisor` group is the authority's supervisors."""
    departments = dict(session.execute(select(Department.code, Department.name)).all())
    shown = dict(session.execute(select(_u.c.name, _u.c.display_name).where(_u.c.name.in_(people))).all()) \
        if people else {}
    group_names = {}
    for group in groups:
        role, _, department = group.partition("@")
        role_name = permissions.ROLE_NAMES.get(role, role)
        if department:
            group_names[group] = (departments.get(department, department), role_name)
        elif role == "supervisor":
            group_names[group] = ("", "主管部门督办人员")
        else:
            group_names[group] = ("", role_name)
    if SYSTEM in people:
        shown[SYSTEM] = SYSTEM_NAME  # the scheduler, starting a periodic round (engine.services.rounds)
    return {"procedures": dict(session.execute(definitions.procedure_names()).all()), "departments": departments,
            "people": {k: v for k, v in shown.items() if v}, "groups": group_names}


@dataclass(frozen=True)
class SilentDepartment:
    """A department whose overdue work alerts nobody of its own: no active head, no supervisor."""

    department: str
    department_name: str
    overdue: int  # its open tasks past their deadline today

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


def silent_departments(uow: UnitOfWork, actor: str) -> list[SilentDepartment]:
    """Departments (of those `actor` oversees) with nobody in `department_head@DEPT` nor among
    their own supervisors (`supervisor@DEPT`; the authority's are `supervisor`): an overdue step
    there reaches only the authority's supervisors (engine.services.supervision.watch), so the
    department is listed here for someone to be appointed.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
    """
    with uow.read():
        scope = scope_of(uow, actor)
        session = uow.session
        departments = session.execute(select(_dep.c.code, _dep.c.name, _dep.c.kind).order_by(_dep.c.code)).all()
        departments = [d for d in departments if scope is None or d.code in scope]
        # The city authority's own supervisors are the bare group `supervisor` (engine.permissions.groups_of).
        city_authority = organisation.city_authority(session, uow.engine.config)
        wanted = {d.code: {f"department_head@{d.code}", "supervisor" if d.kind == permissions.AUTHORITY_KIND
                           and d.code == city_authority else f"supervisor@{d.code}"} for d in departments}
        empty = empty_groups(uow, set().union(*wanted.values())) if wanted else set()
        silent = [d for d in departments if wanted[d.code] <= empty]
        if not silent:
            return []
        today = uow.engine.clock.today()
        found = session.execute(task_query().where(_t.c.state == "open", _t.c.due_at <= start_of(today))).all()
        counts: dict[str | None, int] = {}
        for row in rows_of(uow, found, today):
            counts[row.department] = counts.get(row.department, 0) + 1
    return [SilentDepartment(d.code, d.name, counts.get(d.code, 0)) for d in silent]


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_ROWS:
        raise InvalidInput("report.refused", [Problem("report.out_of_range", {"min": 1, "max": MAX_ROWS},
                                                      field="limit")])


def overdue(uow: UnitOfWork, actor: str, *, at: date | None = None, filters: Filters = Filters(),
            after: tuple[datetime, int] | None = None, limit: int = MAX_ROWS) -> list[TaskReportRow]:
    """Open tasks past their deadline on `at` (default today), most overdue first.

    A task is past its deadline once its last day has ended (24:00 Beijing time), so on `at`
    those due before `at`. Keyset-paged by (due_at, id): pass the last row's `(due_at, id)`
    as `after` for the next page; a page costs the same with a thousand rows or a million.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
        InvalidInput: `limit` is out of range.
    """
    _check_limit(limit)
    if at is not None:
        _check_day(at, "at")
    with uow.read():
        scope = scope_of(uow, actor)
        at = at or uow.engine.clock.today()
        q = _open_tasks(scope, filters).where(_t.c.due_at <= start_of(at))
        if after is not None:
            q = q.where(tuple_(_t.c.due_at, _t.c.id) > tuple_(*after))
        found = uow.session.execute(q.order_by(_t.c.due_at, _t.c.id).limit(limit)).all()
        return rows_of(uow, found, at)


def overdue_in(uow: UnitOfWork, instance_id: int, *, besides: int | None = None) -> list[TaskReportRow]:
    """The overdue open tasks of one application other than task `besides`, inside an open unit
    of work: what an escalation task is about (how late, who holds it)."""
    today = uow.engine.clock.today()
    q = task_query().where(_t.c.instance_id == instance_id, _t.c.state == "open", _t.c.due_at <= start_of(today))
    if besides is not None:
        q = q.where(_t.c.id != besides)
    return rows_of(uow, uow.session.execute(q.order_by(_t.c.due_at, _t.c.id)).all(), today)


def at_risk(uow: UnitOfWork, actor: str, *, filters: Filters = Filters(),
            limit: int = MAX_ROWS) -> list[TaskReportRow]:
    """Open tasks due today or on the next working day, soonest first.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
    """
    _check_limit(limit)
    with uow.read():
        scope = scope_of(uow, actor)
        today = uow.engine.clock.today()
        last = uow.engine.calendar.add_working_days(today, 1)
        q = _open_tasks(scope, filters).where(_t.c.due_at > start_of(today),
                                              _t.c.due_at <= start_of(last + timedelta(days=1)))
        found = uow.session.execute(q.order_by(_t.c.due_at, _t.c.id).limit(limit)).all()
        return rows_of(uow, found, today)


def empty_groups(uow: UnitOfWork, groups: set[str]) -> set[str]:
    """Of `groups`, those no active user belongs to (inside an open unit of work)."""
    if not groups:
        return set()
    covered: set[str] = set()
    people = select(User.name, User.department, User.roles, User.department_kind, User.level_kind)
    for user in uow.session.execute(people.where(User.active.is_(True))):
        covered.update(permissions.groups_of(user))
    return {g for g in groups if g not in covered}


def unassignable(uow: UnitOfWork, actor: str, *, filters: Filters = Filters()) -> list[TaskReportRow]:
    """Open, unclaimed tasks none of whose groups has an active member: they reach nobody.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
    """
    with uow.read():
        scope = scope_of(uow, actor)
        # task_candidates holds only available tasks, so its group names are few and indexed.
        waiting = set(uow.session.scalars(select(_c.c.group_name).distinct()))
        empty = empty_groups(uow, waiting)
        if not empty:
            return []
        reachable = exists().where(_c.c.task_id == _t.c.id, _c.c.group_name.not_in(empty))
        q = _open_tasks(scope, filters).where(
            _t.c.assignee.is_(None), exists().where(_c.c.task_id == _t.c.id, _c.c.group_name.in_(empty)),
            ~reachable)
        found = uow.session.execute(q.order_by(_t.c.id).limit(MAX_ROWS)).all()
        return rows_of(uow, found, uow.engine.clock.today())


def parse_day(value: str, field: str) -> date:
    """A date given as YYYY-MM-DD in a report's input.

    Raises:
        InvalidInput: it is not one, naming `field`.
    """
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("report.refused", [Problem("report.not_a_date", {"value": value}, field=field)]) \
            from None


# Reports count days the calendar can count; far-off dates are input mistakes, not periods.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)


def _check_day(day: date, field: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput("report.refused", [Problem("report.day_out_of_range", {
            "value": day.isoformat(), "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}, field=field)])


def _check_period(start: date, end: date) -> None:
    _check_day(start, "from")
    _check_day(end, "to")
    if end < start:
        raise InvalidInput("report.refused", [Problem("report.period_reversed", {"start": start.isoformat(),
                                                                                  "end": end.isoformat()},
                                                      field="to")])


def ontime(uow: UnitOfWork, actor: str, *, start: date, end: date, by: str = "procedure") \
        -> list[OnTimeRow]:
    """The figures of `start` to `end` (Beijing dates, both included) by procedure, department or
    month, as engine.services.figures defines them: replies on time and late, open overdue,
    ended without a reply, withdrawn, the on-time rate over all counted cases, and the median
    handling time.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
        InvalidInput: an unknown grouping or an end before the start.
    """
    if by not in GROUPINGS:
        raise InvalidInput("report.refused", [Problem("report.grouping_unknown", {"allowed": list(GROUPINGS)},
                                                      field="by")])
    _check_period(start, end)
    with uow.read():
        scope = scope_of(uow, actor)
        tallies = figures.tally(uow.session, uow.engine, start=start, end=end, by=by, scope=scope,
                                today=uow.engine.clock.today())
        names = _names(uow, by)
    rows = []
    for value, t in sorted(tallies.items(), key=lambda kv: kv[0] or ""):
        rows.append(OnTimeRow(key=value or "", name=names.get(value, value or ""),
                              process_id=value if by == "procedure" else None,
                              department=value if by == "department" else None,
                              month=value if by == "month" else None, answered=t.answered, on_time=t.on_time,
                              late=t.late, open_overdue=t.open_overdue, ended_unanswered=t.ended_unanswered,
                              ended_by_authority=t.ended_by_authority, withdrawn=t.withdrawn, counted=t.counted,
                              on_time_rate=t.rate, promised=t.promised, kept_promise=t.kept_promise,
                              median_working_days=_weighted_median(t.days)))
    return rows


def _names(uow: UnitOfWork, by: str) -> dict:
    # What a person reads for a group's key: a procedure's title, a department's name.
    if by == "procedure":
        return dict(uow.session.execute(definitions.procedure_names()).all())
    if by == "department":
        return dict(uow.session.execute(select(Department.code, Department.name)).all())
    if by == "level":
        return dict(uow.session.execute(select(Level.code, Level.name)).all())
    return {}


def _weighted_median(values: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many times)."""
    total = sum(n for _, n in values)
    if not total:
        return None
    ordered = sorted(values)
    middle = [(total - 1) // 2, total // 2]
    found, seen = [], 0
    for value, n in ordered:
        while middle and middle[0] < seen + n:
            found.append(value)
            middle.pop(0)
        seen += n
    return float(statistics.mean(found))


def period_bounds(kind: str, year: int, number: int = 1) -> tuple[date, date]:
    """The first and last day of month `number`, quarter `number` or the whole `year`.

    Raises:
        InvalidInput: an unknown kind, or a month or quarter out of range.
    """
    most = {"month": 12, "quarter": 4, "year": 1}.get(kind)
    if most is None:
        raise InvalidInput("report.refused", [Problem("report.period_unknown", {"allowed": list(PERIODS)},
                                                      field="period")])
    if not 1 <= number <= most or not 1950 <= year <= 2200:
        raise InvalidInput("report.refused", [Problem("report.out_of_range", {"min": 1, "max": most},
                                                      field="number")])
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    first_month = 1 if kind == "year" else (number - 1) * months + 1
    start = date(year, first_month, 1)
    last_month = first_month + months - 1
    end = date(year + last_month // 12, last_month % 12 + 1, 1) - timedelta(days=1)
    return start, end


def assessment(uow: UnitOfWork, actor: str, *, start: date, end: date) -> list[AssessmentRow]:
    """Art. 49 assessment per department from `start` to `end`: the figures of
    engine.services.figures (the same as `ontime(by="department")`), with the applications
    received in the period and how many of those are still open.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor.
        InvalidInput: an end before the start.
    """
    _check_period(start, end)
    with uow.read():
        scope = scope_of(uow, actor)
        session = uow.session
        tallies = figures.tally(session, uow.engine, start=start, end=end, by="department", scope=scope,
                                today=uow.engine.clock.today(), received=True)
        names = dict(session.execute(select(Department.code, Department.name)).all())
    rows = []
    for d, t in sorted(tallies.items(), key=lambda kv: kv[0] or ""):
        rows.append(AssessmentRow(department=d or "", department_name=names.get(d, d or ""), received=t.received,
                                  answered_on_time=t.on_time, answered_late=t.late, open=t.still_open,
                                  overdue=t.open_overdue, ended_unanswered=t.ended_unanswered,
                                  ended_by_authority=t.ended_by_authority, withdrawn=t.withdrawn,
                                  on_time_rate=t.rate))
    return rows


def choices(uow: UnitOfWork) -> dict:
    """What report filters offer: `procedures` as (process_id, name), `departments` as (code, name)."""
    with uow.read():
        session = uow.session
        return {"procedures": [(p, n) for p, n in session.execute(
                    definitions.procedure_names().order_by(_d.c.process_id))],
                "departments": [(c, n) for c, n in session.execute(
                    select(Department.code, Department.name).order_by(Department.code))]}


def timeline(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """One application as a supervisor drills down to it, from its rows (no workflow restored):
    `instance` (receipt, procedure, status, received, statutory deadline, reply), `open` (its
    open tasks as TaskReportRow), `tasks` (every task), `history` (audit entries) and `urges`.

    Raises:
        NotFound: no such user; no such application as far as the user may know (not one they oversee).
        PermissionDenied: the user is no supervisor.
    """
    with uow.read():
        scope_of(uow, actor)
        # A supervisor drills down to what they oversee (engine.access); anything else is absent.
        placement = audience.place(uow, actor, instance_id, allowed=access.may_oversee)
        session = uow.session
        instance = session.execute(select(_i.c.id, _i.c.process_id, _i.c.receipt_number, _i.c.status,
                                          _i.c.received_on, _i.c.started_by, _i.c.department,
                                          _i.c.statutory_due_date, _i.c.statutory_article, _i.c.replied_at,
                                          _i.c.replied_late_days).where(_i.c.id == instance_id)).one_or_none()
        if instance is None:
            raise NotFound("instance.not_found", instance=instance_id)
        today = uow.engine.clock.today()
        open_rows = rows_of(uow, session.execute(task_query().where(_t.c.instance_id == instance_id,
                                                                    _t.c.state == "open")
                                                 .order_by(_t.c.id)).all(), today)
        tasks = session.execute(select(_t.c.id, _t.c.title, _t.c.state, _t.c.assignee, _t.c.candidate_groups,
                                       _t.c.due_date, _t.c.deadline_article, _t.c.completed_at, _t.c.completed_by)
                                .where(_t.c.instance_id == instance_id).order_by(_t.c.id)).all()
        history = session.execute(select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.after)
                                  .where(AuditEntry.instance_id == instance_id).order_by(AuditEntry.id)).all()
        urges = session.execute(select(_urge).where(_urge.c.instance_id == instance_id).order_by(_urge.c.id)).all()
        name = session.scalar(select(func.max(_d.c.name)).where(_d.c.process_id == instance.process_id))
        words = _words(session, {instance.started_by} | {u.urged_by for u in urges}, set())
        stated = _stated_dates(session, instance_id, history)
    audience.record_read(uow, placement, "application.timeline")
    return {"instance": {**instance._mapping, "process_name": name or instance.process_id,
                         "department_name": words["departments"].get(instance.department, instance.department),
                         "applicant_name": words["people"].get(instance.started_by, instance.started_by),
                         "stated": stated},
            "open": open_rows, "tasks": [dict(t._mapping) for t in tasks],
            "history": [{"at": h.at.isoformat(), "actor": h.actor, "action": h.action, "after": h.after}
                        for h in history],
            "urges": [{**u._mapping, "urged_by_name": words["people"].get(u.urged_by, u.urged_by)} for u in urges]}


def _stated_dates(session, instance_id: int, history) -> list[dict]:
    """The act dates the application's completed steps stated (form fields marked `x-actDate`),
    each with the instant the engine recorded the step: shown side by side, the recorded one
    deciding timeliness (engine.services.figures)."""
    forms = session.scalar(select(_d.c.forms).select_from(_d.join(_i, _i.c.definition_id == _d.c.id))
                           .where(_i.c.id == instance_id)) or {}
    form_of = dict(session.execute(select(_t.c.task_name, _t.c.form).where(_t.c.instance_id == instance_id)).all())
    stated = []
    for h in history:
        after = h.after if isinstance(h.after, dict) else {}
        if h.action != "task.complete" or not isinstance(after.get("data"), dict):
            continue
        for label, value in act_dates(forms.get(form_of.get(after.get("task"))), after["data"]).items():
            stated.append({"label": label, "value": value, "recorded_at": h.at, "task": after.get("task")})
    return stated


__all__ = ["SilentDepartment", "silent_departments", "scope_name", "heading", "GROUPINGS", "PERIODS", "Filters", "TaskReportRow", "OnTimeRow", "AssessmentRow", "overdue", "at_risk",
           "unassignable", "ontime", "assessment", "period_bounds", "traffic_light", "working_days_overdue",
           "empty_groups", "choices", "parse_day", "timeline", "scope_of", "start_of", "task_query", "rows_of", "overdue_in"]
