"""Who may do what: the one place that answers for the command line, the web app and the API.

A user has roles and a department. Roles decide what one may do; the groups derived from
them (`groups_of`) decide which tasks land in one's inbox.
"""
from __future__ import annotations

from typing import Iterable, Protocol

ROLES = ("applicant", "reviewer", "source_unit_handler", "supervisor", "designer", "admin")
# Officials who work tasks from an inbox rather than the applicant portal.
STAFF_ROLES = frozenset({"reviewer", "source_unit_handler", "supervisor", "admin"})
# Officials who oversee others' work: see every task, release or reassign it.
OVERSEER_ROLES = frozenset({"supervisor", "admin"})
# The roles (any one of them) that administrative use of an area needs, on the command line,
# the web app and the API alike.
ADMINISTRATION = {
    "users": frozenset({"admin"}),
    "catalog": frozenset({"admin"}),
    "workflows": frozenset({"designer", "admin"}),
    "tokens": frozenset({"admin"}),
}
# A process that names no `startableBy` is open to applicants.
DEFAULT_STARTABLE_BY = "applicant"


class Person(Protocol):
    """Anything with a name, a department and roles (a user row or view)."""

    name: str
    department: str | None
    roles: Iterable[str]


def groups_of(user: Person) -> tuple[str, ...]:
    """A user's candidate groups: each role, each role at their department (`role@dept`), and
    `user:NAME` for steps meant for one person (an applicant signing their own commitment)."""
    groups = set(user.roles)
    if user.department:
        groups.update(f"{role}@{user.department}" for role in user.roles)
    groups.add(f"user:{user.name}")
    return tuple(sorted(groups))


def startable_by(properties: dict | None) -> frozenset[str]:
    """The roles a process's `startableBy` property names (comma-separated)."""
    value = (properties or {}).get("startableBy") or DEFAULT_STARTABLE_BY
    return frozenset(r.strip() for r in value.split(",") if r.strip())


def may_start(roles: Iterable[str], properties: dict | None) -> bool:
    """True when a user with `roles` may start a process with these properties (admins always may)."""
    roles = set(roles)
    return "admin" in roles or bool(startable_by(properties) & roles)


def is_staff(roles: Iterable[str]) -> bool:
    """True for officials who work from the inbox."""
    return bool(STAFF_ROLES & set(roles))


def is_overseer(roles: Iterable[str]) -> bool:
    """True for supervisors and admins: they see every task and may release or reassign it."""
    return bool(OVERSEER_ROLES & set(roles))


def is_candidate(user: Person, candidate_groups: Iterable[str]) -> bool:
    """True when the user is in one of a task's candidate groups."""
    return bool(set(groups_of(user)) & set(candidate_groups))


def may_release(user: Person, assignee: str | None) -> bool:
    """True when the user may give a claimed task back: its holder or an overseer."""
    return assignee == user.name or is_overseer(user.roles)


def may_see_task(user: Person, *, candidate_groups: Iterable[str], assignee: str | None,
                 completed_by: str | None, started_by: str) -> bool:
    """True when the user may open a task: a candidate, an overseer, its holder or decider, or
    the applicant whose application it belongs to."""
    return (is_candidate(user, candidate_groups) or is_overseer(user.roles)
            or user.name in (assignee, completed_by, started_by))


def may_administer(roles: Iterable[str], area: str) -> bool:
    """True when a user with `roles` may administer `area` (users, catalog, workflows, tokens)."""
    return bool(ADMINISTRATION[area] & set(roles))


def may_see_application(user: Person, *, started_by: str, tasks: Iterable) -> bool:
    """True when the user may read an application: its applicant, an overseer, or someone who may
    open one of its tasks (`tasks` have candidate_groups, assignee and completed_by)."""
    return user.name == started_by or is_overseer(user.roles) or any(
        may_see_task(user, candidate_groups=t.candidate_groups, assignee=t.assignee, completed_by=t.completed_by,
                     started_by=started_by) for t in tasks)
