"""Who may make a process change live, and what a process may do once it is.

A process is law turned into BPMN, so a change to one takes four eyes: a designer proposes it,
and a second person with the approving role (`may_approve`) makes it live. What an approved
version may do beyond routing work is declared in it and shown to the approver: the
capabilities of its service tasks that write the catalog, grants or opening state, and, for a
process whose competent unit is the authority, that its decisions stay with the authority.
"""
from __future__ import annotations

import ast
from typing import Iterable

from engine.permissions import ROLES, Person

# The process property declaring the capabilities its service tasks use (comma-separated).
CAPABILITIES = "capabilities"
# Operations that change the catalog, grants or opening state: each needs its capability.
WRITING_OPERATIONS = frozenset({"pdw.record_grant", "pdw.end_grants", "pdw.apply_assessment", "pdw.list_catalog_item",
                                "pdw.apply_sub_catalog", "pdw.suspend_open", "pdw.resume_open"})
# The process property that makes the 公共数据主管部门 the competent unit (engine.services.statutory).
COMPETENT_UNIT = "competentUnit"
AUTHORITY = "authority"
# Roles that decide an application: in a process of the authority, only the authority's.
DECIDING_ROLES = frozenset({"reviewer", "department_head"})
# The instance data naming the competent department, and the applicant (written by the engine).
COMPETENT_DEPARTMENT = "competent_department"
APPLICANT = "applicant"
# Who approves changes: an admin, or this role at the competent department.
APPROVING_ROLE = "department_head"


def declared_capabilities(properties: dict | None) -> frozenset[str]:
    """The capabilities a process's `capabilities` property declares."""
    value = (properties or {}).get(CAPABILITIES) or ""
    return frozenset(c.strip() for c in value.split(",") if c.strip())


def needs_capability(operation: str) -> bool:
    """True when `operation` writes the catalog, grants or opening state."""
    return operation in WRITING_OPERATIONS


def is_authority_process(properties: dict | None) -> bool:
    """True for a process whose competent unit is the 公共数据主管部门."""
    return (properties or {}).get(COMPETENT_UNIT) == AUTHORITY


def may_approve(user: Person, approving_role: str, competent_department: str) -> bool:
    """True when `user` may make a proposed change live: an admin, or `approving_role` at the
    competent department."""
    roles = set(user.roles)
    return "admin" in roles or (approving_role in roles and user.department == competent_department)


def may_decide_catalog(user: Person, competent_department: str) -> bool:
    """True when `user` may approve or refuse a proposed catalog change: an admin, or a reviewer
    or department head of the competent department (the authority reviews catalogs, Art. 13)."""
    roles = set(user.roles)
    return "admin" in roles or (bool(roles & DECIDING_ROLES) and user.department == competent_department)


def group_within_authority(group: str, competent_department: str, applicant: str | None = None) -> bool:
    """True when a candidate group of an authority's process keeps the decision with the
    authority: a deciding role only at the competent department, one person only the applicant."""
    group = group.strip()
    if group.startswith("user:"):
        return applicant is not None and group == f"user:{applicant}"
    role, _, department = group.partition("@")
    if role in DECIDING_ROLES:
        return department == competent_department
    return role in ROLES


def groups_outside_authority(groups: Iterable[str], competent_department: str, applicant: str | None) -> list[str]:
    """The groups of `groups` that would take a decision of the authority elsewhere."""
    return [g for g in groups if not group_within_authority(g, competent_department, applicant)]


def expression_within_authority(expression: str, competent_department: str) -> bool:
    """True when a candidateGroupsExpression provably keeps the decision with the authority:
    `"ROLE@" + competent_department`, `"user:" + applicant`, a non-deciding `"ROLE@" + ...`,
    or a literal group that is within it. Anything else cannot be proved at deploy time."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return group_within_authority(node.value, competent_department)
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)):
        return False
    prefix, rest = node.left.value, node.right
    if prefix == "user:":
        return isinstance(rest, ast.Name) and rest.id == APPLICANT
    role, at, tail = prefix.partition("@")
    if not at or tail or role not in ROLES:
        return False
    if role in DECIDING_ROLES:
        return isinstance(rest, ast.Name) and rest.id == COMPETENT_DEPARTMENT
    return True
