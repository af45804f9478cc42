"""The scheduler: APScheduler runs `tick` on an interval: fire due BPMN timers, start the periodic
rounds that are due, settle a new calendar, watch deadlines (reminders, alerts, 通报) and e-mail
notifications.

`pdw scheduler run` runs it in its own process (production: one or more of them); on the
embedded default the web process runs it in a background thread (webapp.scheduler). Every
part is exactly-once however many run at once: timers are taken under SKIP LOCKED, rounds and
notices recorded under unique keys, e-mails marked before they are sent."""
from __future__ import annotations

import logging
import os
import socket
import time
from typing import Callable

from apscheduler.schedulers.blocking import BlockingScheduler

from engine.bootstrap import Engine
from engine.services import audit, calendar, mail, metrics, rounds, supervision
from engine.services.timers import Fired, sweep

log = logging.getLogger(__name__)

# After a new holiday notice, other processes count by the old calendar until they next read
# the calendar version (PDW_CALENDAR_CHECK_SECONDS), and a transaction begun before that may
# commit later still. Once this long has passed, the scheduler re-counts what they wrote.
SETTLE_SECONDS = 60.0


def worker_name() -> str:
    """A name for this scheduler process, recorded on every timer it fires."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_forever(engine: Engine, *, interval_seconds: float = 10.0) -> None:
    """Sweep due timers every `interval_seconds` until interrupted.

    Each sweep runs to the end before the next starts (max_instances=1); other scheduler
    processes may sweep the same database at the same time.
    """
    name = worker_name()
    settler = CalendarSettler(engine, name)
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(lambda: tick(engine, name, settler), "interval", seconds=interval_seconds,
                      max_instances=1, coalesce=True, id="pdw-timer-sweep")
    tick(engine, name, settler)
    scheduler.start()


def run_once(engine: Engine, name: str) -> tuple[list[Fired], supervision.WatchReport, int]:
    """Fire what is due, start the rounds due, send the deadline notices due and e-mail what is
    unsent: the timers fired, the notices sent and the e-mails handed to the SMTP server."""
    fired = sweep(engine.uow, worker=name)
    rounds.start_due(engine.uow, worker=name)
    watched, mailed = supervision.watch(engine.uow()), mail.deliver(engine.uow())
    metrics.record_sweep(engine.uow(), name)
    return fired, watched, mailed


def tick(engine: Engine, name: str, settler: "CalendarSettler") -> None:
    """One scheduled run; a failure (the database away for a moment) is logged and the next
    run comes on time."""
    try:
        fired = sweep(engine.uow, worker=name)
        report = settler.settle()
        watched = supervision.watch(engine.uow())
        mailed = mail.deliver(engine.uow())
        started = rounds.start_due(engine.uow, worker=name)
        audit.keep_up(engine.uow, now=engine.clock.now(), actor=f"scheduler:{name}")
        metrics.record_sweep(engine.uow(), name)
    except Exception:  # noqa: BLE001 - the scheduler must outlive any one sweep
        log.exception("timer sweep failed; retrying at the next interval")
        return
    for one in started:
        log.info("started round %s of schedule %s: instance %s%s%s", one.period, one.schedule_id, one.instance_id,
                 " (late: missed while no scheduler ran)" if one.late else "",
                 f" could not start: {one.error}" if one.error else "")
    for one in fired:
        log.info("fired timer %s of instance %s (%s): %s", one.timer_id, one.instance_id, one.task_name, one.status)
    if report is not None:
        log.info("calendar version %s: %s deadline(s) re-counted", report.version, len(report.changes))
    if watched.total or mailed:
        log.info("deadline notices: %s; e-mails sent: %s", watched, mailed)


class CalendarSettler:
    """Re-counts, SETTLE_SECONDS after the scheduler notices a new calendar version, the open
    deadlines the new notices may move: those another process wrote by the old calendar."""

    def __init__(self, engine: Engine, name: str, *, settle_seconds: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._actor = f"scheduler:{name}"
        self._settle = settle_seconds if settle_seconds is not None else \
            SETTLE_SECONDS + engine.config.calendar_check_seconds
        self._monotonic = monotonic
        self._seen: int | None = None
        self._pending: tuple[int, float] | None = None  # (the version before the change, when to settle)

    def settle(self) -> calendar.RecountReport | None:
        """Call after each sweep (whose units of work read the version); re-counts when due."""
        version = self._engine.calendar.version
        if self._seen is None or version is None:
            self._seen = version
            return None
        if version != self._seen:
            before = self._pending[0] if self._pending else self._seen
            self._pending, self._seen = (before, self._monotonic() + self._settle), version
        if self._pending is None or self._monotonic() < self._pending[1]:
            return None
        before, self._pending = self._pending[0], None
        return calendar.recount_after(self._engine.uow(), before, actor=self._actor)
