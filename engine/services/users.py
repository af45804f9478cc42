"""The user directory: who exists, their department, roles and the groups they belong to."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bootstrap import Engine
from engine.errors import Conflict, InvalidInput, NotFound, Problem
from engine.persistence.models import Department, User
from engine.services import audit

ROLES = ("applicant", "reviewer", "source_unit_handler", "supervisor", "designer", "admin")


@dataclass(frozen=True)
class UserView:
    """A user as callers see it."""

    name: str
    display_name: str
    department: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"name": self.name, "display_name": self.display_name, "department": self.department,
                "roles": list(self.roles), "groups": list(self.groups)}


def groups_of(user) -> tuple[str, ...]:
    """A user's candidate groups: each role, each role at their department (`role@dept`), and
    `user:NAME` for steps meant for one person (an applicant signing their own commitment)."""
    groups = set(user.roles)
    if user.department:
        groups.update(f"{role}@{user.department}" for role in user.roles)
    groups.add(f"user:{user.name}")
    return tuple(sorted(groups))


def view(user: User) -> UserView:
    """The caller-facing form of a user row."""
    return UserView(user.name, user.display_name, user.department, tuple(user.roles), groups_of(user))


def require_user(session: Session, name: str) -> User:
    """The active user called `name`.

    Raises:
        NotFound: there is no such active user.
    """
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not user.active:
        raise NotFound(f"no user '{name}'")
    return user


def add_user(engine: Engine, name: str, *, department: str | None, roles: list[str],
             display_name: str = "", department_name: str | None = None, actor: str = "admin") -> UserView:
    """Add a user; a department not yet known is added with `department_name` (or its code).

    Raises:
        InvalidInput: a bad name or an unknown role.
        Conflict: the name is taken.
    """
    problems = []
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        problems.append(Problem("NAME", f"'{name}' is not a valid user name (letters, digits, _ - .)"))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        problems.append(Problem("--roles", f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}"))
    if not roles:
        problems.append(Problem("--roles", "at least one role is required"))
    if problems:
        raise InvalidInput("user not added", problems)
    with engine.writing() as uow:
        if department and uow.session.get(Department, department) is None:
            uow.session.add(Department(code=department, name=department_name or department))
        user = User(name=name, display_name=display_name or name, department=department, roles=list(roles),
                    created_at=engine.clock.now())
        uow.session.add(user)
        try:
            uow.session.flush()
        except IntegrityError:
            raise Conflict(f"user '{name}' already exists") from None
        result = view(user)
        audit.append(uow.session, at=engine.clock.now(), actor=actor, action="user.add",
                     after={"name": name, "department": department, "roles": list(roles)})
        uow.commit()
    return result


def list_users(engine: Engine) -> list[UserView]:
    """Every user, by name."""
    with engine.reading() as uow:
        return [view(u) for u in uow.session.scalars(select(User).order_by(User.name))]
