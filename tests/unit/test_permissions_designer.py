"""Who may design processes and who may see an application's progress."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pytest

from engine import permissions


@dataclass
class Person:
    name: str
    department: str | None
    roles: tuple[str, ...]


class Task(NamedTuple):
    candidate_groups: list[str]
    assignee: str | None
    completed_by: str | None


@pytest.mark.parametrize("roles, may", [(("designer",), True), (("admin",), True), (("reviewer",), False),
                                        (("supervisor",), False), (("applicant",), False), ((), False)])
def test_only_designers_and_admins_may_design(roles, may):
    assert permissions.may_design(roles) is may


@pytest.mark.parametrize("person, may", [
    (Person("alice", "gaj", ("applicant",)), True),              # the applicant
    (Person("rita", "sjj", ("reviewer",)), True),                # a candidate of one of its tasks
    (Person("rob", "fgw", ("reviewer",)), False),                # a reviewer of another department
    (Person("ann", "fgw", ("source_unit_handler",)), True),      # who decided one of its tasks
    (Person("sam", "sjj", ("supervisor",)), True),               # an overseer
    (Person("dora", "sjj", ("designer",)), True),                # a designer
    (Person("bob", "fgw", ("applicant",)), False),               # another applicant
])
def test_an_applications_progress_is_seen_by_those_it_concerns(person, may):
    tasks = [Task(["source_unit_handler@gaj"], None, "ann"), Task(["reviewer@sjj"], None, None)]
    assert permissions.may_see_progress(person, started_by="alice", tasks=tasks) is may
