"""task_candidates holds exactly the available tasks, checked after every task transition.

The rows are written when a task opens and kept right by database triggers afterwards
(engine.persistence.triggers), so each test reads the table itself after each step, on a
real SQLite file and a real PostgreSQL server.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.persistence.models import HumanTask, TaskCandidate
from engine.services import definitions, inbox, instances, tasks, timers
from engine.services.inbox import InboxQuery
from engine.services.users import SYSTEM, add_user

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bpmn"
APPROVE = {"decision": "approve"}
# Received Monday 2026-03-02, the art. 20 reply is due by the end of the fifth working day
# after it, Monday 2026-03-09, i.e. 24:00 Beijing time = 16:00 UTC.
REVIEW_DUE = datetime.fromisoformat("2026-03-09T16:00:00+00:00")
REVIEW_GROUPS = ["reviewer", "source_unit_handler"]
PEOPLE = ("alice", "rita", "rob", "sue", "sam")


# The service calls are wrapped here, so a change of their signatures touches only these.

def _deploy(engine, file_name: str) -> None:
    definitions.deploy(engine.uow(), [(file_name, (FIXTURES / file_name).read_bytes())], actor=SYSTEM)


def _start(engine, process_id: str, *, actor: str = "alice"):
    return instances.start(engine.uow(), process_id, actor=actor, data={})


def _claim(engine, task_id: int, actor: str) -> None:
    tasks.claim(engine.uow(), task_id, actor=actor)


def _unclaim(engine, task_id: int, actor: str) -> None:
    tasks.unclaim(engine.uow(), task_id, actor=actor)


def _reassign(engine, task_id: int, actor: str, assignee: str) -> None:
    tasks.reassign(engine.uow(), task_id, actor=actor, assignee=assignee)


def _complete(engine, task_id: int, actor: str) -> dict:
    return tasks.complete(engine.uow(), task_id, actor=actor, data=APPROVE)


def _fire_timers(engine) -> list[str]:
    return [f.task_name for f in timers.sweep(engine.uow, worker="test")]


def _available_page(engine, actor: str) -> list[int]:
    return [row.task_id for row in inbox.page(engine.uow(), actor, InboxQuery(tab="available")).rows]


def _listed(engine, actor: str) -> list[int]:
    return [t["id"] for t in tasks.list_tasks(engine.uow(), actor=actor)]


def _candidate_rows(engine) -> set[tuple[int, str, datetime | None]]:
    with engine.uow().read() as uow:
        rows = uow.session.execute(select(TaskCandidate.task_id, TaskCandidate.group_name, TaskCandidate.due_at))
        return {tuple(row) for row in rows}


def _state(engine, task_id: int) -> str:
    with engine.uow().read() as uow:
        return uow.session.get(HumanTask, task_id).state


def _rows_of(task_id: int, groups: list[str], due_at: datetime | None) -> set[tuple[int, str, datetime | None]]:
    return {(task_id, group, due_at) for group in groups}


@pytest.fixture
def people(engine):
    """An applicant, two reviewers, a source-unit handler and a supervisor; both test processes deployed."""
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "rob", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "sue", department="sjj", roles=["source_unit_handler"], actor=SYSTEM)
    add_user(engine.uow(), "sam", department="sjj", roles=["supervisor"], actor=SYSTEM)
    _deploy(engine, "interrupting_deadline.bpmn")
    _deploy(engine, "withdrawable.bpmn")
    return engine


@pytest.fixture
def review(people) -> int:
    """The id of an open, unclaimed review task (due 2026-03-09) of a new application."""
    return _start(people, "interrupting_deadline").opened_task_ids[0]


def test_an_opened_task_has_one_row_per_candidate_group_with_its_deadline(people, review):
    assert _candidate_rows(people) == _rows_of(review, REVIEW_GROUPS, REVIEW_DUE)
    for actor in ("rita", "sue"):
        assert _available_page(people, actor) == [review]


def test_claiming_removes_the_rows_and_unclaiming_restores_them_with_the_same_deadline(people, review):
    _claim(people, review, "rita")
    assert _candidate_rows(people) == set()
    assert _available_page(people, "rob") == []
    _unclaim(people, review, "rita")
    assert _candidate_rows(people) == _rows_of(review, REVIEW_GROUPS, REVIEW_DUE)
    assert _available_page(people, "rob") == [review]


def test_a_supervisor_reassigning_an_available_task_removes_its_rows(people, review):
    _reassign(people, review, "sam", "rob")
    assert _candidate_rows(people) == set()
    assert _available_page(people, "rita") == []
    _reassign(people, review, "sam", "sue")
    assert _candidate_rows(people) == set()


def test_completing_a_claimed_task_leaves_no_rows(people, review):
    _claim(people, review, "rita")
    _complete(people, review, "rita")
    assert _state(people, review) == "completed"
    assert _candidate_rows(people) == set()


def test_completing_an_unclaimed_task_directly_leaves_no_rows(people, review):
    _complete(people, review, "sue")
    assert _state(people, review) == "completed"
    assert _candidate_rows(people) == set()


def test_a_task_cancelled_by_an_interrupting_timer_loses_its_rows_and_leaves_every_inbox(people, engines, review):
    # The deadline ends at 24:00 on 2026-03-09; by 08:00 the next morning the timer is due.
    later = engines.at("2026-03-10T08:00:00+08:00")
    assert _fire_timers(later) == ["expired"]
    assert _state(later, review) == "cancelled"
    [reconsider] = _listed(later, "sam")
    # The supervisors' task has no deadline rule, so its row has no due_at.
    assert _candidate_rows(later) == _rows_of(reconsider, ["supervisor"], None)
    for actor in PEOPLE:
        assert review not in _available_page(later, actor)
        assert review not in _listed(later, actor)


def test_a_task_cancelled_when_a_parallel_branch_terminates_loses_its_rows(people):
    started = _start(people, "withdrawable")
    with people.uow().read() as uow:
        opened = dict(uow.session.execute(select(HumanTask.task_name, HumanTask.id)
                                          .where(HumanTask.instance_id == started.instance_id)).all())
    review, withdraw = opened["review"], opened["withdraw"]
    assert _candidate_rows(people) == (_rows_of(review, REVIEW_GROUPS, REVIEW_DUE)
                                       | _rows_of(withdraw, ["applicant"], None))
    assert _complete(people, withdraw, "alice")["instance_status"] == "completed"
    assert _state(people, review) == "cancelled"
    assert _candidate_rows(people) == set()
    for actor in PEOPLE:
        assert _available_page(people, actor) == []
        assert _listed(people, actor) == []
