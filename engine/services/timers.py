"""Firing due BPMN timers, exactly once, however many schedulers run."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.persistence import repository
from engine.persistence.models import Timer
from engine.persistence.repository import StaleInstance
from engine.services import audit
from engine.services.progress import load_workflow, run_and_sync


@dataclass(frozen=True)
class Fired:
    """One timer this scheduler fired."""

    timer_id: int
    instance_id: int
    task_name: str
    status: str


def due_timer_ids(engine: Engine, limit: int = 100) -> list[int]:
    """Ids of timers due now and not yet fired, oldest first (uses the partial due-time index)."""
    now = engine.clock.now()
    with engine.reading() as uow:
        return list(uow.session.scalars(select(Timer.id).where(Timer.fired_at.is_(None), Timer.due_at <= now)
                                        .order_by(Timer.due_at).limit(limit)))


def fire(engine: Engine, timer_id: int, *, worker: str) -> Fired | None:
    """Fire one timer in its own transaction; None when another scheduler has it or fired it.

    The timer row is locked with SKIP LOCKED and marked fired in the same transaction that
    writes the instance, so it fires once; if this process dies, the lock goes with it and
    another scheduler picks the timer up.
    """
    now = engine.clock.now()
    with engine.writing() as uow:
        session = uow.session
        timer = session.scalar(select(Timer).where(Timer.id == timer_id, Timer.fired_at.is_(None))
                               .with_for_update(skip_locked=True))
        if timer is None:
            return None
        instance = repository.load_instance(session, timer.instance_id)
        if instance.status != "running":
            timer.fired_at, timer.fired_by = now, worker
            uow.commit()
            return None
        workflow = load_workflow(engine, session, instance)
        try:
            outcome = run_and_sync(engine, session, instance, workflow, now=now, fired_timer=timer.spiff_task_id,
                                   worker=worker)
        except StaleInstance:
            return None
        audit.append(session, at=now, actor=f"scheduler:{worker}", action="timer.fire", instance_id=instance.id,
                     before={"timer": timer.task_name, "due_at": timer.due_at.isoformat()},
                     after={"status": outcome.status, "opened": outcome.opened, "cancelled": outcome.cancelled,
                            "error": outcome.error})
        uow.commit()
        return Fired(timer_id, instance.id, timer.task_name, outcome.status)


def sweep(engine: Engine, *, worker: str, limit: int = 100) -> list[Fired]:
    """Fire every timer that is due now."""
    fired = []
    for timer_id in due_timer_ids(engine, limit):
        result = fire(engine, timer_id, worker=worker)
        if result is not None:
            fired.append(result)
    return fired
