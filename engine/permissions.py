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
                 completed_by: str | None) -> bool:
    """True when the user may open a task: a candidate, an overseer, or its holder or decider.

    The applicant whose application it belongs to sees the steps meant for them (as a
    candidate) and the replies on their application's page, not the officials' steps.
    """
    return is_candidate(user, candidate_groups) or is_overseer(user.roles) or user.name in (assignee, completed_by)


def sees_internal_work(user: Person) -> bool:
    """True for officials, who read an application's internal steps, opinions and who did what;
    applicants are shown only what was decided for them (see engine.disclosure)."""
    return is_staff(user.roles)


def may_withdraw(user: Person, started_by: str) -> bool:
    """True when the user may withdraw an application: only the applicant who made it."""
    return user.name == started_by


def may_see_application(user: Person, *, started_by: str, candidate_groups: Iterable[Iterable[str]]) -> bool:
    """True when the user may see an application and its documents: its applicant, an overseer,
    or a candidate for any of its steps."""
    return (user.name == started_by or is_overseer(user.roles)
            or any(is_candidate(user, groups) for groups in candidate_groups))
