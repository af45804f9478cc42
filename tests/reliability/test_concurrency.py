"""Many hands on one task, one instance and one set of timers: exactly one winner, nothing lost
or done twice, and the loser told why in a way it can act on."""
from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from engine.errors import Conflict, PermissionDenied
from engine.persistence.models import AuditEntry, HumanTask, Timer
from engine.services import audit, definitions, instances, tasks, timers
from engine.services.users import SYSTEM, add_user

BPMN = Path(__file__).parent.parent / "fixtures" / "bpmn"
HERE = Path(__file__).parent / "fixtures"
CLAIMANTS = 20
ROUNDS = 200


def _deploy(engine, path: Path) -> None:
    definitions.deploy(engine.uow(), [(path.name, path.read_bytes())], actor=SYSTEM)


def _together(n: int, attempt) -> list:
    """Run `attempt(i)` in `n` threads released at once; their results (or errors) in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempt(i)
        except (Conflict, PermissionDenied) as err:
            results[i] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    return results


def _applicant_and_reviewers(engine, *reviewers: str) -> None:
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    for name in reviewers:
        add_user(engine.uow(), name, department="sjj", roles=["reviewer"], actor=SYSTEM)


def _count(engine, query) -> int:
    with engine.uow().read() as uow:
        return uow.session.scalar(query)


def test_twenty_simultaneous_claims_have_exactly_one_winner_in_each_of_200_rounds(engine):
    _applicant_and_reviewers(engine, *(f"rev{n}" for n in range(CLAIMANTS)))
    _deploy(engine, BPMN / "two_reviews.bpmn")
    for _ in range(ROUNDS):
        started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "并发"})
        task_id = started.opened_task_ids[0]
        results = _together(CLAIMANTS, lambda i: tasks.claim(engine.uow(), task_id, actor=f"rev{i}"))
        winners = [i for i, r in enumerate(results) if isinstance(r, dict)]
        assert len(winners) == 1, results
        holder = f"rev{winners[0]}"
        assert all(r.code == "task.already_claimed" and r.params["holder"] == holder
                   for i, r in enumerate(results) if i != winners[0])
    claims = _count(engine, select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "task.claim"))
    assert claims == ROUNDS


def test_two_simultaneous_completions_of_one_task_move_the_instance_once(engine):
    _applicant_and_reviewers(engine, "rita", "rob")
    _deploy(engine, BPMN / "two_reviews.bpmn")
    for _ in range(20):
        started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "并发"})
        task_id = started.opened_task_ids[0]
        results = _together(2, lambda i: tasks.complete(engine.uow(), task_id, actor=("rita", "rob")[i],
                                                        data={"decision": "approve"}))
        done = [r for r in results if isinstance(r, dict)]
        assert len(done) == 1, results
        loser = next(r for r in results if not isinstance(r, dict))
        # Told who decided it (or that the other holds it): nothing to retry, the step is done.
        assert loser.code in ("task.completed", "task.not_assignee"), loser.code
        shown = instances.read_stored(engine.uow(), started.instance_id)
        assert [t["task_name"] for t in shown["tasks"]] == ["first_review", "second_review"]
        assert [h["action"] for h in shown["history"]].count("task.complete") == 1
    assert audit.verify(engine.uow()).ok


def test_two_parallel_tasks_completed_at_once_both_count_after_the_loser_retries(engine):
    _applicant_and_reviewers(engine, "rita", "rob")
    _deploy(engine, HERE / "parallel_reviews.bpmn")
    for _ in range(20):
        started = instances.start(engine.uow(), "parallel_reviews", actor="alice")
        legal, security = started.opened_task_ids
        pairs = ((legal, "rita"), (security, "rob"))
        results = _together(2, lambda i: tasks.complete(engine.uow(), pairs[i][0], actor=pairs[i][1],
                                                        data={"decision": "approve"}))
        for (task_id, who), result in zip(pairs, results):
            if not isinstance(result, dict):
                # The instance changed under it: the loser is told so and its retry goes through.
                assert result.code == "instance.changed", result.code
                tasks.complete(engine.uow(), task_id, actor=who, data={"decision": "approve"})
        shown = instances.read_stored(engine.uow(), started.instance_id)
        assert shown["status"] == "completed"
        assert sorted(t["state"] for t in shown["tasks"]) == ["completed", "completed"]
        assert [h["action"] for h in shown["history"]].count("task.complete") == 2
    assert audit.verify(engine.uow()).ok


def test_two_schedulers_over_200_due_timers_fire_each_exactly_once(engines):
    engine = engines.at()
    _applicant_and_reviewers(engine)
    _deploy(engine, BPMN / "deadline_escalation.bpmn")
    for _ in range(200):
        instances.start(engine.uow(), "deadline_escalation", actor="alice")
    later = engines.at("2026-03-10T09:00:00+08:00")
    results = _together(2, lambda i: timers.sweep(later.uow, worker=f"scheduler-{i}", limit=1000))
    fired = [f.timer_id for batch in results for f in batch]
    assert len(fired) == 200 and len(set(fired)) == 200
    assert all(results), "both schedulers took part"
    assert _count(engine, select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None))) == 0
    assert _count(engine, select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "timer.fire")) == 200
    escalations = _count(engine, select(func.count()).select_from(HumanTask)
                         .where(HumanTask.task_name == "escalation"))
    assert escalations == 200
    assert audit.verify(engine.uow()).ok
