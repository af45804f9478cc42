"""Whether this process reads the same time as the scheduler.

Every process reads its own clock: the system's, or one frozen by its own PDW_CLOCK. Two
processes on one database that read different times count deadlines to different days: a
`pdw report overdue` run in a shell with an older PDW_CLOCK than the restarted app's scheduler
prints "(none)" for work the scheduler is already alerting on. The scheduler writes, with each
sweep, its instant and the real time of that moment (engine.services.metrics.record_sweep);
their difference is how far its clock is from real time, to compare with this process's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine.persistence.models import SchedulerSweep
from engine.persistence.unit_of_work import UnitOfWork

# A sweep older than this (real time) says nothing of a scheduler still running.
RECENT = timedelta(minutes=10)
# Clocks further apart than this disagree; less is a frozen clock drifting between sweeps.
TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class Disagreement:
    """This process's time and the time by the clock of the scheduler that swept last."""

    ours: datetime
    scheduler: datetime
    worker: str

    def params(self) -> dict:
        """Message parameters, in Beijing time."""
        from engine.clock import SHANGHAI

        return {"ours": self.ours.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                "scheduler": self.scheduler.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                "worker": self.worker}


def disagreement(uow: UnitOfWork) -> Disagreement | None:
    """How this process's clock disagrees with the scheduler that swept most recently (in real
    time, within RECENT); None when they agree or no scheduler swept lately."""
    wall = datetime.now(timezone.utc)
    with uow.read():
        last = uow.session.execute(
            select(SchedulerSweep.worker, SchedulerSweep.finished_at, SchedulerSweep.wall_at)
            .where(SchedulerSweep.wall_at.is_not(None), SchedulerSweep.wall_at >= wall - RECENT)
            .order_by(SchedulerSweep.wall_at.desc()).limit(1)).first()
        ours = uow.engine.clock.now()
    if last is None:
        return None
    theirs_offset = last.finished_at - last.wall_at
    ours_offset = ours - wall
    if abs(theirs_offset - ours_offset) <= TOLERANCE:
        return None
    # Where the scheduler's clock stands now: a frozen one has not moved since; a running one
    # has moved with real time. Either way within TOLERANCE of this estimate.
    return Disagreement(ours=ours, scheduler=wall + theirs_offset, worker=last.worker)


__all__ = ["Disagreement", "disagreement", "RECENT", "TOLERANCE"]
