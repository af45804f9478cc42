"""BPMN that validation accepts but that misbehaves at run time cannot hurt the engine.

Each file of tests/fixtures/bpmn/hostile/runtime computes its bad value at run time (a literal
one the validator refuses). Each must end in a clean errored or lawful state, with the reason
naming the element, no traceback, an instance that still loads and an audit log that verifies,
on a real SQLite file and a real PostgreSQL server.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.bootstrap import build_engine
from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import CatalogItem, HumanTask, Timer
from engine.services import audit, definitions, instances, tasks, timers
from engine.services.users import SYSTEM, add_user
from engine_factory import FROZEN, TEST_ENGINE_STEPS, config_for_tests

BPMN = Path(__file__).parent.parent / "fixtures" / "bpmn"
FIXTURES_FORMS = Path(__file__).parent.parent / "fixtures" / "forms"
RUNTIME = BPMN / "hostile" / "runtime"

# file: (status after start, a fragment of the error)
STARTS = {
    "timer_billion_years": ("errored", "element 'wait': timer is more than 100 years away"),
    "timer_int_duration": ("errored", "element 'wait': timer value 5 is not a valid ISO 8601 duration"),
    "timer_list_duration": ("errored", "element 'wait': timer value [1, 2] is not a valid ISO 8601 duration"),
    "timer_bare_w": ("errored", "element 'wait': timer value 'W' is not a valid ISO 8601 date and time"),
    "timer_long_text": ("errored", "element 'wait': timer value 'P9999"),
    "timer_year_one": ("errored", "element 'wait': timer is more than 100 years away"),
    "cycle_zero": ("errored", "element 'remind': a repeating timer's period is shorter than 60 s"),
    "endless_gateway_loop": ("errored", f"more than {TEST_ENGINE_STEPS} engine steps in one command (an endless loop?)"),
    "endless_standard_loop": ("errored", f"element 'spin': more than {TEST_ENGINE_STEPS} engine steps in one command"),
    "mi_cardinality": ("errored", "element 'fan': a multi-instance of 200000 exceeds the limit of 200"),
    "mi_collection": ("errored", "element 'fan': a multi-instance of 20000 exceeds the limit of 200"),
    "oversized_data": ("errored", "the limit is 4194304 bytes"),
    "candidates_int": ("errored", "element 'review': candidateGroupsExpression must give a text or a list of texts, "
                                  "not int"),
    "typename_data": ("running", None),
    "post_script_raises": ("running", None),
    "poisoned_escalation": ("running", None),
}


def _deploy(engine, path: Path) -> None:
    definitions.deploy(engine.uow(), [(path.name, path.read_bytes())], actor=SYSTEM)


@pytest.fixture
def people(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "sam", department="sjj", roles=["supervisor"], actor=SYSTEM)
    return engine


def test_every_runtime_file_is_accepted_by_validation_and_has_an_expected_outcome():
    files = sorted(p.stem for p in RUNTIME.glob("*.bpmn"))
    assert files == sorted(STARTS)


@pytest.mark.parametrize("name", sorted(STARTS))
def test_a_misbehaving_process_ends_clean_and_its_instance_still_loads(people, name):
    engine = people
    _deploy(engine, RUNTIME / f"{name}.bpmn")
    started = instances.start(engine.uow(), name, actor="alice", data={})
    status, error = STARTS[name]
    assert started.status == status
    if error:
        assert error in started.error
    shown = instances.read_stored(engine.uow(), started.instance_id)
    assert shown["status"] == status and (shown["error"] or "") == (started.error or "")
    assert audit.verify(engine.uow()).ok
    if status == "errored":
        # Nothing of the failed step stays behind: no task rows, no timers.
        assert tasks.of_instance(engine.uow(), started.instance_id, state=None) == []
        with engine.uow().read() as uow:
            assert uow.session.scalars(select(Timer.id)).all() == []


def test_data_that_looks_like_a_serialized_object_stays_data(people):
    engine = people
    _deploy(engine, RUNTIME / "typename_data.bpmn")
    started = instances.start(engine.uow(), "typename_data", actor="alice", data={})
    done = tasks.complete(engine.uow(), started.opened_task_ids[0], actor="rita", data={"decision": "approve"})
    assert done["instance_status"] == "completed"
    assert instances.read_stored(engine.uow(), started.instance_id)["data"]["trap"] == {
        "typename": "BpmnWorkflow", "spec": 5, "nested": [{"typename": "datetime", "value": "x"}]}


def test_a_failing_post_script_changes_nothing_and_leaves_the_task_completable(people):
    engine = people
    _deploy(engine, RUNTIME / "post_script_raises.bpmn")
    task_id = instances.start(engine.uow(), "post_script_raises", actor="alice", data={}).opened_task_ids[0]
    with pytest.raises(Conflict) as refused:
        tasks.complete(engine.uow(), task_id, actor="rita", data={"decision": "approve"})
    assert refused.value.code == "task.post_script_failed"
    assert refused.value.text("zh") == "提交未成功：该步骤的后置脚本执行失败，请联系流程设计人员。"
    assert tasks.of_instance(engine.uow(), 1)[0]["state"] == "open"
    done = tasks.complete(engine.uow(), task_id, actor="rita", data={"decision": "refuse", "reason": "不符合"})
    assert done["instance_status"] == "completed"


def test_text_that_is_not_valid_unicode_is_refused_naming_the_field(people):
    engine = people
    _deploy(engine, BPMN / "two_reviews.bpmn")
    with pytest.raises(InvalidInput) as refused:
        instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口\ud800"})
    assert [(p.code, p.field) for p in refused.value.problems] == [("data.not_unicode", "subject")]
    assert instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口"}).instance_id == 1


def test_a_poisoned_timer_is_spent_and_the_healthy_one_due_with_it_still_fires(people, engines):
    engine = people
    _deploy(engine, RUNTIME / "poisoned_escalation.bpmn")
    _deploy(engine, BPMN / "deadline_escalation.bpmn")
    poisoned = instances.start(engine.uow(), "poisoned_escalation", actor="alice", data={}).instance_id
    healthy = instances.start(engine.uow(), "deadline_escalation", actor="alice", data={}).instance_id
    later = engines.at("2026-03-20T09:00:00+08:00")

    fired = timers.sweep(later.uow, worker="w")

    assert {(f.instance_id, f.status) for f in fired} == {(poisoned, "errored"), (healthy, "running")}
    shown = instances.read_stored(later.uow(), poisoned)
    assert shown["status"] == "errored"
    assert "element 'escalate': candidateGroupsExpression must give a text" in shown["error"]
    assert shown["history"][-1]["action"] == "timer.failed"
    assert timers.sweep(later.uow, worker="w") == []
    assert audit.verify(later.uow()).ok


def test_an_errored_instance_runs_on_once_its_cause_is_fixed(people):
    engine = people
    _deploy(engine, BPMN / "catalog_lookup.bpmn")
    started = instances.start(engine.uow(), "catalog_lookup", actor="alice", data={"catalog_item": "GA-404"})
    assert started.status == "errored" and "catalog item 'GA-404' does not exist" in started.error
    with pytest.raises(NotFound) as refused:  # a reviewer with no step in it: it does not exist for her
        instances.retry(engine.uow(), started.instance_id, actor="rita")
    assert refused.value.code == "application.not_found"
    with engine.uow() as uow:
        uow.session.add(CatalogItem(code="GA-404", name="补录目录", source_unit="gaj", share_attribute="无条件共享",
                                    open_attribute="不予开放", update_frequency="每日", contact="市公安局"))
        uow.commit()

    retried = instances.retry(engine.uow(), started.instance_id, actor="sam")

    assert (retried.status, retried.opened) == ("running", ["review"])
    assert instances.read_stored(engine.uow(), started.instance_id)["data"]["catalog"]["name"] == "补录目录"
    with pytest.raises(Conflict) as again:
        instances.retry(engine.uow(), started.instance_id, actor="sam")
    assert again.value.code == "instance.not_errored"


@pytest.mark.postgres
def test_two_concurrent_sweeps_share_the_due_timers_and_fire_each_once(people, engines, database_kind):
    if database_kind != "postgres":
        pytest.skip("SQLite serialises writers; the sharing under SKIP LOCKED is PostgreSQL's")
    engine = people
    _deploy(engine, BPMN / "deadline_escalation.bpmn")
    for _ in range(60):
        instances.start(engine.uow(), "deadline_escalation", actor="alice", data={})
    schedulers = [engines.at("2026-03-20T09:00:00+08:00") for _ in range(2)]
    results: list[list] = [[], []]

    def run(n: int) -> None:
        results[n] = timers.sweep(schedulers[n].uow, worker=f"s{n}", limit=1000)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = [f.timer_id for r in results for f in r]
    assert len(fired) == len(set(fired)) == 60
    assert all(results), "both sweeps took a share"
    with engine.uow().read() as uow:
        assert uow.session.scalars(select(Timer.id).where(Timer.fired_at.is_(None))).all() == []
        assert len(uow.session.scalars(select(HumanTask.id).where(HumanTask.task_name == "escalation")).all()) == 60


def test_a_timer_of_an_ended_instance_is_spent_without_being_listed(people, engines):
    engine = people
    _deploy(engine, BPMN / "deadline_escalation.bpmn")
    started = instances.start(engine.uow(), "deadline_escalation", actor="alice", data={})
    with engine.uow() as uow:
        instance = uow.instances.get(started.instance_id)
        instance.status = "completed"
        uow.instances.save(instance)
        uow.commit()
    later = engines.at("2026-03-20T09:00:00+08:00")
    assert timers.sweep(later.uow, worker="w") == []
    with later.uow().read() as uow:
        assert [t.fired_by for t in uow.session.scalars(select(Timer))] == ["w"]


def test_a_budget_is_a_setting_that_a_lawful_process_can_hit_and_a_retry_can_pass(people, engines, sandbox):
    _deploy(people, BPMN / "scripted.bpmn")
    add_user(people.uow(), "gina", department="gaj", roles=["reviewer"], actor=SYSTEM)
    tight = build_engine(replace(engines.config, max_engine_steps=1), Clock(datetime.fromisoformat(FROZEN)),
                         sandbox=sandbox)
    try:
        started = instances.start(tight.uow(), "scripted", actor="alice", data={"amount": 2, "unit": "gaj"})
    finally:
        tight.close()
    assert started.status == "errored"
    assert started.error.endswith("more than 1 engine steps in one command (an endless loop?)")
    assert instances.start(people.uow(), "scripted", actor="alice", data={"amount": 2, "unit": "gaj"}).status \
        == "running"


def test_a_process_that_the_engine_stops_following_is_errored_not_completed(sqlite_url, sandbox):
    # With the step budget raised past it, an endless loop reaches SpiffWorkflow's task-tree
    # depth of 1000, where it stops seeing the loop and calls the workflow complete. (SQLite
    # only: a thousand script steps say nothing more on PostgreSQL.)
    loose = build_engine(replace(config_for_tests(sqlite_url, FIXTURES_FORMS), max_engine_steps=100_000,
                                 max_step_seconds=120), Clock(datetime.fromisoformat(FROZEN)), sandbox=sandbox)
    add_user(loose.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    _deploy(loose, RUNTIME / "endless_gateway_loop.bpmn")
    try:
        started = instances.start(loose.uow(), "endless_gateway_loop", actor="alice", data={})
    finally:
        loose.close()
    assert (started.status, started.error) == ("errored", "the process stopped before reaching an end event (its "
                                                          "task tree is too deep to follow)")
