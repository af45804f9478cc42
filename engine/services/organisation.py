"""The organisation as data: levels (the city, its counties and districts), each with its
competent authority (主管部门), and the departments at each level.

「本级」(Art. 6 para. 2, 20 para. 1): an application is decided by the competent authority of the
applicant's level. The applicant's level is their department's; an account without a department
(a citizen) has a level of its own (`users.level`, set with `pdw users add --level`); either
unset means the city. `competent_authority` is the one answer to "who is the competent
authority for department D / for user U", and every routing and authority check asks it.

The city level's authority is data (`levels.authority`); until one is named (a new database),
the configured `PDW_COMPETENT_DEPARTMENT` stands in for it, for the city only. A county with no
authority yet sends its applications up to its parent's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from engine import access, permissions
from engine.errors import Conflict, InvalidInput, NotFound, Problem
from engine.permissions import AUTHORITY_KIND, CITY, COUNTY, DEPARTMENT_KINDS, LEVEL_KINDS
from engine.persistence.models import Department, HumanTask, Level, ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.users import require_administrator

# The code the first migration gives the city level.
CITY_CODE = "city"
MAX_CODE, MAX_NAME = 64, 200
# Statuses of an application still being worked on.
_OPEN = ("running", "errored")


@dataclass(frozen=True)
class LevelView:
    """A level as callers see it."""

    code: str
    name: str
    kind: str
    parent: str | None
    authority: str | None
    authority_name: str | None
    departments: int

    def to_dict(self) -> dict:
        """JSON-able form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DepartmentView:
    """A department as callers see it."""

    code: str
    name: str
    full_name: str
    kind: str
    level: str
    level_name: str
    is_authority: bool
    retired_at: datetime | None

    def to_dict(self) -> dict:
        """JSON-able form."""
        out = dict(self.__dict__)
        out["retired_at"] = self.retired_at.isoformat() if self.retired_at else None
        return out


# --- who is competent ---------------------------------------------------------------------------

def city(session: Session) -> Level | None:
    """The city level (None in a database made without the migrations and no level added)."""
    return session.scalar(select(Level).where(Level.kind == CITY))


def level_of_department(session: Session, department: str | None) -> str | None:
    """The code of `department`'s level (its city's when it names none; None with no city level)."""
    level = session.scalar(select(Department.level).where(Department.code == department)) if department else None
    if level:
        return level
    top = city(session)
    return top.code if top else None


def level_of_user(session: Session, user) -> str | None:
    """The code of the level `user` acts at: their department's, else their own, else the city's."""
    if user.department:
        return level_of_department(session, user.department)
    if getattr(user, "level", None):
        return user.level
    top = city(session)
    return top.code if top else None


def authority_of_level(session: Session, config, level: str | None) -> str:
    """The department code of the competent authority of `level` (None: the city).

    The city's is its recorded authority, else the configured `competent_department`; a county
    that has none yet answers with its parent's.
    """
    seen = set()
    row = session.get(Level, level) if level else city(session)
    while row is not None and row.code not in seen:
        if row.authority:
            return row.authority
        seen.add(row.code)
        row = session.get(Level, row.parent) if row.parent else None
    return config.competent_department


def competent_authority(session: Session, config, *, department: str | None = None, user=None) -> str:
    """The competent authority (a department code) for `user`, or else for `department`:
    the authority of their level (「本级」)."""
    level = level_of_user(session, user) if user is not None else level_of_department(session, department)
    return authority_of_level(session, config, level)


def city_authority(session: Session, config) -> str:
    """The department code of the city's competent authority (who approves process changes)."""
    return authority_of_level(session, config, None)


def level_departments(session: Session, level: str) -> frozenset[str]:
    """The codes of the departments at `level` (for the city, also those naming no level)."""
    row = session.get(Level, level)
    condition = Department.level == level
    if row is not None and row.kind == CITY:
        condition = or_(condition, Department.level.is_(None))
    return frozenset(session.scalars(select(Department.code).where(condition)))


def departments_by_level(session: Session) -> dict[str, str]:
    """Each department's level code (departments naming none are the city's)."""
    top = city(session)
    fallback = top.code if top else CITY_CODE
    return {code: level or fallback for code, level in session.execute(select(Department.code, Department.level))}


def viewer(session: Session, user) -> access.Viewer:
    """engine.access's view of `user`, with their county's departments when they supervise for a
    county authority."""
    departments = frozenset()
    if permissions.is_overseer(user.roles or ()) and getattr(user, "department_kind", None) == AUTHORITY_KIND \
            and getattr(user, "level_kind", None) == COUNTY:
        departments = level_departments(session, level_of_user(session, user))
    return access.viewer(user, departments)


def scope_of_user(session: Session, user) -> frozenset[str] | None:
    """The departments supervisor `user` oversees (None: every department)."""
    return access.supervised_scope(viewer(session, user))


# --- reading ------------------------------------------------------------------------------------

def list_levels(uow: UnitOfWork) -> list[LevelView]:
    """Every level, the city first, then its counties by code; each with the authority that decides
    its applications (the city's configured default while none is recorded)."""
    with uow.read():
        session, config = uow.session, uow.engine.config
        counts = departments_by_level(session)
        names = dict(session.execute(select(Department.code, Department.name)).all())
        shown = []
        for r in session.scalars(select(Level).order_by((Level.kind != CITY), Level.code)):
            authority = authority_of_level(session, config, r.code) if r.kind == CITY else r.authority
            shown.append(LevelView(r.code, r.name, r.kind, r.parent, authority, names.get(authority or ""),
                                   sum(1 for level in counts.values() if level == r.code)))
        return shown


def list_departments(uow: UnitOfWork, *, level: str | None = None, retired: bool = False) -> list[DepartmentView]:
    """The departments (of `level` when given; retired ones too with `retired`), by level and code."""
    with uow.read():
        return _departments(uow.session, uow.engine.config, level=level, retired=retired)


def _departments(session, config, *, level=None, retired=False) -> list[DepartmentView]:
    by_level = departments_by_level(session)
    levels = {r.code: r for r in session.scalars(select(Level))}
    authorities = {code: authority_of_level(session, config, code) for code in levels}
    rows = session.scalars(select(Department).order_by(Department.code)).all()
    shown = []
    for d in rows:
        at = by_level.get(d.code, CITY_CODE)
        if (level and at != level) or (d.retired_at is not None and not retired):
            continue
        shown.append(DepartmentView(d.code, d.name, d.full_name or d.name, d.kind, at,
                                    levels[at].name if at in levels else at, authorities.get(at) == d.code,
                                    d.retired_at))
    order = {code: (r.kind != CITY, code) for code, r in levels.items()}
    return sorted(shown, key=lambda v: (order.get(v.level, (True, v.level)), v.code))


def full_name(session: Session, code: str | None) -> str | None:
    """The full official name (全称) of department `code`, as printed on replies."""
    if not code:
        return None
    row = session.get(Department, code)
    return (row.full_name or row.name) if row is not None else None


# --- changing -----------------------------------------------------------------------------------

def _code_problem(code: str, field: str) -> Problem | None:
    if not code or len(code) > MAX_CODE or not code.replace("_", "").replace("-", "").replace(".", "").isalnum() \
            or not code.isascii():
        return Problem("organisation.code_invalid", {"code": code}, field=field)
    return None


def _name_problems(name: str | None, field: str, *, required: bool) -> list[Problem]:
    if name is None or (required and not name.strip()):
        return [Problem("organisation.name_missing", field=field)] if required else []
    if not name.strip() or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        return [Problem("organisation.name_invalid", {"max": MAX_NAME}, field=field)]
    return []


def _kind_problem(kind: str | None) -> Problem | None:
    if kind is not None and kind not in DEPARTMENT_KINDS:
        return Problem("department.kind_unknown", {"kind": kind, "known": list(DEPARTMENT_KINDS)}, field="kind")
    return None


def _require_department(session: Session, code: str) -> Department:
    row = session.get(Department, code)
    if row is None:
        raise NotFound("department.not_found", department=code)
    if row.retired_at is not None:
        raise Conflict("department.retired", department=code)
    return row


def require_level(session: Session, code: str | None, field: str = "level") -> Level:
    row = session.get(Level, code) if code else city(session)
    if row is None:
        known = sorted(session.scalars(select(Level.code)))
        raise InvalidInput("organisation.not_changed",
                           [Problem("level.unknown", {"level": code or CITY_CODE, "known": known}, field=field)])
    return row


def _take_authority(session: Session, config, level: Level, department: str) -> None:
    """Make `department` the authority of `level`, refusing when it already has another."""
    current = level.authority or (config.competent_department if level.kind == CITY else None)
    holder = session.get(Department, current) if current else None
    if current and current != department and holder is not None and holder.retired_at is None:
        raise Conflict("level.authority_exists", level=level.code, authority=current)
    level.authority = department


def create_department(session: Session, config, code: str, *, name: str, full_name: str | None, kind: str,
                      level: str | None) -> Department:
    """Add department `code` inside the caller's unit of work (no checks of the actor)."""
    at = require_level(session, level)
    if session.get(Department, code) is not None:
        raise Conflict("department.exists", department=code)
    if kind == AUTHORITY_KIND:
        _take_authority(session, config, at, code)
    row = Department(code=code, name=name, full_name=full_name or None, kind=kind, level=at.code)
    session.add(row)
    session.flush()
    return row


def add_department(uow: UnitOfWork, code: str, *, name: str, full_name: str | None = None,
                   kind: str = "department", level: str | None = None, actor: str) -> DepartmentView:
    """Add a department of `kind` at `level` (None: the city); a department of kind `authority`
    becomes its level's competent authority.

    Raises:
        InvalidInput: a bad code, name or kind, or an unknown level (each naming its field).
        Conflict: the code is taken, or the level already has an authority.
        NotFound, PermissionDenied: `actor` may not administer the organisation.
    """
    with uow:
        session = uow.session
        # Who may act is asked before what they sent is read.
        require_administrator(session, actor, "organisation")
        problems = [p for p in (_code_problem(code, "code"), _kind_problem(kind)) if p]
        problems += _name_problems(name, "name", required=True) + _name_problems(full_name, "full_name", required=False)
        if problems:
            raise InvalidInput("organisation.not_changed", problems)
        row = create_department(session, uow.engine.config, code, name=name.strip(),
                                full_name=full_name.strip() if full_name else None, kind=kind, level=level)
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="department.add",
                         after={"code": code, "name": row.name, "full_name": row.full_name, "kind": kind,
                                "level": row.level})
        result = _view(session, uow.engine.config, code)
        uow.commit()
    return result


def rename_department(uow: UnitOfWork, code: str, *, name: str | None = None, full_name: str | None = None,
                      kind: str | None = None, actor: str) -> DepartmentView:
    """Give department `code` a new name, full official name or kind (what is None stays).

    Raises:
        InvalidInput: a bad name or kind, or nothing to change.
        Conflict: retired; making it an authority where its level has one; or taking the kind
            `authority` from its level's authority (name another first).
        NotFound, PermissionDenied.
    """
    with uow:
        session, config = uow.session, uow.engine.config
        require_administrator(session, actor, "organisation")
        problems = [p for p in (_kind_problem(kind),) if p]
        problems += _name_problems(name, "name", required=False) + _name_problems(full_name, "full_name",
                                                                                  required=False)
        if name is None and full_name is None and kind is None:
            problems.append(Problem("department.nothing_to_change", field="name"))
        if problems:
            raise InvalidInput("organisation.not_changed", problems)
        row = _require_department(session, code)
        before = {"name": row.name, "full_name": row.full_name, "kind": row.kind}
        level = require_level(session, row.level)
        if kind is not None and kind != row.kind:
            if row.kind == AUTHORITY_KIND and authority_of_level(session, config, level.code) == code:
                raise Conflict("department.is_authority", department=code, level=level.code)
            if kind == AUTHORITY_KIND:
                _take_authority(session, config, level, code)
            row.kind = kind
        if name is not None:
            row.name = name.strip()
        if full_name is not None:
            row.full_name = full_name.strip()
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="department.rename", before=before,
                         after={"code": code, "name": row.name, "full_name": row.full_name, "kind": row.kind})
        session.flush()
        result = _view(session, config, code)
        uow.commit()
    return result


def move_department(uow: UnitOfWork, code: str, *, level: str, actor: str) -> DepartmentView:
    """Move department `code` to another level. Applications already received keep the
    authority that received them; new ones go to the new level's.

    Raises:
        InvalidInput: an unknown level.
        Conflict: retired; it is its level's authority; an authority moving to a level that has one.
        NotFound, PermissionDenied.
    """
    with uow:
        session, config = uow.session, uow.engine.config
        require_administrator(session, actor, "organisation")
        row = _require_department(session, code)
        target = require_level(session, level)
        was = level_of_department(session, code)
        if authority_of_level(session, config, was) == code and was != target.code:
            raise Conflict("department.is_authority", department=code, level=was)
        if row.kind == AUTHORITY_KIND and was != target.code:
            _take_authority(session, config, target, code)
        row.level = target.code
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="department.move",
                         before={"code": code, "level": was}, after={"code": code, "level": target.code})
        session.flush()
        result = _view(session, config, code)
        uow.commit()
    return result


def open_work(session: Session, code: str) -> int:
    """How much open work department `code` has: applications it decides still running, and open
    steps waiting for one of its groups or held by one of its people."""
    members = select(User.name).where(User.department == code)
    # Candidate groups are a JSON list: `role@code"` closes one of its strings.
    groups = cast(HumanTask.candidate_groups, Text).like(f'%@{code}"%')
    tasks = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.state == "open", or_(HumanTask.assignee.in_(members), groups)))
    applications = session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.department == code, ProcessInstance.status.in_(_OPEN)))
    return (tasks or 0) + (applications or 0)


def retire_department(uow: UnitOfWork, code: str, *, actor: str) -> DepartmentView:
    """Retire department `code`: it keeps its history but takes no new members or work.

    Raises:
        Conflict: already retired; it is its level's authority; or it has open work (the count).
        NotFound, PermissionDenied.
    """
    with uow:
        session, config = uow.session, uow.engine.config
        require_administrator(session, actor, "organisation")
        row = _require_department(session, code)
        level = level_of_department(session, code)
        if authority_of_level(session, config, level) == code:
            raise Conflict("department.is_authority", department=code, level=level)
        count = open_work(session, code)
        if count:
            raise Conflict("department.open_work", department=code, count=count)
        row.retired_at = uow.engine.clock.now()
        uow.audit.append(at=row.retired_at, actor=actor, action="department.retire", after={"code": code})
        session.flush()
        result = _view(session, config, code)
        uow.commit()
    return result


def add_level(uow: UnitOfWork, code: str, *, name: str, kind: str = COUNTY, parent: str | None = None,
              actor: str) -> LevelView:
    """Add a level: a county or district under `parent` (None: the city), or the city itself
    when there is none yet. Its authority is the department of kind `authority` added at it.

    Raises:
        InvalidInput: a bad code, name or kind, or an unknown parent.
        Conflict: the code is taken, or a second city.
        NotFound, PermissionDenied.
    """
    with uow:
        session = uow.session
        require_administrator(session, actor, "organisation")
        problems = [p for p in (_code_problem(code, "code"),) if p] + _name_problems(name, "name", required=True)
        if kind not in LEVEL_KINDS:
            problems.append(Problem("level.kind_unknown", {"kind": kind, "known": list(LEVEL_KINDS)}, field="kind"))
        if problems:
            raise InvalidInput("organisation.not_changed", problems)
        if session.get(Level, code) is not None:
            raise Conflict("level.exists", level=code)
        top = city(session)
        if kind == CITY:
            if top is not None:
                raise Conflict("level.city_exists", level=top.code)
            above = None
        else:
            above = require_level(session, parent, field="parent").code
        session.add(Level(code=code, name=name.strip(), kind=kind, parent=above, authority=None))
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="level.add",
                         after={"code": code, "name": name.strip(), "kind": kind, "parent": above})
        session.flush()
        uow.commit()
    return next(v for v in list_levels(uow.engine.uow()) if v.code == code)


def _view(session, config, code: str) -> DepartmentView:
    return next(v for v in _departments(session, config, retired=True) if v.code == code)


__all__ = ["LevelView", "DepartmentView", "city", "level_of_department", "level_of_user", "authority_of_level",
           "competent_authority", "city_authority", "level_departments", "departments_by_level", "viewer",
           "scope_of_user", "list_levels", "list_departments", "full_name", "create_department", "add_department",
           "rename_department", "move_department", "open_work", "retire_department", "add_level", "require_level",
           "CITY_CODE"]
