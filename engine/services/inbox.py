"""The reviewer's inbox: pages of tasks by due date, one task with its application, deciding it.

Pages are keyset-paged on (due_at, id): a page costs the same with a hundred or a million
task rows, because the "available" tab walks the partial index of open, unclaimed tasks in
due order and stops after one page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import exists, false, func, select, tuple_, union
from sqlalchemy.sql import Select

from engine import access, permissions
from engine.clock import SHANGHAI
from engine.errors import InvalidInput, NotFound, Problem
from engine.persistence.models import (AuditEntry, CatalogItem, Department, HumanTask, ProcessDefinition,
                                      ProcessInstance, TaskCandidate, User)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import attachments, audience, definitions, instances, notifications, reports, search
from engine.services.users import require_user

TABS = ("available", "mine", "completed")
# Tabs count up to this many: beyond it "999+" tells as much, and a count stays an index walk
# of bounded length however many rows there are.
COUNT_CAP = 1000
DUE_FILTERS = ("overdue", "today", "within")
MAX_PAGE = 100

_t = HumanTask.__table__
_c = TaskCandidate.__table__
_i = ProcessInstance.__table__
_d = ProcessDefinition.__table__


@dataclass(frozen=True)
class InboxQuery:
    """What one inbox page shows: a tab, filters, free text and where the previous page ended."""

    tab: str = "available"
    process_id: str | None = None
    due: str | None = None  # overdue | today | within
    within_days: int = 3
    search: str | None = None
    after: str | None = None
    limit: int = 25


@dataclass(frozen=True)
class Deadline:
    """A task's deadline as people read it: days left or overdue, with its legal basis."""

    due_date: date | None
    due_at: datetime | None
    working_days_left: int | None  # 0 = due today
    overdue_working_days: int | None  # set once due_at has passed
    rule: str | None
    rule_title_zh: str | None
    rule_title_en: str | None
    article: str | None
    provisional: bool
    basis: list[dict] = field(default_factory=list)
    finished_on: date | None = None  # the Beijing day a finished step was done
    late_working_days: int | None = None  # of a finished step: 0 on time, else working days late


@dataclass(frozen=True)
class InboxRow:
    """One task of an inbox page."""

    task_id: int
    instance_id: int
    title: str
    process_id: str
    process_name: str
    applicant: str
    receipt_number: str
    assignee: str | None
    state: str
    completed_at: datetime | None
    deadline: Deadline
    applicant_name: str | None = None
    applicant_organisation: str | None = None


@dataclass(frozen=True)
class InboxPage:
    """A page of rows, the cursor of the next page (None on the last), the procedures to filter by
    and the user's unread notifications."""

    query: InboxQuery
    rows: list[InboxRow]
    next_cursor: str | None
    procedures: list[tuple[str, str]]
    notifications: list[notifications.NotificationView] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # tab -> tasks in it, at most COUNT_CAP


def deadline_of(engine, *, due_date, due_at, rule, article, provisional, basis, finished_at=None) -> Deadline:
    """Days left (or overdue) in working days from today, with the rule's title and the notices used;
    for a step finished at `finished_at`, whether that was on time or how many working days late."""
    left = overdue = late = None
    finished_on = finished_at.astimezone(SHANGHAI).date() if finished_at is not None else None
    if due_date is not None and finished_at is not None:
        late = 0 if due_at is None or finished_at <= due_at else \
            max(1, engine.calendar.working_days_between(due_date, finished_on))
    elif due_date is not None:
        today = engine.clock.today()
        if due_at is not None and due_at <= engine.clock.now():
            # Past 24:00 of the last day; over a weekend that is still at least one day late.
            overdue = max(1, engine.calendar.working_days_between(due_date, today))
        else:
            left = max(0, engine.calendar.working_days_between(today, due_date))
    known = engine.rules.get(rule) if rule else None
    return Deadline(due_date, due_at, left, overdue, rule, known.title_zh if known else None,
                    known.title_en if known else None, article, bool(provisional), list(basis or []),
                    finished_on, late)


def task_deadline(engine, task: HumanTask) -> Deadline:
    """The deadline of a task row as people read it (finished or not)."""
    return deadline_of(engine, due_date=task.due_date, due_at=task.due_at, rule=task.deadline_rule,
                       article=task.deadline_article, provisional=task.deadline_provisional,
                       basis=task.deadline_basis, finished_at=task.completed_at)


def end_of_day(day: date) -> datetime:
    """The instant a deadline day ends: 24:00 Beijing time, as the engine stores due_at."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)


def _parse_cursor(tab: str, cursor: str | None):
    if not cursor:
        return None
    try:
        kind, stamp, last_id = cursor.split("~")
        if kind not in (("c",) if tab == "completed" else ("d", "u")) or (kind != "u") != bool(stamp):
            raise ValueError(kind)
        return kind, (datetime.fromisoformat(stamp) if stamp else None), int(last_id)
    except ValueError:
        raise InvalidInput("inbox.query_refused", [Problem("inbox.bad_cursor", {"cursor": cursor}, field="after")]) \
            from None


def _cursor(kind: str, stamp: datetime | None, last_id: int) -> str:
    return f"{kind}~{stamp.isoformat() if stamp else ''}~{last_id}"


def _check(query: InboxQuery) -> None:
    problems = []
    if query.tab not in TABS:
        problems.append(Problem("inbox.tab_unknown", {"allowed": list(TABS)}, field="tab"))
    if query.due and query.due not in DUE_FILTERS:
        problems.append(Problem("inbox.due_unknown", {"allowed": list(DUE_FILTERS)}, field="due"))
    if not 0 <= query.within_days <= 60:
        problems.append(Problem("inbox.out_of_range", {"min": 0, "max": 60}, field="within_days"))
    if not 1 <= query.limit <= MAX_PAGE:
        problems.append(Problem("inbox.out_of_range", {"min": 1, "max": MAX_PAGE}, field="limit"))
    if problems:
        raise InvalidInput("inbox.query_refused", problems)


_COLUMNS = (_t.c.id, _t.c.instance_id, _t.c.title, _t.c.process_id, _t.c.assignee, _t.c.state, _t.c.completed_at,
            _t.c.due_date, _t.c.due_at, _t.c.deadline_rule, _t.c.deadline_article, _t.c.deadline_provisional,
            _t.c.deadline_basis, _i.c.started_by, _i.c.receipt_number, _i.c.definition_id)


def base_query(engine, groups: list[str], actor: str, query: InboxQuery) -> Select:
    """The filtered, unordered task query of a tab (public for bench/inbox_bench.py)."""
    q = select(*_COLUMNS).select_from(_t.join(_i, _i.c.id == _t.c.instance_id))
    if query.tab == "available":
        q = q.where(_t.c.state == "open", _t.c.assignee.is_(None),
                    exists().where(_c.c.task_id == _t.c.id, _c.c.group_name.in_(groups)))
    elif query.tab == "mine":
        q = q.where(_t.c.assignee == actor, _t.c.state == "open")
    else:
        q = q.where(_t.c.completed_by == actor, _t.c.state == "completed")
    if query.process_id:
        q = q.where(_t.c.process_id == query.process_id)
    if query.due:
        now, today = engine.clock.now(), engine.clock.today()
        if query.due == "overdue":
            q = q.where(_t.c.due_at <= now)
        else:
            last = today if query.due == "today" else engine.calendar.add_working_days(today, query.within_days) \
                if query.within_days else today
            q = q.where(_t.c.due_at > now, _t.c.due_at <= end_of_day(last))
    if query.search and query.search.strip():
        # What people read of an application (engine.search; the receipt number among it),
        # read from the index first: the tasks are then fetched by instance, never scanned.
        match = search.matching(engine.db.engine.dialect.name, query.search, _t.c.instance_id)
        q = q.where(match if match is not None else false())
    return q


def page_queries(engine, groups: list[str], actor: str, query: InboxQuery) -> list[tuple[str, Select]]:
    """The keyset-paged statements of one page, in order: [(cursor kind, statement)]."""
    q = base_query(engine, groups, actor, query)
    after = _parse_cursor(query.tab, query.after)
    n = query.limit + 1
    if query.tab == "completed":
        if after:
            q = q.where(tuple_(_t.c.completed_at, _t.c.id) < tuple_(after[1], after[2]))
        return [("c", q.order_by(_t.c.completed_at.desc(), _t.c.id.desc()).limit(n))]
    # Tasks with a deadline first, by due date; those without one after them, by age.
    statements = []
    if after is None or after[0] == "d":
        if query.tab == "available" and not (query.process_id or query.due or query.search):
            statements.append(("d", _available_by_due(groups, after, n)))
        else:
            dated = q.where(_t.c.due_at.is_not(None))
            if after:
                dated = dated.where(tuple_(_t.c.due_at, _t.c.id) > tuple_(after[1], after[2]))
            statements.append(("d", dated.order_by(_t.c.due_at, _t.c.id).limit(n)))
    if not query.due:
        undated = q.where(_t.c.due_at.is_(None))
        if after and after[0] == "u":
            undated = undated.where(_t.c.id > after[2])
        statements.append(("u", undated.order_by(_t.c.id).limit(n)))
    return statements


def _available_by_due(groups: list[str], after, n: int) -> Select:
    """The next `n` available tasks with a deadline in any of `groups`, by due date.

    task_candidates holds available tasks only (see TaskCandidate), so each group's next `n`
    are read straight from its (group_name, due_at, task_id) index and the union keeps the
    first `n` distinct ones: a page costs the same with a thousand tasks or a million.
    """
    if not groups:
        return select(*_COLUMNS).where(false())
    branches = []
    for group in groups:
        branch = select(_c.c.task_id.label("id"), _c.c.due_at.label("due_at")).where(
            _c.c.group_name == group, _c.c.due_at.is_not(None))
        if after:
            branch = branch.where(tuple_(_c.c.due_at, _c.c.task_id) > tuple_(after[1], after[2]))
        branches.append(select(branch.order_by(_c.c.due_at, _c.c.task_id).limit(n).subquery()))
    ids = (union(*branches) if len(branches) > 1 else branches[0]).subquery()
    # The triggers keep task_candidates to available tasks, but the task row is the truth: a
    # candidate row that outlived its task (a trigger dropped or disabled, rows written by
    # hand) must not offer a claimed or finished task. The check costs nothing, as the rows
    # are joined by primary key anyway.
    return (select(*_COLUMNS)
            .select_from(ids.join(_t, _t.c.id == ids.c.id).join(_i, _i.c.id == _t.c.instance_id))
            .where(_t.c.state == "open", _t.c.assignee.is_(None))
            .order_by(_t.c.due_at, _t.c.id).limit(n))


def tab_counts(session, groups: list[str], actor: str) -> dict[str, int]:
    """How many tasks each tab holds, unfiltered, each counted up to COUNT_CAP."""
    available = select(_c.c.task_id).where(_c.c.group_name.in_(groups)).distinct() if groups else None
    mine = select(_t.c.id).where(_t.c.assignee == actor, _t.c.state == "open")
    done = select(_t.c.id).where(_t.c.completed_by == actor, _t.c.state == "completed")
    counts = {}
    for tab, ids in (("available", available), ("mine", mine), ("completed", done)):
        counts[tab] = session.scalar(select(func.count()).select_from(ids.limit(COUNT_CAP).subquery())) \
            if ids is not None else 0
    return counts


def page(uow: UnitOfWork, actor: str, query: InboxQuery = InboxQuery()) -> InboxPage:
    """One page of `actor`'s inbox tab.

    Raises:
        NotFound: no such user.
        InvalidInput: an unknown tab or filter, or a bad cursor.
    """
    _check(query)
    engine = uow.engine
    with uow.read():
        session = uow.session
        groups = list(permissions.groups_of(require_user(session, actor)))
        found: list[tuple[str, object]] = []
        for kind, statement in page_queries(engine, groups, actor, query):
            found += [(kind, r) for r in session.execute(statement.limit(query.limit + 1 - len(found)))]
            if len(found) > query.limit:
                break
        names = dict(session.execute(select(_d.c.id, _d.c.name).where(
            _d.c.id.in_({r.definition_id for _, r in found}))).all()) if found else {}
        procedures = [(p, n) for p, n in session.execute(definitions.procedure_names().order_by(_d.c.process_id))]
        unread = notifications.unread_in(uow, actor, groups)
        counts = tab_counts(session, groups, actor)
        applicants = {login: (name, organisation) for login, name, organisation in session.execute(
            select(User.name, User.display_name, Department.name).outerjoin(Department, Department.code == User.department)
            .where(User.name.in_({r.started_by for _, r in found})))} if found else {}
    more = len(found) > query.limit
    found = found[:query.limit]
    rows = [InboxRow(r.id, r.instance_id, r.title, r.process_id, names.get(r.definition_id, r.process_id),
                     r.started_by, r.receipt_number, r.assignee, r.state, r.completed_at,
                     deadline_of(engine, due_date=r.due_date, due_at=r.due_at, rule=r.deadline_rule,
                                 article=r.deadline_article, provisional=r.deadline_provisional,
                                 basis=r.deadline_basis, finished_at=r.completed_at),
                     *applicants.get(r.started_by, (None, None))) for _, r in found]
    next_cursor = None
    if more and found:
        kind, last = found[-1]
        stamp = last.completed_at if kind == "c" else last.due_at
        next_cursor = _cursor(kind, stamp, last.id)
    return InboxPage(query, rows, next_cursor, procedures, unread, counts)


def task_view(uow: UnitOfWork, task_id: int, *, actor: str) -> dict:
    """A task with its application, form, deadline and the instance's history, for someone who may
    see it, read in one transaction.

    Returns a dict: `task` (row fields), `deadline`, `form` (JSON Schema or None), `start_form`,
    `instance` (as `instances.show` for officials; for an applicant only what they applied
    for), `internal`, `applicant` (name and organisation), `catalog` (the entry applied for,
    or None), `done` (finished steps with their forms, deciders and timeliness), `people`
    (login -> name) and `steps` (task id -> title) for the history, `attachments`, `may_claim`, `may_unclaim`, `may_complete`, `held_by`,
    and `overdue_work`: the application's other overdue tasks (what an escalation is about).

    Raises:
        NotFound: no such user; no such task as far as the user may know (engine.access: the
            same answer whether it exists or the user may not open it).
    """
    with uow.read():
        session = uow.session
        placement, task = audience.place_task(uow, actor, task_id)
        user, instance = placement.user, placement.instance
        definition = session.get(ProcessDefinition, instance.definition_id)
        candidate = permissions.is_candidate(user, task.candidate_groups)
        internal = placement.audience in access.OFFICIALS
        forms = definition.forms or {}
        start_form = (definition.properties or {}).get("startForm")
        is_open = task.state == "open"
        view = {
            "task": instances.task_dict(task),
            "deadline": task_deadline(uow.engine, task),
            "form": forms.get(task.form) if task.form else None,
            "start_form": forms.get(start_form) if start_form else None,
            "may_claim": is_open and candidate and task.assignee is None,
            "may_unclaim": is_open and task.assignee is not None and (
                task.assignee == actor or access.may_oversee(placement.audience)),
            "may_complete": is_open and (task.assignee == actor or (task.assignee is None and candidate)),
            "held_by": task.assignee if is_open and task.assignee not in (None, actor) else None,
            "overdue_work": reports.overdue_in(uow, task.instance_id, besides=task.id) if is_open and internal else [],
            "internal": internal,
            "audience": placement.audience.value,
            "applicant": _person(session, instance.started_by),
            "catalog": _catalog_entry(session, (instance.summary or {}).get("catalog_item")),
            "done": _done_steps(uow.engine, session, instance.id, forms, placement.audience) if internal else [],
            "people": _names(session, instance.id) if internal else {},
            "steps": dict(session.execute(select(HumanTask.id, HumanTask.title).where(
                HumanTask.instance_id == instance.id)).all()) if internal else {},
            "attachments": attachments.listed(session, instance.id),
            # An applicant working a step of their own application sees what they applied for;
            # the officials' steps and the audit trail stay with the officials.
            "instance": instances.projection(uow, placement) if internal else {
                "id": instance.id, "receipt_number": instance.receipt_number, "process_name": definition.name,
                "received_on": instance.received_on.isoformat(), "status": instance.status,
                "started_by": instance.started_by, "application": instance.summary or {}, "tasks": [],
                "history": []},
        }
    audience.record_read(uow, placement, "task.view")
    return view


def _person(session, login: str) -> dict:
    user = session.scalar(select(User).where(User.name == login))
    department = session.get(Department, user.department) if user is not None and user.department else None
    return {"login": login, "name": (user.display_name if user is not None else None) or login,
            "organisation": department.name if department is not None else None}


def _catalog_entry(session, code) -> dict | None:
    item = session.get(CatalogItem, code) if isinstance(code, str) and code else None
    if item is None:
        return None
    source = session.get(Department, item.source_unit)
    return {"code": item.code, "name": item.name, "source_unit": source.name if source else item.source_unit,
            "share_attribute": item.share_attribute, "share_conditions": item.share_conditions,
            "share_basis": item.share_basis, "open_attribute": item.open_attribute,
            "open_conditions": item.open_conditions, "update_frequency": item.update_frequency,
            "contact": item.contact}


def _done_steps(engine, session, instance_id: int, forms: dict, reader: access.Audience) -> list[dict]:
    done = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.state == "completed").order_by(HumanTask.completed_at,
                                                                                           HumanTask.id)).all()
    return [{"title": t.title, "completed_at": t.completed_at, "completed_by": t.completed_by,
             "form": forms.get(t.form) if t.form else None,
             "result": access.readable(forms.get(t.form) if t.form else None, t.result, reader),
             "deadline": task_deadline(engine, t)} for t in done]


def _names(session, instance_id: int) -> dict[str, str]:
    """Login -> display name of everyone in an instance's audit trail."""
    logins = select(AuditEntry.actor).where(AuditEntry.instance_id == instance_id).distinct()
    return dict(session.execute(select(User.name, User.display_name).where(User.name.in_(logins))).all())


__all__ = ["task_deadline", "tab_counts", "COUNT_CAP", "TABS", "DUE_FILTERS", "InboxQuery", "InboxRow", "InboxPage", "Deadline", "page", "task_view",
           "deadline_of", "base_query", "page_queries"]
