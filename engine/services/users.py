"""The user directory: who exists, their department, roles and the groups they belong to."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.permissions import ROLES, account_kind, groups_of
from engine.persistence.models import Department, User
from engine.persistence.unit_of_work import UnitOfWork

# The operator acting on the installation itself rather than through an account: `pdw db
# upgrade` and `pdw demo load` installing what ships, `pdw users add` adding the first admin to
# an empty directory. Administrative services accept it as they accept an admin. It can be no
# user's name (a name has no ":"), so no session or API token ever acts as it; only code that
# runs on the server passes it, by name, never as a default.
SYSTEM = "pdw:system"
# How SYSTEM is named where people read who acted (it starts the periodic rounds).
SYSTEM_NAME = "系统（按周期自动发起）"


@dataclass(frozen=True)
class UserView:
    """A user as callers see it."""

    name: str
    display_name: str
    department: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    # Which of the user's sessions are alive (see accounts.end_sessions); no part of to_dict.
    session_generation: int = 0
    # Their department's kind and their level's kind (engine.permissions.is_city_authority).
    department_kind: str | None = None
    level_kind: str | None = None

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"name": self.name, "display_name": self.display_name, "department": self.department,
                "roles": list(self.roles), "groups": list(self.groups)}


def view(user: User) -> UserView:
    """The caller-facing form of a user row."""
    return UserView(user.name, user.display_name, user.department, tuple(user.roles), groups_of(user),
                    user.session_generation or 0, user.department_kind, user.level_kind)


def require_user(session: Session, name: str) -> User:
    """The active user called `name`.

    Raises:
        NotFound: there is no such active user.
    """
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not user.active:
        raise NotFound("user.not_found", name=name)
    return user


def account_kind_of(session: Session, user: User) -> str:
    """The kind of account `user` has (engine.permissions.ACCOUNT_KINDS), from their department."""
    department = session.get(Department, user.department) if user.department else None
    return account_kind(user.department, department.kind if department else None)


def end_sessions_of(user: User) -> None:
    """Move `user`'s session generation on: every session cookie issued before is dead."""
    user.session_generation += 1


def require_administrator(session: Session, actor: str, area: str) -> None:
    """Inside a use case: refuse unless `actor` is SYSTEM or an active user who may administer
    `area` (engine.permissions.ADMINISTRATION).

    Raises:
        NotFound: `actor` is no active user.
        PermissionDenied: the user's roles do not include one the area needs.
    """
    if actor == SYSTEM:
        return
    user = require_user(session, actor)
    if not permissions.may_administer(user.roles, area):
        raise PermissionDenied("command.forbidden", user=actor, area=area,
                               needed=sorted(permissions.ADMINISTRATION[area]))


def has_admin(uow: UnitOfWork) -> bool:
    """True once the directory holds an admin (before that only SYSTEM can add users)."""
    with uow.read():
        return any("admin" in roles for roles in uow.session.scalars(select(User.roles)))


def add_user(uow: UnitOfWork, name: str, *, actor: str, department: str | None, roles: list[str],
             display_name: str = "", department_name: str | None = None,
             email: str | None = None, known_department: bool = False, department_kind: str | None = None,
             level: str | None = None) -> UserView:
    """Add a user; a department not yet known is added with `department_name` (or its code), of
    `department_kind` (default: `authority` for the city's competent authority, else `department`)
    at `level` (default: the city). An account without a department acts at `level` (a citizen's
    county; default the city). `email` is where notifications are e-mailed when an SMTP server is set.

    With `known_department` (the command line's way) a department not yet known is refused
    unless `department_name` is given, so a mistyped code does not make a new department; the
    organisation itself is built with `pdw departments add` (engine.services.organisation).

    Raises:
        InvalidInput: a bad name or an unknown role.
        Conflict: the name is taken.
        NotFound, PermissionDenied: `actor` may not administer users (require_administrator).
    """
    problems = []
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        problems.append(Problem("user.name_invalid", {"name": name}, field="name"))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        problems.append(Problem("user.roles_unknown", {"roles": unknown, "known": list(ROLES)}, field="roles"))
    if not roles:
        problems.append(Problem("user.roles_missing", field="roles"))
    if email is not None and (email.count("@") != 1 or not all(email.split("@")) or any(c.isspace() for c in email)):
        problems.append(Problem("user.email_invalid", {"email": email}, field="email"))
    if problems:
        raise InvalidInput("user.not_added", problems)
    with uow:
        require_administrator(uow.session, actor, "users")
        now = uow.engine.clock.now()
        from engine.services import organisation  # it reads the directory through this module

        existing = uow.session.get(Department, department) if department else None
        if department and existing is None:
            if known_department and department_name is None:
                known = sorted(uow.session.scalars(select(Department.code)))
                raise InvalidInput("user.not_added", [Problem("user.department_unknown",
                                                              {"department": department, "known": known},
                                                              field="department")])
            # Said, never guessed from the code: only the city's authority (the configured
            # bootstrap default) starts as `authority` unless a kind is given.
            kind = department_kind or (
                permissions.AUTHORITY_KIND if department == organisation.authority_of_level(
                    uow.session, uow.engine.config, level) else "department")
            if kind not in permissions.DEPARTMENT_KINDS:
                known = list(permissions.DEPARTMENT_KINDS)
                raise InvalidInput("user.not_added", [Problem("department.kind_unknown", {"kind": kind, "known": known},
                                                              field="department_kind")])
            organisation.create_department(uow.session, uow.engine.config, department,
                                           name=department_name or department, full_name=None, kind=kind, level=level)
        elif existing is not None and existing.retired_at is not None:
            raise Conflict("department.retired", department=department)
        own_level = None
        if not department and level:
            own_level = organisation.require_level(uow.session, level).code
        user = User(name=name, display_name=display_name or name, department=department, roles=list(roles),
                    created_at=now, email=email, level=own_level)
        uow.session.add(user)
        try:
            uow.session.flush()
        except IntegrityError:
            raise Conflict("user.exists", name=name) from None
        result = view(user)
        uow.audit.append(at=now, actor=actor, action="user.add",
                         after={"name": name, "department": department, "roles": list(roles)})
        uow.commit()
    return result


def disable_user(uow: UnitOfWork, name: str, *, actor: str) -> None:
    """Stop `name` from signing in and end every session they hold; their history stays.

    Raises:
        NotFound: no such active user.
        PermissionDenied: `actor` may not administer users.
    """
    with uow:
        require_administrator(uow.session, actor, "users")
        user = require_user(uow.session, name)
        user.active = False
        end_sessions_of(user)
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="user.disable", after={"name": name})
        uow.commit()


def has_admin(uow: UnitOfWork) -> bool:
    """True once the directory holds an admin (until then the operator, SYSTEM, adds the first)."""
    with uow.read():
        return any("admin" in roles for roles in uow.session.scalars(select(User.roles)))


def authorize(uow: UnitOfWork, actor: str, area: str) -> UserView | None:
    """The active user `actor`, if they may administer `area` (see permissions.ADMINISTRATION).

    Until the directory holds an admin, adding users needs no one, so the first admin can be added.

    Returns:
        The user, or None while users are added to a directory without an admin.

    Raises:
        NotFound: no such active user.
        PermissionDenied: the user's roles do not include one the area needs.
    """
    with uow.read():
        session = uow.session
        if area == "users" and not any("admin" in roles for roles in session.scalars(select(User.roles))):
            return None
        require_administrator(session, actor, area)
        return view(require_user(session, actor))


def list_users(uow: UnitOfWork) -> list[UserView]:
    """Every user, by name."""
    with uow.read():
        return [view(u) for u in uow.session.scalars(select(User).order_by(User.name))]
