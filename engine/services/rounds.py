"""Periodic rounds: the duties the Measures call 「定期」 (Art. 19 para. 2 assessment, Art. 21 and
26 responsibility lists, Art. 44 risk assessment) started by the scheduler on a configured cycle.

A round schedule is data (`round_schedules`): a procedure, a cycle (yearly, quarterly, monthly)
with an anchor day, the department it is for, the group answering for it, the internal limit
(a rule of rules.toml: the Measures set no period, and the rule says so) and the start data,
whose text values may hold `{period}` (the period's name, 2026年第4季度) and `{deadline}` (the
round's deadline, an ISO date). Each period's round becomes due on the anchor's day of that
period: the anchor 2026-01-15 with a quarterly cycle makes rounds due on 01-15, 04-15, 07-15
and 10-15 of every year.

The scheduler's sweep (`start_due`) starts every round that is due, exactly once however many
schedulers run: the round's row, unique per (schedule, period), is written in the transaction
that starts the instance, so a second scheduler's insert waits for the first and then fails,
and it rolls back whatever it had done. A round missed while no scheduler ran starts at the
next sweep, once, for the latest period due only, and is marked as started late. Every step of
the round gets the round's deadline (`instances.start_round`), so it is reminded, shown overdue
and escalated to the supervisors like any step (engine.services.supervision.watch).
"""
from __future__ import annotations

import calendar as month_days
import tomllib
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine import permissions
from engine.errors import Conflict, InvalidInput, NotFound, PdwError, PermissionDenied, Problem
from engine.forms import check_submission
from engine.persistence.models import (Department, HumanTask, ProcessDefinition, ProcessInstance, Round,
                                       RoundSchedule)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import instances, organisation
from engine.services.progress import StepFailed
from engine.services.users import SYSTEM, require_administrator, require_user

# cycle: (Chinese, English, periods a year)
CYCLES = {"yearly": ("每年", "yearly", 1), "quarterly": ("每季度", "quarterly", 4), "monthly": ("每月", "monthly", 12)}
# The words a schedule's start data may hold, filled in for each round.
PERIOD_WORD, DEADLINE_WORD = "{period}", "{deadline}"
# How a round stands, as the supervisor reads it (Chinese, English).
STATES = {"due": ("待发起", "due"), "running": ("进行中", "running"), "late": ("已逾期", "late"),
          "done": ("已完成", "done"), "ended": ("已终止", "ended"), "errored": ("出错", "errored"),
          "failed": ("未能发起", "could not start")}
FIELDS = ("procedure", "cycle", "anchor", "department", "group", "deadline_rule", "data", "enabled")


@dataclass(frozen=True)
class Period:
    """One period of a schedule's cycle: its key (2026, 2026-Q4, 2026-03), name and due day."""

    key: str
    name: str
    due_on: date


def _index(cycle: str, day: date) -> int:
    per_year = CYCLES[cycle][2]
    return day.year * per_year + (day.month - 1) // (12 // per_year)


def _period(cycle: str, anchor: date, index: int) -> Period:
    per_year = CYCLES[cycle][2]
    year, number = divmod(index, per_year)
    months = 12 // per_year
    month = number * months + (anchor.month - 1) % months + 1
    due = date(year, month, min(anchor.day, month_days.monthrange(year, month)[1]))
    if cycle == "yearly":
        return Period(str(year), f"{year}年度", due)
    if cycle == "quarterly":
        return Period(f"{year}-Q{number + 1}", f"{year}年第{number + 1}季度", due)
    return Period(f"{year}-{month:02d}", f"{year}年{month}月", due)


def owed_from(schedule: RoundSchedule) -> date:
    """The first day a round of `schedule` may be due: its anchor, or the day it was made if
    later (rounds due before a schedule existed are not owed)."""
    return max(schedule.anchor, schedule.created_on)


def latest_due(cycle: str, anchor: date, day: date, *, since: date | None = None) -> Period | None:
    """The latest period whose round is due on or before `day` (and not before `since`, the
    anchor by default); None when none is yet."""
    since = since or anchor
    index = _index(cycle, day)
    found = _period(cycle, anchor, index)
    if found.due_on > day:
        found = _period(cycle, anchor, index - 1)
    return found if found.due_on >= since and found.due_on >= anchor else None


def next_due(cycle: str, anchor: date, day: date, *, since: date | None = None) -> Period:
    """The first period whose round falls due after `day` (and not before `since`)."""
    since = max(since or anchor, anchor)
    index = _index(cycle, max(day, since))
    found = _period(cycle, anchor, index)
    while found.due_on <= day or found.due_on < since:
        index += 1
        found = _period(cycle, anchor, index)
    return found


def fill(data, period: Period, deadline: date):
    """The schedule's start data for one round: `{period}` and `{deadline}` filled in."""
    if isinstance(data, str):
        return data.replace(PERIOD_WORD, period.name).replace(DEADLINE_WORD, deadline.isoformat())
    if isinstance(data, dict):
        return {k: fill(v, period, deadline) for k, v in data.items()}
    if isinstance(data, list):
        return [fill(v, period, deadline) for v in data]
    return data


# --- the schedules ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleView:
    """A schedule as people read it: names beside codes, the next round and its due day."""

    id: int
    procedure: str
    procedure_name: str
    cycle: str
    cycle_name: str
    anchor: str
    department: str
    department_name: str
    group: str
    group_name: str
    deadline_rule: str
    deadline_title: str
    deadline_article: str
    deadline_statutory: bool
    data: dict
    enabled: bool
    next_period: str
    next_period_name: str
    next_due_on: str

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


def set_schedule(uow: UnitOfWork, *, actor: str, schedule_id: int | None = None, procedure: str | None = None,
                 cycle: str | None = None, anchor: str | date | None = None, department: str | None = None,
                 group: str | None = None, deadline_rule: str | None = None, data: dict | None = None,
                 enabled: bool | None = None) -> ScheduleView:
    """Add a round schedule, or change schedule `schedule_id` (what is None stays as it is);
    admins may. Every field is checked before anything is written.

    Raises:
        NotFound: no such user or schedule.
        PermissionDenied: the user is no admin.
        InvalidInput: `round.schedule_refused`, one problem per field (an unknown procedure,
            department, group or rule, a bad cycle or anchor, start data its form refuses).
    """
    with uow:
        session, engine = uow.session, uow.engine
        require_administrator(session, actor, "rounds")
        schedule = None
        if schedule_id is not None:
            schedule = session.get(RoundSchedule, schedule_id)
            if schedule is None:
                raise NotFound("round.schedule_not_found", schedule=schedule_id)
        current = _fields_of(schedule)
        given = {"procedure": procedure, "cycle": cycle, "anchor": anchor, "department": department,
                 "group": group, "deadline_rule": deadline_rule, "data": data, "enabled": enabled}
        values = {k: given[k] if given[k] is not None else current.get(k) for k in FIELDS}
        if values["data"] is None:
            values["data"] = {}
        if values["enabled"] is None:
            values["enabled"] = True
        problems, anchor_day = _check(uow, values)
        if problems:
            raise InvalidInput("round.schedule_refused", problems, count=len(problems))
        now = engine.clock.now()
        if schedule is None:
            schedule = RoundSchedule(created_on=engine.clock.today())
            session.add(schedule)
        before = current or None
        schedule.process_id, schedule.cycle, schedule.anchor = values["procedure"], values["cycle"], anchor_day
        schedule.department, schedule.responsible_group = values["department"], values["group"]
        schedule.deadline_rule, schedule.data, schedule.enabled = values["deadline_rule"], values["data"], \
            bool(values["enabled"])
        schedule.updated_at, schedule.updated_by = now, actor
        session.flush()
        after = _fields_of(schedule)
        uow.audit.append(at=now, actor=actor, action="round.schedule",
                         before=before, after={"schedule": schedule.id, **after})
        view = _view(uow, schedule, engine.clock.today())
        uow.commit()
    return view


def _fields_of(schedule: RoundSchedule | None) -> dict:
    if schedule is None:
        return {}
    return {"procedure": schedule.process_id, "cycle": schedule.cycle, "anchor": schedule.anchor.isoformat(),
            "department": schedule.department, "group": schedule.responsible_group,
            "deadline_rule": schedule.deadline_rule, "data": schedule.data, "enabled": schedule.enabled}


def _check(uow: UnitOfWork, values: dict) -> tuple[list[Problem], date | None]:
    session, engine = uow.session, uow.engine
    problems = [Problem("round.field_required", field=name) for name in FIELDS if values[name] in (None, "")]
    missing = {p.field for p in problems}
    definition = None
    if "procedure" not in missing:
        definition = session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.process_id == values["procedure"]).order_by(ProcessDefinition.version.desc())
            .limit(1)).first()
        if definition is None:
            problems.append(Problem("round.procedure_unknown", {"procedure": values["procedure"]}, field="procedure"))
    if "cycle" not in missing and values["cycle"] not in CYCLES:
        problems.append(Problem("round.cycle_unknown", {"cycle": values["cycle"], "known": list(CYCLES)},
                                field="cycle"))
    anchor = values["anchor"]
    if isinstance(anchor, str) and anchor:
        try:
            anchor = date.fromisoformat(anchor)
        except ValueError:
            problems.append(Problem("round.anchor_invalid", {"anchor": anchor}, field="anchor"))
            anchor = None
    if "department" not in missing and session.get(Department, values["department"]) is None:
        problems.append(Problem("round.department_unknown", {"department": values["department"]},
                                field="department"))
    if "group" not in missing:
        role, at, unit = str(values["group"]).partition("@")
        if role not in permissions.ROLES or not at or session.get(Department, unit) is None:
            problems.append(Problem("round.group_invalid", {"group": values["group"]}, field="group"))
    rule = engine.rules.get(values["deadline_rule"]) if "deadline_rule" not in missing else None
    if "deadline_rule" not in missing and rule is None:
        problems.append(Problem("round.rule_unknown", {"rule": values["deadline_rule"]}, field="deadline_rule"))
    if not isinstance(values["data"], dict):
        problems.append(Problem("form.not_object", field="data"))
    elif definition is not None and rule is not None:
        problems += _data_problems(uow, definition, values["data"], rule)
    return problems, anchor if isinstance(anchor, date) else None


def _data_problems(uow: UnitOfWork, definition: ProcessDefinition, data: dict, rule) -> list[Problem]:
    # The data as the next round would start with it, checked against the procedure's start
    # form now, so a schedule that could never start a round is refused when it is set.
    engine = uow.engine
    today = engine.clock.today()
    sample = fill(data, _period("yearly", today, today.year), engine.calendar.deadline(
        today, rule=rule, rules=engine.rules).due_date)
    form_name = (definition.properties or {}).get("startForm")
    form = engine.specs.forms(definition.id, lambda: definition.forms)[form_name] if form_name else None
    problems = [Problem("form.reserved", field=k) for k in instances.RESERVED if k in sample]
    if form is not None:
        problems += check_submission(form, sample)
    named = {}
    for problem in problems:  # one problem per field, the first found
        named.setdefault(problem.field, Problem(problem.code, problem.params,
                                                field=f"data.{problem.field}" if problem.field else "data"))
    return list(named.values())


DEFAULTS = Path(__file__).resolve().parent.parent / "rounds.toml"


def install_defaults(new_uow: Callable[[], UnitOfWork], *, actor: str, path: Path = DEFAULTS) -> list[ScheduleView]:
    """Add the shipped schedules (engine/rounds.toml) that are missing: one for each deployed
    procedure and department not yet scheduled; returns those added.

    Raises:
        PermissionDenied: the user is no admin.
        InvalidInput: a shipped schedule is refused (a procedure not deployed, a rule unknown).
    """
    uow = new_uow()
    with uow.read():
        require_administrator(uow.session, actor, "rounds")
        competent = organisation.city_authority(uow.session, uow.engine.config)  # recorded, else configured
        kinds = dict(uow.session.execute(select(Department.code, Department.kind)).all())
        known = {(s.process_id, s.department) for s in uow.session.scalars(select(RoundSchedule))}
        deployed = set(uow.session.scalars(select(ProcessDefinition.process_id).distinct()))
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("schedules", [])
    added = []
    for entry in entries:
        if entry["procedure"] not in deployed:
            continue  # a deployment without the procedure has no round of it
        if "kinds" in entry:
            departments = sorted(code for code, kind in kinds.items() if kind in entry["kinds"])
        else:
            departments = [competent if entry["department"] == "authority" else entry["department"]]
        for department in departments:
            if (entry["procedure"], department) in known:
                continue
            added.append(set_schedule(new_uow(), actor=actor, procedure=entry["procedure"], cycle=entry["cycle"],
                                      anchor=entry["anchor"], department=department,
                                      group=entry["group"].replace("{department}", department),
                                      deadline_rule=entry["deadline_rule"], data=entry.get("data", {})))
    return added


# --- the scheduler's sweep -------------------------------------------------------------------

@dataclass(frozen=True)
class Started:
    """A round this sweep started (or recorded as unable to start)."""

    schedule_id: int
    period: str
    instance_id: int | None
    receipt_number: str | None
    late: bool
    error: str | None


def start_due(new_uow: Callable[[], UnitOfWork], *, worker: str) -> list[Started]:
    """Start every round that is due and not yet started, each in its own unit of work; the
    rounds this scheduler started (none when another one did)."""
    uow = new_uow()
    with uow.read():
        today = uow.engine.clock.today()
        due = []
        for schedule in uow.session.scalars(select(RoundSchedule).where(RoundSchedule.enabled.is_(True))
                                            .order_by(RoundSchedule.id)):
            period = latest_due(schedule.cycle, schedule.anchor, today, since=owed_from(schedule))
            if period is not None:
                due.append((schedule.id, period))
        known = {(r.schedule_id, r.period) for r in uow.session.execute(
            select(Round.schedule_id, Round.period).where(Round.schedule_id.in_({s for s, _ in due})))} \
            if due else set()
    started = []
    for schedule_id, period in due:
        if (schedule_id, period.key) not in known:
            one = _start_one(new_uow, schedule_id, period, worker=worker)
            if one is not None:
                started.append(one)
    return started


def _start_one(new_uow: Callable[[], UnitOfWork], schedule_id: int, period: Period, *, worker: str) -> Started | None:
    uow = new_uow()
    engine = uow.engine
    now, today = engine.clock.now(), engine.clock.today()
    try:
        with uow:
            session = uow.session
            schedule = session.get(RoundSchedule, schedule_id)
            if schedule is None or not schedule.enabled:
                return None
            row, data = _round_row(uow, schedule, period)
            session.add(row)
            # The unique (schedule, period) key is taken first: a second scheduler's insert waits
            # here for this transaction, then fails, and rolls back everything it did.
            session.flush()
            result = instances.start_round(uow, schedule.process_id, actor=SYSTEM, department=schedule.department,
                                           data=data, period=period.key, deadline_rule=schedule.deadline_rule)
            row.instance_id = result.instance_id
            uow.audit.append(at=now, actor=SYSTEM, action="round.start", instance_id=result.instance_id,
                             after={"schedule": schedule.id, "period": period.key, "due_on": period.due_on.isoformat(),
                                    "started_late": row.started_late, "deadline": row.deadline_date.isoformat(),
                                    "worker": worker})
            uow.commit()
            return Started(schedule_id, period.key, result.instance_id, result.receipt_number, row.started_late, None)
    except IntegrityError:
        if _taken(new_uow(), schedule_id, period.key):
            return None  # another scheduler started this period's round
        raise
    except (InvalidInput, NotFound, Conflict, StepFailed) as err:
        # The procedure undeployed, its data no longer admitted (a catalog item gone), the
        # Measures out of force, or the process failing as it starts: recorded, not retried.
        reason = err.reason if isinstance(err, StepFailed) else _reason(err)
    return _record_failure(new_uow, schedule_id, period, reason, worker=worker, late=period.due_on < today)


def _round_row(uow: UnitOfWork, schedule: RoundSchedule, period: Period) -> tuple[Round, dict]:
    engine = uow.engine
    today = engine.clock.today()
    rule = engine.rules[schedule.deadline_rule]
    deadline = engine.calendar.deadline(today, rule=rule, rules=engine.rules)
    row = Round(schedule_id=schedule.id, period=period.key, due_on=period.due_on, started_at=engine.clock.now(),
                started_by=SYSTEM, started_late=period.due_on < today, state="started",
                deadline_date=deadline.due_date, deadline_rule=rule.id, deadline_article=rule.article,
                deadline_provisional=deadline.provisional)
    return row, fill(schedule.data, period, deadline.due_date)


def _reason(err: PdwError) -> str:
    problems = getattr(err, "problems", None) or []
    return "; ".join([err.text("en"), *(str(p) for p in problems)])[:2000]


def _taken(uow: UnitOfWork, schedule_id: int, period: str) -> bool:
    with uow.read():
        return uow.session.scalar(select(Round.id).where(Round.schedule_id == schedule_id,
                                                         Round.period == period)) is not None


def _record_failure(new_uow, schedule_id: int, period: Period, reason: str, *, worker: str,
                    late: bool) -> Started | None:
    # A round that cannot start (its catalog item was removed, the procedure fails as it
    # starts) is recorded under its period's key, so it is shown, not tried at every sweep.
    uow = new_uow()
    try:
        with uow:
            row, _ = _round_row(uow, uow.session.get(RoundSchedule, schedule_id), period)
            row.state, row.error = "failed", reason
            uow.session.add(row)
            uow.session.flush()
            uow.audit.append(at=uow.engine.clock.now(), actor=SYSTEM, action="round.failed",
                             after={"schedule": schedule_id, "period": period.key, "error": reason, "worker": worker})
            uow.commit()
    except IntegrityError:
        if _taken(new_uow(), schedule_id, period.key):
            return None
        raise
    return Started(schedule_id, period.key, None, None, late, reason)


# --- what the supervisor reads ---------------------------------------------------------------

@dataclass(frozen=True)
class RoundView:
    """One round (or one due, not yet started) as the supervisor reads it."""

    schedule_id: int
    procedure_name: str
    department_name: str
    group_name: str
    period: str
    period_name: str
    due_on: str
    state: str
    state_name: str
    instance_id: int | None
    receipt_number: str | None
    started_at: str | None
    started_late: bool
    steps: list[str]
    deadline_date: str | None
    deadline_rule: str | None
    deadline_title: str | None
    deadline_article: str | None
    deadline_provisional: bool
    error: str | None

    def to_dict(self) -> dict:
        """JSON-able form."""
        return asdict(self)


@dataclass(frozen=True)
class RoundsOverview:
    """The rounds a supervisor oversees: those due next, running, late and done, and the schedules."""

    due: list[RoundView]
    running: list[RoundView]
    late: list[RoundView]
    done: list[RoundView]
    schedules: list[ScheduleView]

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {name: [r.to_dict() for r in getattr(self, name)]
                for name in ("due", "running", "late", "done", "schedules")}


def overview(uow: UnitOfWork, actor: str, *, limit: int = 200) -> RoundsOverview:
    """The rounds `actor` oversees: the authority's supervisors and admins every department's,
    a department's supervisors their own department's.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is no supervisor or admin (`report.supervisors_only`).
    """
    with uow.read():
        session, engine = uow.session, uow.engine
        user = require_user(session, actor)
        if not permissions.may_supervise(user.roles):
            raise PermissionDenied("report.supervisors_only", user=actor)
        scope = organisation.scope_of_user(session, user)  # a county authority's: its county's
        query = select(RoundSchedule).order_by(RoundSchedule.id)
        if scope is not None:
            query = query.where(RoundSchedule.department.in_(scope))
        schedules = list(session.scalars(query))
        today = engine.clock.today()
        views = {s.id: _view(uow, s, today) for s in schedules}
        rounds = list(session.scalars(select(Round).where(Round.schedule_id.in_(views))
                                      .order_by(Round.started_at.desc(), Round.id.desc()).limit(limit))) \
            if views else []
        ids = [r.instance_id for r in rounds if r.instance_id]
        status = dict(session.execute(select(ProcessInstance.id, ProcessInstance.status)
                                      .where(ProcessInstance.id.in_(ids))).all()) if ids else {}
        receipts = dict(session.execute(select(ProcessInstance.id, ProcessInstance.receipt_number)
                                        .where(ProcessInstance.id.in_(ids))).all()) if ids else {}
        open_steps: dict[int, list[str]] = {}
        for instance_id, title in session.execute(select(HumanTask.instance_id, HumanTask.title).where(
                HumanTask.instance_id.in_(ids), HumanTask.state == "open").order_by(HumanTask.id)) if ids else ():
            names = open_steps.setdefault(instance_id, [])
            if title not in names:
                names.append(title)
        found = {"due": [], "running": [], "late": [], "done": []}
        started = {(r.schedule_id, r.period) for r in rounds}
        for schedule in schedules:
            if not schedule.enabled:
                continue
            view = views[schedule.id]
            owed = latest_due(schedule.cycle, schedule.anchor, today, since=owed_from(schedule))
            if owed is not None and (schedule.id, owed.key) not in started and not _taken_in(session, schedule, owed):
                found["due"].append(_due_view(view, owed))  # due now: the next sweep starts it
            found["due"].append(_due_view(view, next_due(schedule.cycle, schedule.anchor, today,
                                                         since=owed_from(schedule))))
        for row in rounds:
            state = _state(row, status.get(row.instance_id), today)
            shown = _round_view(engine, views[row.schedule_id], row, state, receipts.get(row.instance_id),
                                open_steps.get(row.instance_id, []))
            found["late" if state == "late" else "running" if state == "running" else "done"].append(shown)
        found["due"].sort(key=lambda r: r.due_on)
    return RoundsOverview(found["due"], found["running"], found["late"], found["done"], list(views.values()))


def _taken_in(session, schedule: RoundSchedule, period: Period) -> bool:
    # Beyond `limit`, an old round is still started: ask for it by its key.
    return session.scalar(select(Round.id).where(Round.schedule_id == schedule.id,
                                                 Round.period == period.key)) is not None


def _state(row: Round, status: str | None, today: date) -> str:
    if row.state == "failed":
        return "failed"
    if status == "running":
        return "late" if row.deadline_date is not None and today > row.deadline_date else "running"
    return {"completed": "done", "cancelled": "ended", "withdrawn": "ended"}.get(status or "", "errored")


def _period_name(key: str) -> str:
    year, _, rest = key.partition("-")
    if not rest:
        return f"{year}年度"
    return f"{year}年第{rest[1:]}季度" if rest.startswith("Q") else f"{year}年{int(rest)}月"


def _round_view(engine, schedule: ScheduleView, row: Round, state: str, receipt: str | None,
                steps: list[str]) -> RoundView:
    rule = engine.rules.get(row.deadline_rule)
    return RoundView(schedule.id, schedule.procedure_name, schedule.department_name, schedule.group_name, row.period,
                     _period_name(row.period),
                     row.due_on.isoformat(), state, STATES[state][0], row.instance_id, receipt,
                     row.started_at.isoformat(), row.started_late, steps,
                     row.deadline_date.isoformat() if row.deadline_date else None, row.deadline_rule,
                     rule.title_zh if rule else None, row.deadline_article, row.deadline_provisional, row.error)


def _due_view(schedule: ScheduleView, period: Period) -> RoundView:
    return RoundView(schedule.id, schedule.procedure_name, schedule.department_name, schedule.group_name, period.key,
                     period.name, period.due_on.isoformat(), "due", STATES["due"][0], None, None, None, False, [],
                     None, schedule.deadline_rule, schedule.deadline_title, schedule.deadline_article, False, None)


def _view(uow: UnitOfWork, schedule: RoundSchedule, today: date) -> ScheduleView:
    session, engine = uow.session, uow.engine
    name = session.scalar(select(ProcessDefinition.name).where(ProcessDefinition.process_id == schedule.process_id)
                          .order_by(ProcessDefinition.version.desc()).limit(1))
    department = session.get(Department, schedule.department)
    role, _, unit = schedule.responsible_group.partition("@")
    unit_row = session.get(Department, unit) if unit else None
    rule = engine.rules.get(schedule.deadline_rule)
    upcoming = next_due(schedule.cycle, schedule.anchor, today, since=owed_from(schedule))
    return ScheduleView(
        schedule.id, schedule.process_id, name or schedule.process_id, schedule.cycle, CYCLES[schedule.cycle][0],
        schedule.anchor.isoformat(), schedule.department, department.name if department else schedule.department,
        schedule.responsible_group,
        f"{unit_row.name if unit_row else unit}{permissions.ROLE_NAMES.get(role, role)}",
        schedule.deadline_rule, rule.title_zh if rule else schedule.deadline_rule, rule.article if rule else "",
        bool(rule and rule.statutory), schedule.data, schedule.enabled, upcoming.key, upcoming.name,
        upcoming.due_on.isoformat())


__all__ = ["install_defaults", "CYCLES", "STATES", "Period", "latest_due", "next_due", "fill", "set_schedule",
           "start_due", "overview",
           "ScheduleView", "RoundView", "RoundsOverview", "Started", "owed_from"]
