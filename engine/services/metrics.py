"""The figures `/metrics` serves, read straight from the tables: open and overdue steps per
department, timers due and how late the oldest is, each scheduler's last successful sweep, the
e-mail outbox and the audit chain's length. Counts and department codes only: no name, no
application, nothing personal.

Read in one short read-only unit of work per scrape; every query is an aggregate over an index
(human_tasks by state and due_at, timers by due_at where unfired)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.persistence.models import AuditChain, HumanTask, Notification, ProcessInstance, SchedulerSweep, Timer
from engine.persistence.unit_of_work import UnitOfWork

# A notification not e-mailed within this long is no longer sent (engine.services.mail.MAX_AGE):
# the outbox counts it as failed.
from engine.services.mail import MAX_AGE as MAIL_MAX_AGE

NO_DEPARTMENT = "-"


@dataclass(frozen=True)
class Figures:
    """One scrape's figures."""

    open_steps: dict[str, int] = field(default_factory=dict)  # department -> open human tasks
    overdue_steps: dict[str, int] = field(default_factory=dict)  # department -> open tasks past due_at
    timers_due: int = 0  # unfired timers whose due_at has passed
    scheduler_lag_seconds: float = 0.0  # how long the oldest due timer has waited; 0 when none
    last_sweeps: dict[str, float] = field(default_factory=dict)  # worker -> Unix time of its last good sweep
    mails_pending: int = 0  # notifications still to be e-mailed (when an SMTP server is named)
    mails_failed: int = 0  # notifications never e-mailed within MAIL_MAX_AGE (given up)
    audit_entries: int = 0  # entries in every audit chain together


def figures(uow: UnitOfWork) -> Figures:
    """Read the figures as of the engine's clock."""
    with uow.read():
        now = uow.engine.clock.now()
        session = uow.session
        department = func.coalesce(ProcessInstance.department, NO_DEPARTMENT)
        steps = (select(department, func.count()).select_from(HumanTask)
                 .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                 .where(HumanTask.state == "open").group_by(department))
        open_steps = {row[0]: row[1] for row in session.execute(steps)}
        overdue_steps = {row[0]: row[1] for row in session.execute(steps.where(HumanTask.due_at < now))}
        oldest, due = session.execute(select(func.min(Timer.due_at), func.count())
                                      .where(Timer.fired_at.is_(None), Timer.due_at <= now)).one()
        if isinstance(oldest, datetime) and oldest.tzinfo is None:  # SQLite's aggregate keeps no zone
            oldest = oldest.replace(tzinfo=now.tzinfo)
        elif isinstance(oldest, str):
            oldest = datetime.fromisoformat(oldest).replace(tzinfo=now.tzinfo)
        sweeps = {row.worker: row.finished_at.timestamp() for row in session.scalars(select(SchedulerSweep))}
        unsent = select(func.count()).select_from(Notification).where(Notification.emailed_at.is_(None))
        mailing = bool(uow.engine.config.smtp_host)
        pending = session.scalar(unsent.where(Notification.created_at >= now - MAIL_MAX_AGE)) if mailing else 0
        failed = session.scalar(unsent.where(Notification.created_at < now - MAIL_MAX_AGE)) if mailing else 0
        entries = session.scalar(select(func.coalesce(func.sum(AuditChain.entries), 0)))
    return Figures(open_steps=open_steps, overdue_steps=overdue_steps, timers_due=due,
                   scheduler_lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
                   last_sweeps=sweeps, mails_pending=pending or 0, mails_failed=failed or 0,
                   audit_entries=int(entries or 0))


def record_sweep(uow: UnitOfWork, worker: str) -> None:
    """Note that `worker` finished a sweep without error, now."""
    with uow:
        now, wall = uow.engine.clock.now(), datetime.now(timezone.utc)
        session = uow.session
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)
        statement = insert(SchedulerSweep).values(worker=worker, finished_at=now, wall_at=wall)
        session.execute(statement.on_conflict_do_update(index_elements=[SchedulerSweep.worker],
                                                        set_={"finished_at": now, "wall_at": wall}))
        uow.commit()


__all__ = ["Figures", "figures", "record_sweep"]
