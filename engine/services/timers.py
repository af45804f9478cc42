"""Firing due BPMN timers, exactly once, however many schedulers run, whatever one timer does."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from engine.persistence.health import is_transient
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.progress import StepFailed, load_workflow, record_failure, run_and_sync


# The status of a timer taken but not fired: its instance had ended.
SPENT = "spent"


@dataclass(frozen=True)
class Fired:
    """One timer this scheduler fired (`status` is the instance's status after it)."""

    timer_id: int
    instance_id: int
    task_name: str
    status: str


def fire_next(uow: UnitOfWork, *, worker: str) -> Fired | None:
    """Fire the oldest due timer in one transaction; None when no due timer is left.

    The timer row is taken with SKIP LOCKED and marked fired in the same transaction that
    writes the instance, so it fires once and concurrent sweeps share the due timers; if this
    process dies, the lock goes with it and another scheduler picks the timer up. A timer whose
    firing fails is spent and its instance marked errored (with an audit entry), so the next
    due timer still fires.
    """
    engine = uow.engine
    now = engine.clock.now()
    timer = None
    try:
        with uow:
            timer = uow.timers.next_due(now)
            if timer is None:
                return None
            # Locked as a decision locks it: a step on the same application waits for this one.
            instance = uow.instances.get(timer.instance_id, lock=True)
            if instance.status != "running":
                uow.timers.spend(timer.id, now, worker)
                uow.commit()
                return Fired(timer.id, instance.id, timer.task_name, SPENT)
            workflow = load_workflow(uow, instance)
            outcome = run_and_sync(uow, instance, workflow, now=now, fired_timer=timer.spiff_task_id, worker=worker)
            uow.audit.append(at=now, actor=f"scheduler:{worker}", action="timer.fire", instance_id=instance.id,
                             before={"timer": timer.task_name, "due_at": timer.due_at.isoformat()},
                             after={"status": outcome.status, "opened": outcome.opened,
                                    "cancelled": outcome.cancelled, "error": outcome.error})
            uow.commit()
            return Fired(timer.id, instance.id, timer.task_name, outcome.status)
    except StepFailed as failed:
        reason = failed.reason
    except Exception as err:  # noqa: BLE001 - a stored state that no longer loads must not stop the sweep
        if timer is None or is_transient(err):
            # Not the timer's fault (the database itself, or a connection lost): nothing is spent,
            # the scheduler logs it and tries again.
            raise
        reason = f"the instance could not be loaded: {type(err).__name__}: {str(err)[:300]}"
    record_failure(engine.uow(), timer.instance_id, reason, actor=f"scheduler:{worker}", action="timer.failed",
                   now=now, timer_id=timer.id)
    return Fired(timer.id, timer.instance_id, timer.task_name, "errored")


def sweep(new_uow: Callable[[], UnitOfWork], *, worker: str, limit: int = 100) -> list[Fired]:
    """Fire up to `limit` due timers, each in its own unit of work from `new_uow()`; timers of
    instances that are no longer running are spent on the way and not listed."""
    fired: list[Fired] = []
    attempts = 0
    while len(fired) < limit and attempts < 2 * limit:
        attempts += 1
        result = fire_next(new_uow(), worker=worker)
        if result is None:
            break
        if result.status != SPENT:
            fired.append(result)
    return fired
