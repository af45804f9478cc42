"""The engine's services on a real SQLite file and a real PostgreSQL server."""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import AuditEntry, HumanTask, ProcessInstance, Timer
from engine.services import audit, definitions, instances, tasks, timers
from engine.services.users import SYSTEM, add_user

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bpmn"


def deploy(engine, name: str, content: bytes | None = None):
    content = content if content is not None else (FIXTURES / name).read_bytes()
    return definitions.deploy(engine.uow(), [(name, content)], actor=SYSTEM)


@pytest.fixture
def people(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "rob", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "sam", department="sjj", roles=["supervisor"], actor=SYSTEM)
    return engine


def count(engine, model) -> int:
    with engine.uow().read() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def test_deploying_unchanged_content_keeps_the_version_and_a_change_makes_a_new_one(engine):
    assert [d.version for d in deploy(engine, "two_reviews.bpmn")] == [1]
    assert [(d.version, d.created) for d in deploy(engine, "two_reviews.bpmn")] == [(1, False)]
    changed = (FIXTURES / "two_reviews.bpmn").read_bytes().replace("初审".encode(), "初步审核".encode())
    assert [(d.version, d.created) for d in deploy(engine, "two_reviews.bpmn", changed)] == [(2, True)]
    assert definitions.list_definitions(engine.uow())[0]["version"] == 2


def test_an_instance_stays_on_the_version_it_started_with(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    changed = (FIXTURES / "two_reviews.bpmn").read_bytes().replace("复审".encode(), "终审".encode())
    deploy(engine, "two_reviews.bpmn", changed)
    task_id = tasks.of_instance(engine.uow(), started.instance_id)[0]["id"]
    tasks.claim(engine.uow(), task_id, actor="rita")
    tasks.complete(engine.uow(), task_id, actor="rita", data={"decision": "approve"})
    second = tasks.of_instance(engine.uow(), started.instance_id)[0]
    assert second["title"] == "复审"
    assert instances.read_stored(engine.uow(), started.instance_id)["version"] == 1


def test_a_rule_deadline_is_computed_from_the_receipt_date_and_stored_with_its_article(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    assert started.receipt_number == "DZ2026030200001"
    task = tasks.of_instance(engine.uow(), started.instance_id)[0]
    # Received Monday 2026-03-02: the fifth working day after it is Monday 2026-03-09.
    assert task["due_date"] == "2026-03-09"
    assert task["deadline_rule"] == "art20_share_reply"
    assert task["deadline_article"].startswith("第二十条")
    assert task["deadline_provisional"] is False
    assert task["due_at"].startswith("2026-03-09T16:00:00")


def test_a_full_run_completes_the_instance_and_the_audit_chain_verifies(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    first = tasks.list_tasks(engine.uow(), actor="rita")[0]
    tasks.claim(engine.uow(), first["id"], actor="rita")
    tasks.complete(engine.uow(), first["id"], actor="rita", data={"decision": "approve", "reason": "符合条件"})
    second = tasks.list_tasks(engine.uow(), actor="sam")[0]
    assert second["task_name"] == "second_review"
    tasks.claim(engine.uow(), second["id"], actor="sam")
    result = tasks.complete(engine.uow(), second["id"], actor="sam", data={"decision": "approve"})
    assert result["instance_status"] == "completed"
    shown = instances.read_stored(engine.uow(), started.instance_id)
    assert shown["status"] == "completed"
    assert [h["action"] for h in shown["history"]] == [
        "instance.start", "task.claim", "task.complete", "task.claim", "task.complete"]
    report = audit.verify(engine.uow())
    assert report.ok, report.problems


def test_exactly_one_of_many_simultaneous_claims_wins(people, engines):
    engine = people
    for n in range(6):
        add_user(engine.uow(), f"rev{n}", department="sjj", roles=["reviewer"], actor=SYSTEM)
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "并发"})
    task_id = tasks.of_instance(engine.uow(), started.instance_id)[0]["id"]
    contenders = [engines.at() for _ in range(6)]
    barrier = threading.Barrier(6)
    outcomes: dict[str, str] = {}

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            tasks.claim(contenders[n].uow(), task_id, actor=f"rev{n}")
            outcomes[f"rev{n}"] = "won"
        except Conflict as err:
            outcomes[f"rev{n}"] = str(err)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [name for name, result in outcomes.items() if result == "won"]
    assert len(winners) == 1
    for name, result in outcomes.items():
        if name != winners[0]:
            assert result == f"task {task_id} is already claimed by {winners[0]}"


def test_only_the_assignee_may_complete_and_invalid_data_changes_nothing(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    task_id = tasks.of_instance(engine.uow(), started.instance_id)[0]["id"]
    with pytest.raises(PermissionDenied, match="not yours to open"):  # alice applied: she knows the step exists
        tasks.complete(engine.uow(), task_id, actor="alice", data={"decision": "approve"})
    tasks.claim(engine.uow(), task_id, actor="rita")
    with pytest.raises(PermissionDenied, match="claimed by rita"):
        tasks.complete(engine.uow(), task_id, actor="rob", data={"decision": "approve"})
    entries_before = count(engine, AuditEntry)
    with pytest.raises(InvalidInput) as caught:
        tasks.complete(engine.uow(), task_id, actor="rita", data={"decision": "maybe", "extra": 1})
    fields = {p.where for p in caught.value.problems}
    assert fields == {"decision", "extra"}
    assert count(engine, AuditEntry) == entries_before
    assert tasks.of_instance(engine.uow(), started.instance_id)[0]["state"] == "open"


def test_an_application_failing_the_start_form_is_refused_naming_the_field(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    with pytest.raises(InvalidInput) as caught:
        instances.start(engine.uow(), "two_reviews", actor="alice", data={"amount": -1})
    assert {p.where for p in caught.value.problems} == {"subject", "amount"}
    assert count(engine, ProcessInstance) == 0


def test_a_user_without_an_allowed_role_may_not_start_and_unknown_names_are_reported(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    with pytest.raises(PermissionDenied, match="needs one of: applicant"):
        instances.start(engine.uow(), "two_reviews", actor="rita", data={"subject": "x" * 3})
    with pytest.raises(NotFound, match="no deployed process 'nope'"):
        instances.start(engine.uow(), "nope", actor="alice")
    with pytest.raises(NotFound, match="no user 'ghost'"):
        instances.start(engine.uow(), "two_reviews", actor="ghost")


def test_unclaim_and_supervisor_reassign(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    task_id = tasks.of_instance(engine.uow(), started.instance_id)[0]["id"]
    tasks.claim(engine.uow(), task_id, actor="rita")
    with pytest.raises(PermissionDenied):
        tasks.unclaim(engine.uow(), task_id, actor="rob")
    assert tasks.unclaim(engine.uow(), task_id, actor="rita")["assignee"] is None
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        tasks.reassign(engine.uow(), task_id, actor="rita", assignee="rob")
    assert tasks.reassign(engine.uow(), task_id, actor="sam", assignee="rob")["assignee"] == "rob"


def test_scripts_and_computed_candidate_groups_run_in_the_sandbox(people):
    engine = people
    add_user(engine.uow(), "gina", department="gaj", roles=["reviewer"], actor=SYSTEM)
    deploy(engine, "scripted.bpmn")
    started = instances.start(engine.uow(), "scripted", actor="alice", data={"amount": 21, "unit": "gaj"})
    assert started.status == "running"
    task = tasks.of_instance(engine.uow(), started.instance_id)[0]
    assert task["candidate_groups"] == ["reviewer@gaj"]
    assert [t["id"] for t in tasks.list_tasks(engine.uow(), actor="gina")] == [task["id"]]
    assert tasks.list_tasks(engine.uow(), actor="rita") == []
    data = instances.read_stored(engine.uow(), started.instance_id)["data"]
    assert data["doubled"] == 42
    assert data["reply_by"] == "2026-03-09"


def test_a_runaway_script_marks_the_instance_errored_with_a_clear_message(people):
    engine = people
    deploy(engine, "runaway.bpmn")
    started = instances.start(engine.uow(), "runaway", actor="alice", data={"unit": "gaj"})
    assert started.status == "errored"
    assert "compute" in started.error and "longer than" in started.error
    assert instances.read_stored(engine.uow(), started.instance_id)["status"] == "errored"


def test_a_deadline_timer_fires_once_when_due_and_escalates_without_cancelling(people, engines):
    engine = people
    deploy(engine, "deadline_escalation.bpmn")
    started = instances.start(engine.uow(), "deadline_escalation", actor="alice", data={})
    with engine.uow().read() as uow:
        due_at = uow.session.scalars(select(Timer.due_at)).one()
    # Due at the end of 2026-03-09 (Beijing), i.e. 16:00 UTC that day.
    assert due_at.isoformat() == "2026-03-09T16:00:00+00:00"
    assert timers.sweep(engines.at("2026-03-09T23:59:00+08:00").uow, worker="a") == []
    later = engines.at("2026-03-10T08:00:00+08:00")
    fired = timers.sweep(later.uow, worker="a")
    assert [f.task_name for f in fired] == ["overdue"]
    assert timers.sweep(later.uow, worker="b") == []
    open_tasks = {t["task_name"] for t in tasks.of_instance(later.uow(), started.instance_id)}
    assert open_tasks == {"review", "escalation"}


def test_two_schedulers_sweeping_at_once_fire_each_timer_exactly_once(people, engines):
    engine = people
    deploy(engine, "deadline_escalation.bpmn")
    for _ in range(8):
        instances.start(engine.uow(), "deadline_escalation", actor="alice", data={})
    schedulers = [engines.at("2026-03-20T09:00:00+08:00") for _ in range(2)]
    results: dict[int, list] = {}
    barrier = threading.Barrier(2)

    def run(n: int) -> None:
        barrier.wait()
        results[n] = timers.sweep(schedulers[n].uow, worker=f"s{n}")

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = [f.timer_id for n in results for f in results[n]]
    assert sorted(fired) == sorted(set(fired))
    assert len(fired) == 8
    with engine.uow().read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(HumanTask)
                                  .where(HumanTask.task_name == "escalation")) == 8


def test_audit_verify_detects_an_edited_and_a_deleted_entry(people):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    for _ in range(3):
        instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    assert audit.verify(engine.uow()).ok
    with engine.uow() as uow:
        uow.session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
        uow.commit()
    report = audit.verify(engine.uow())
    assert report.problems == ["entry 3: contents do not match its hash (the row was edited)"]
    with engine.uow() as uow:
        uow.session.execute(text("DELETE FROM audit_log WHERE id = 3"))
        uow.commit()
    report = audit.verify(engine.uow())
    # Entry 3's successor in its application's chain no longer links, or, if it was the last,
    # the chain's head points past it.
    assert any("does not link to the entry before it" in p or "the head points past the last entry" in p
               for p in report.problems)


def test_receipt_numbers_count_per_day(people, engines):
    engine = people
    deploy(engine, "two_reviews.bpmn")
    numbers = [instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口"}).receipt_number
               for _ in range(2)]
    next_day = engines.at("2026-03-03T10:00:00+08:00")
    numbers.append(instances.start(next_day.uow(), "two_reviews", actor="alice", data={"subject": "人口"}).receipt_number)
    assert numbers == ["DZ2026030200001", "DZ2026030200002", "DZ2026030300001"]
    with engine.uow().read() as uow:
        received = uow.session.scalars(select(ProcessInstance.received_on).order_by(ProcessInstance.id)).all()
    assert received == [date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 3)]


def test_candidate_rows_are_kept_only_while_their_task_is_open(people):
    from engine.persistence.models import TaskCandidate

    engine = people
    deploy(engine, "two_reviews.bpmn")
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"})
    assert count(engine, TaskCandidate) == 1
    first = started.opened_task_ids[0]
    second = tasks.complete(engine.uow(), first, actor="rita", data={"decision": "approve"})["opened_task_ids"][0]
    with engine.uow().read() as uow:
        rows = uow.session.execute(select(TaskCandidate.task_id, TaskCandidate.group_name)).all()
    assert [tuple(r) for r in rows] == [(second, "supervisor")]
    tasks.complete(engine.uow(), second, actor="sam", data={"decision": "approve"})
    assert count(engine, TaskCandidate) == 0


def test_claiming_takes_a_task_off_its_groups_and_unclaiming_puts_it_back(people):
    from engine.persistence.models import TaskCandidate

    engine = people
    deploy(engine, "two_reviews.bpmn")
    task_id = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口数据"}).opened_task_ids[0]
    tasks.claim(engine.uow(), task_id, actor="rita")
    assert count(engine, TaskCandidate) == 0
    assert [t["id"] for t in tasks.list_tasks(engine.uow(), actor="rob")] == []
    tasks.unclaim(engine.uow(), task_id, actor="rita")
    with engine.uow().read() as uow:
        rows = uow.session.execute(select(TaskCandidate.task_id, TaskCandidate.group_name,
                                          TaskCandidate.due_at)).all()
    assert [(r.task_id, r.group_name, r.due_at.isoformat()) for r in rows] == [
        (task_id, "reviewer", "2026-03-09T16:00:00+00:00")]
    assert [t["id"] for t in tasks.list_tasks(engine.uow(), actor="rob")] == [task_id]
