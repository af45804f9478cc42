"""Firing due BPMN timers, exactly once, however many schedulers run."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from engine.persistence.repositories import StaleInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.progress import load_workflow, run_and_sync


@dataclass(frozen=True)
class Fired:
    """One timer this scheduler fired."""

    timer_id: int
    instance_id: int
    task_name: str
    status: str


def due_timer_ids(uow: UnitOfWork, limit: int = 100) -> list[int]:
    """Ids of timers due now and not yet fired, oldest first (uses the partial due-time index)."""
    with uow.read():
        return uow.timers.due(uow.engine.clock.now(), limit)


def fire(uow: UnitOfWork, timer_id: int, *, worker: str) -> Fired | None:
    """Fire one timer in its own transaction; None when another scheduler has it or fired it.

    The timer row is locked with SKIP LOCKED and marked fired in the same transaction that
    writes the instance, so it fires once; if this process dies, the lock goes with it and
    another scheduler picks the timer up.
    """
    with uow:
        now = uow.engine.clock.now()
        timer = uow.timers.take(timer_id)
        if timer is None:
            return None
        instance = uow.instances.get(timer.instance_id)
        if instance.status != "running":
            uow.timers.fired(timer.instance_id, timer.spiff_task_id, now, worker)
            uow.commit()
            return None
        workflow = load_workflow(uow, instance)
        try:
            outcome = run_and_sync(uow, instance, workflow, now=now, fired_timer=timer.spiff_task_id,
                                   worker=worker)
        except StaleInstance:
            return None
        uow.audit.append(at=now, actor=f"scheduler:{worker}", action="timer.fire", instance_id=instance.id,
                         before={"timer": timer.task_name, "due_at": timer.due_at.isoformat()},
                         after={"status": outcome.status, "opened": outcome.opened, "cancelled": outcome.cancelled,
                                "error": outcome.error})
        uow.commit()
        return Fired(timer_id, instance.id, timer.task_name, outcome.status)


def sweep(new_uow: Callable[[], UnitOfWork], *, worker: str, limit: int = 100) -> list[Fired]:
    """Fire every timer that is due now, each in its own unit of work from `new_uow()`."""
    fired = []
    for timer_id in due_timer_ids(new_uow(), limit):
        result = fire(new_uow(), timer_id, worker=worker)
        if result is not None:
            fired.append(result)
    return fired
