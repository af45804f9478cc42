"""Who may do what: the one place that answers for the command line, the web app and the API.

A user has roles and a department. Roles decide what one may do; the groups derived from
them (`groups_of`) decide which tasks land in one's inbox.
"""
from __future__ import annotations

from typing import Iterable, Protocol

# What a person reads for a role (a candidate group `role@DEPT` reads "<department> <role>").
ROLE_NAMES = {"applicant": "申请人", "reviewer": "审核人员", "source_unit_handler": "数源单位经办人",
              "supervisor": "督办人员", "department_head": "部门负责人", "designer": "流程设计人员",
              "admin": "系统管理员"}
ROLES = ("applicant", "reviewer", "source_unit_handler", "supervisor", "department_head", "designer", "admin")
# Officials who work tasks from an inbox rather than the applicant portal.
STAFF_ROLES = frozenset({"reviewer", "source_unit_handler", "supervisor", "admin"})
# Officials who oversee others' work: see every task, release or reassign it.
OVERSEER_ROLES = frozenset({"supervisor", "admin"})
# The kind of department that is a level's 主管部门 (Art. 6 para. 2, 49): the city's supervisors
# see every level, a county's its county.
AUTHORITY_KIND = "authority"
# The kinds of level: the city, to which every figure rolls up, and its counties and districts.
CITY, COUNTY = "city", "county"
LEVEL_KINDS = (CITY, COUNTY)
# The roles (any one of them) that administrative use of an area needs, on the command line,
# the web app and the API alike.
ADMINISTRATION = {
    "users": frozenset({"admin"}),
    "catalog": frozenset({"admin"}),
    "workflows": frozenset({"designer", "admin"}),
    "tokens": frozenset({"admin"}),
    "mail": frozenset({"admin"}),
    "rounds": frozenset({"admin"}),
    "organisation": frozenset({"admin"}),
}
# A process that names no `startableBy` is open to applicants.
DEFAULT_STARTABLE_BY = "applicant"

# Who an account acts for, which decides under which articles it may apply: Art. 20, 22 and 23
# give applications to 政务部门和公共服务组织; Art. 16, 27 and 28 to 自然人、法人和非法人组织 too.
ACCOUNT_KINDS = ("government", "public_service", "organisation", "person")
ACCOUNT_KIND_NAMES = {"government": ("政务部门", "government department"),
                      "public_service": ("公共服务组织", "public service organisation"),
                      "organisation": ("法人/非法人组织", "legal person or unincorporated organisation"),
                      "person": ("自然人", "natural person")}
# The account kind of a department's members, by the department's `kind`; an account without a
# department acts for itself (自然人).
_KIND_OF_DEPARTMENT = {"authority": "government", "operator": "government", "source_unit": "government",
                       "department": "government", "public_service": "public_service",
                       "company": "organisation", "organisation": "organisation"}
# The fixed vocabulary of a department's `kind`, with what a person reads for each.
DEPARTMENT_KINDS = {"authority": ("公共数据主管部门", "public data authority"),
                    "department": ("政务部门", "government department"),
                    "source_unit": ("数源单位", "source unit"),
                    "operator": ("运营单位", "operating unit"),
                    "public_service": ("公共服务组织", "public service organisation"),
                    "company": ("企业", "company"),
                    "organisation": ("法人/非法人组织", "legal person or unincorporated organisation")}
# The process property naming the account kinds that may apply (comma-separated; default: every
# kind); `applicantKinds:FIELD=VALUE` narrows it for applications whose FIELD has that VALUE.
APPLICANT_KINDS = "applicantKinds"
# The process property that keeps starting a process to the staff of the 公共数据主管部门 itself
# (`startableAt = authority`): rounds the authority organises (Art. 21, 26).
STARTABLE_AT = "startableAt"


class Person(Protocol):
    """Anything with a name, a department and roles (a user row or view)."""

    name: str
    department: str | None
    roles: Iterable[str]


def groups_of(user: Person) -> tuple[str, ...]:
    """A user's candidate groups: each role, each role at their department (`role@dept`), and
    `user:NAME` for steps meant for one person (an applicant signing their own commitment).

    The bare `supervisor` group is the city authority's supervisors (督办 steps and alerts
    about every department): a department's own supervisors, and a county authority's, are
    `supervisor@DEPT` only, so an escalation about another unit's applicant never reaches them.
    A user row without `department_kind` is taken for a department's.
    """
    authority = is_city_authority(user)
    groups = {role for role in user.roles if role != "supervisor" or authority}
    if user.department:
        groups.update(f"{role}@{user.department}" for role in user.roles)
    groups.add(f"user:{user.name}")
    return tuple(sorted(groups))


def startable_by(properties: dict | None) -> frozenset[str]:
    """The roles a process's `startableBy` property names (comma-separated)."""
    value = (properties or {}).get("startableBy") or DEFAULT_STARTABLE_BY
    return frozenset(r.strip() for r in value.split(",") if r.strip())


def account_kind(department: str | None, department_kind: str | None) -> str:
    """The kind of account (one of ACCOUNT_KINDS) of a member of `department` of `department_kind`."""
    if not department:
        return "person"
    return _KIND_OF_DEPARTMENT.get(department_kind or "department", "government")


def applicant_kinds(properties: dict | None, data: dict | None = None) -> frozenset[str]:
    """The account kinds that may file an application with `data` under a process with these properties."""
    properties = properties or {}
    value = properties.get(APPLICANT_KINDS)
    for name, narrowed in properties.items():
        field, _, wanted = name.removeprefix(APPLICANT_KINDS + ":").partition("=")
        if name.startswith(APPLICANT_KINDS + ":") and data is not None and str(data.get(field)) == wanted:
            value = narrowed
    if not value:
        return frozenset(ACCOUNT_KINDS)
    return frozenset(k.strip() for k in value.split(",") if k.strip())


def may_start(roles: Iterable[str], properties: dict | None, kind: str, data: dict | None = None, *,
              at_authority: bool = False) -> bool:
    """True when a user with `roles` and account `kind` may start a process with these properties,
    for an application with `data` when given; `at_authority`: the user belongs to the competent
    authority, which a process marked `startableAt = authority` requires (admins always may)."""
    roles = set(roles)
    if "admin" in roles:
        return True
    if (properties or {}).get(STARTABLE_AT) == AUTHORITY_KIND and not at_authority:
        return False
    return bool(startable_by(properties) & roles) and kind in applicant_kinds(properties, data)


def is_staff(roles: Iterable[str]) -> bool:
    """True for officials who work from the inbox."""
    return bool(STAFF_ROLES & set(roles))


def is_overseer(roles: Iterable[str]) -> bool:
    """True for supervisors and admins: they see every task and may release or reassign it."""
    return bool(OVERSEER_ROLES & set(roles))


def may_end_authorisation(user: Person, competent_department: str) -> bool:
    """True when the user may end a grant (Art. 43): a reviewer of the competent authority
    (`competent_department`: the city's, whose register it is), or an admin."""
    roles = set(user.roles)
    return "admin" in roles or ("reviewer" in roles and user.department == competent_department)


def may_read_grants(user: Person, competent_department: str) -> bool:
    """True when the user may read the register of every grant: whoever may end one, and
    supervisors (a grantee reads their own grants on the applicant's pages)."""
    return may_end_authorisation(user, competent_department) or is_overseer(user.roles)


def shows_grant_register(user: Person) -> bool:
    """True when the main navigation links the register of grants: admins, supervisors and the
    city authority's reviewers (the register itself checks with `may_read_grants`)."""
    roles = set(user.roles)
    return is_overseer(roles) or ("reviewer" in roles and is_city_authority(user))


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


def may_supervise(roles: Iterable[str]) -> bool:
    """True for those who read the supervision reports and send 催办: supervisors and admins."""
    return is_overseer(roles)


def is_city_authority(user: Person) -> bool:
    """True for a member of the city's 主管部门 (a department of kind `authority` at the city level;
    a user row without `level_kind` is taken for the city's, as before levels were modelled)."""
    return getattr(user, "department_kind", None) == AUTHORITY_KIND and getattr(user, "level_kind", None) != COUNTY


def supervised_scope(user: Person, department_kind: str | None, level_kind: str | None,
                     level_departments: Iterable[str] = ()) -> frozenset[str] | None:
    """The departments whose work a supervisor oversees, or None for every department: the city
    authority's supervisors (and admins) see every level (the roll-up), a county authority's the
    departments of their county (`level_departments`), a department's own supervisors their own."""
    if "admin" in set(user.roles):
        return None
    if department_kind == AUTHORITY_KIND:
        if level_kind != COUNTY:
            return None
        return frozenset(level_departments) | {user.department}
    return frozenset({user.department}) if user.department else frozenset()


def may_design(roles: Iterable[str]) -> bool:
    """True for process designers and admins: they save, validate, deploy and migrate processes."""
    return may_administer(roles, "workflows")


def may_see_application(user: Person, *, started_by: str, tasks: Iterable) -> bool:
    """True when the user may read an application and its documents: its applicant, an overseer,
    or someone who may open one of its tasks (`tasks` have candidate_groups, assignee and completed_by)."""
    return user.name == started_by or is_overseer(user.roles) or any(
        may_see_task(user, candidate_groups=t.candidate_groups, assignee=t.assignee, completed_by=t.completed_by)
        for t in tasks)


def may_see_progress(user: Person, *, started_by: str, tasks: Iterable) -> bool:
    """True when the user may see which steps of an application are done and open (its diagram):
    whoever may read the application, and designers, who follow their processes' running versions."""
    return may_see_application(user, started_by=started_by, tasks=tasks) or may_design(user.roles)


def sees_internal_work(user: Person) -> bool:
    """True for officials, who read an application's internal steps, opinions and who did what;
    applicants are shown only what was decided for them (see engine.disclosure)."""
    return is_staff(user.roles)


def may_withdraw(user: Person, started_by: str) -> bool:
    """True when the user may withdraw an application: only the applicant who made it."""
    return user.name == started_by



def may_administer(roles: Iterable[str], area: str) -> bool:
    """True when a user with `roles` may administer `area` (users, catalog, workflows, tokens)."""
    return bool(ADMINISTRATION[area] & set(roles))
