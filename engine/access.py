"""Who stands where to an application, and what each audience of it is shown.

This is PDW's one access and disclosure model. Every use case that reads or acts on an
application asks `audience_of` who the user is to it, refuses with one answer (`NotFound`,
whether the application exists or not) when they are no one, and renders the projection made
for that audience (`project_steps`, `project_history`). The portal, the inbox, the API, the
command line, the formal reply, the diagram and the supervisor's area all go through it.

The audiences:

- ``applicant``: who filed it. Shown what was decided for them (see engine.disclosure):
  the fields of reply forms, their own acts, the deadlines; never officials' opinions, logins
  or engine ids.
- ``deciding_unit``: an official who is a candidate, holder or decider of one of its steps
  that belongs to the unit deciding it (the application's `department`, or a step naming no unit).
- ``consulted_unit``: an official asked a step of it for another unit (a source unit, the
  other party of a dispute): shown the application and the officials' steps, less the fields
  a form keeps to the deciding unit (`"x-readers"`).
- ``supervisor``: a supervisor whose department the application concerns (its deciding unit, a
  step waiting for one of its groups, or work held or decided by its people); a county
  authority's supervisor when it concerns a department of the county; or one of the city
  authority's supervisors, who oversee every department at every level (Art. 49).
- ``designer``: follows the running versions of processes: the diagram's progress, no data.
- ``admin``: the operator, who sees everything.

A form says per field who may read it: ``"x-readers": ["deciding_unit", "supervisor"]``; a
field without it is read by every official, and by the applicant too when its form is a reply
(``"x-audience": "applicant"``) and the field is not ``"x-internal"``.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Iterable, Iterator

from engine import permissions


# Where the current request or command came in (`web GET /inbox/tasks/7`, `cli pdw instances
# show`): declared by the edges, written beside each recorded read. The engine itself is "engine".
_ENTRY_POINT: ContextVar[str] = ContextVar("pdw_entry_point", default="engine")
MAX_ENTRY_POINT = 300


@contextmanager
def entry_point(description: str) -> Iterator[None]:
    """Declare, for the reads recorded inside the block, where they came in."""
    token = _ENTRY_POINT.set(description[:MAX_ENTRY_POINT])
    try:
        yield
    finally:
        _ENTRY_POINT.reset(token)


def set_entry_point(description: str) -> None:
    """Declare where the current request came in (each web request runs in a context of its own)."""
    _ENTRY_POINT.set(description[:MAX_ENTRY_POINT])


def current_entry_point() -> str:
    """Where the current request or command came in."""
    return _ENTRY_POINT.get()


class Audience(StrEnum):
    """Where a user stands to one application."""

    APPLICANT = "applicant"
    DECIDING_UNIT = "deciding_unit"
    CONSULTED_UNIT = "consulted_unit"
    SUPERVISOR = "supervisor"
    DESIGNER = "designer"
    ADMIN = "admin"


# Officials read the application's internal steps; the applicant and designers do not.
OFFICIALS = frozenset({Audience.DECIDING_UNIT, Audience.CONSULTED_UNIT, Audience.SUPERVISOR, Audience.ADMIN})
# Who may read the application itself and its documents.
READERS = OFFICIALS | {Audience.APPLICANT}
# Who oversees it: releases or reassigns its tasks, cancels or retries it, reads who read it.
OVERSEERS = frozenset({Audience.SUPERVISOR, Audience.ADMIN})
# Who reads the audit trail whole, with each entry's before and after.
AUDITORS = OVERSEERS
# The audit entry fields every official is shown; the rest (form data, the application) is
# shown through the steps' projection, field by field.
_HISTORY_KEYS = ("assignee", "holder", "task", "status", "working_days_overdue", "note", "reason")


@dataclass(frozen=True)
class Step:
    """Who one step of an application concerns."""

    candidate_groups: tuple[str, ...]
    assignee: str | None = None
    completed_by: str | None = None


@dataclass(frozen=True)
class Case:
    """What the model needs to know of one application to place a user."""

    started_by: str
    department: str | None
    steps: tuple[Step, ...] = ()
    # The department of each person holding or having decided one of its steps.
    unit_of: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Viewer:
    """The acting user as the model sees them."""

    name: str
    department: str | None
    roles: tuple[str, ...]
    department_kind: str | None = None
    # The kind of the level the user acts at (city | county) and, for a county authority's
    # supervisors, the departments of that county (engine.services.organisation.viewer).
    level_kind: str | None = None
    level_departments: frozenset[str] = frozenset()

    @property
    def groups(self) -> tuple[str, ...]:
        """The user's candidate groups (see permissions.groups_of)."""
        return permissions.groups_of(self)


def viewer(user, level_departments: frozenset[str] = frozenset()) -> Viewer:
    """The model's view of a user row (anything with name, department, roles, department_kind and
    level_kind); `level_departments`: the departments of a county authority supervisor's county."""
    return Viewer(user.name, user.department, tuple(user.roles or ()), getattr(user, "department_kind", None),
                  getattr(user, "level_kind", None), frozenset(level_departments))


def supervised_scope(user: Viewer) -> frozenset[str] | None:
    """The departments a supervisor oversees, or None for every department (the city authority's
    supervisors and admins); not meaningful for others (see `may_supervise`)."""
    return permissions.supervised_scope(user, user.department_kind, user.level_kind, user.level_departments)


def concerns(case: Case, departments: str | Iterable[str]) -> bool:
    """True when the application concerns one of `departments`: one decides it, a step waits for
    one of its groups (`role@department`), or one of its people holds or decided a step. The
    reports scope their rows by the same rule in SQL (engine.services.reports._concerns)."""
    departments = frozenset({departments} if isinstance(departments, str) else departments)
    if case.department in departments:
        return True
    for step in case.steps:
        if any(group.partition("@")[2] in departments for group in step.candidate_groups if "@" in group):
            return True
        if any(person and case.unit_of.get(person) in departments for person in (step.assignee, step.completed_by)):
            return True
    return False


def oversees(user: Viewer, case: Case) -> bool:
    """True when `user` oversees the application: an admin, the city authority's supervisor, a
    county authority's when it concerns a department of the county, or a department's supervisor
    when it concerns their department."""
    if not permissions.is_overseer(user.roles):
        return False
    scope = supervised_scope(user)
    return scope is None or (bool(scope) and concerns(case, scope))


def in_step(user: Viewer, step: Step) -> bool:
    """True when a step is the user's: a candidate of it, its holder or its decider."""
    return permissions.is_candidate(user, step.candidate_groups) or user.name in (step.assignee, step.completed_by)


def step_unit(step: Step) -> str | None:
    """The unit a step is asked of, from its groups (`role@unit`); None when it names none."""
    units = {g.partition("@")[2] for g in step.candidate_groups if "@" in g and not g.startswith("user:")}
    return units.pop() if len(units) == 1 else None


def audience_of(user: Viewer, case: Case) -> Audience | None:
    """Where `user` stands to the application `case`, or None: then it does not exist for them.

    An admin is an admin; a supervisor overseeing it reads it as a supervisor even when one of
    its steps is theirs; its applicant reads it as the applicant (unless an official working a
    step of it); an official in one of its steps as the deciding or a consulted unit; a designer
    follows its progress only.
    """
    if "admin" in user.roles:
        return Audience.ADMIN
    if oversees(user, case):
        return Audience.SUPERVISOR
    mine = [step for step in case.steps if in_step(user, step)]
    # An official who started a round of their own unit (an assessment, the responsibility lists)
    # and works its steps reads it as an official; anyone else reads their own application as
    # its applicant.
    if user.name == case.started_by and not (mine and permissions.is_staff(user.roles)):
        return Audience.APPLICANT
    if mine:
        deciding = any(step_unit(step) in (None, case.department) for step in mine)
        return Audience.DECIDING_UNIT if deciding else Audience.CONSULTED_UNIT
    if permissions.may_design(user.roles):
        return Audience.DESIGNER
    return None


def may_read(audience: Audience | None) -> bool:
    """True when the audience reads the application, its documents and its formal reply."""
    return audience in READERS


def may_follow(audience: Audience | None) -> bool:
    """True when the audience sees the application's progress (its diagram)."""
    return audience is not None


def may_oversee(audience: Audience | None) -> bool:
    """True when the audience may release or reassign the application's tasks, cancel or retry
    it and list who read it."""
    return audience in OVERSEERS


def may_open_task(user: Viewer, audience: Audience | None, step: Step) -> bool:
    """True when the user may open one task of the application: an overseer of it, or an
    official or the applicant whose step it is."""
    if audience in OVERSEERS:
        return True
    return audience in (Audience.DECIDING_UNIT, Audience.CONSULTED_UNIT, Audience.APPLICANT) and in_step(user, step)


def field_readers(form: dict | None, name: str) -> frozenset[Audience]:
    """The audiences that may read field `name` of a step's `form`."""
    prop = ((form or {}).get("properties") or {}).get(name) or {}
    declared = prop.get("x-readers")
    if declared:
        return frozenset(Audience(a) for a in declared) | {Audience.ADMIN}
    if (form or {}).get("x-audience") == Audience.APPLICANT and not prop.get("x-internal"):
        return READERS
    return OFFICIALS


def readable(form: dict | None, result: dict | None, audience: Audience) -> dict:
    """The part of a step's result `audience` may read, in the form's order (fields a form does
    not declare are the officials')."""
    result = result or {}
    props = list(((form or {}).get("properties") or {}))
    ordered = [n for n in props if n in result] + [n for n in result if n not in props]
    return {name: result[name] for name in ordered if audience in field_readers(form, name)}


def project_history(entries: Iterable, audience: Audience, started_by: str) -> list[dict]:
    """An audit trail as `audience` is shown it: whole, with before and after, for overseers;
    for other officials each entry's who, what and when with its assignment facts but not the
    form data or application it carried. (The applicant's is engine.services.portal's.)"""
    shown = []
    for entry in entries:
        row = {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
               "task_id": entry.task_id}
        if audience in AUDITORS:
            row.update(before=entry.before, after=entry.after)
        else:
            after = entry.after or {}
            row.update(before=None, after={k: after[k] for k in _HISTORY_KEYS if k in after} or None)
        shown.append(row)
    return shown


def validate_readers(schema: dict) -> list[str]:
    """The fields of a form whose `x-readers` name an audience that does not exist."""
    known = {a.value for a in Audience}
    return [name for name, prop in (schema.get("properties") or {}).items()
            if isinstance(prop, dict) and prop.get("x-readers") is not None
            and (not isinstance(prop["x-readers"], list) or not set(prop["x-readers"]) <= known)]


__all__ = ["entry_point", "set_entry_point", "current_entry_point", "Audience", "Case", "Step", "Viewer", "viewer", "audience_of", "concerns", "oversees", "in_step",
           "step_unit", "may_read", "may_follow", "may_oversee", "may_open_task", "field_readers", "readable",
           "project_history", "supervised_scope", "validate_readers", "OFFICIALS", "READERS", "OVERSEERS"]
