"""The timer scheduler: APScheduler calls the sweep on an interval."""
from __future__ import annotations

import logging
import os
import socket

from apscheduler.schedulers.blocking import BlockingScheduler

from engine.bootstrap import Engine
from engine.services.timers import sweep

log = logging.getLogger(__name__)


def worker_name() -> str:
    """A name for this scheduler process, recorded on every timer it fires."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_forever(engine: Engine, *, interval_seconds: float = 10.0) -> None:
    """Sweep due timers every `interval_seconds` until interrupted.

    Each sweep runs to the end before the next starts (max_instances=1); other scheduler
    processes may sweep the same database at the same time.
    """
    name = worker_name()
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(lambda: _sweep_logged(engine, name), "interval", seconds=interval_seconds,
                      max_instances=1, coalesce=True, id="pdw-timer-sweep")
    _sweep_logged(engine, name)
    scheduler.start()


def _sweep_logged(engine: Engine, name: str) -> None:
    # A sweep that fails (the database away for a moment) is logged; the next one runs on time.
    try:
        fired = sweep(engine.uow, worker=name)
    except Exception:  # noqa: BLE001 - the scheduler must outlive any one sweep
        log.exception("timer sweep failed; retrying at the next interval")
        return
    for one in fired:
        log.info("fired timer %s of instance %s (%s): %s", one.timer_id, one.instance_id, one.task_name, one.status)
