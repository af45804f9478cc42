"""On the embedded default the web process runs the scheduler itself, so deadlines escalate
and notices go out without a separate `pdw scheduler run` (PDW_WEB_SCHEDULER)."""
from __future__ import annotations

import atexit

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from engine.scheduler import CalendarSettler, tick, worker_name
from webapp.engine import get_engine

# Seconds between two runs (a Flask setting, so a test can shorten it).
DEFAULT_INTERVAL = 10.0


def init_app(app: Flask) -> None:
    """Start the background scheduler when the settings ask for it (never while testing, unless
    PDW_RUN_SCHEDULER says so)."""
    with app.app_context():
        engine = get_engine()
    wanted = app.config.get("PDW_RUN_SCHEDULER", not app.testing and engine.config.runs_web_scheduler)
    if not wanted:
        return
    name = f"web:{worker_name()}"
    settler = CalendarSettler(engine, name)
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai", daemon=True)
    scheduler.add_job(lambda: tick(engine, name, settler), "interval",
                      seconds=app.config.get("PDW_SCHEDULER_INTERVAL", DEFAULT_INTERVAL),
                      max_instances=1, coalesce=True, id="pdw-web-scheduler")
    scheduler.start()
    app.extensions["pdw_scheduler"] = scheduler
    atexit.register(lambda: scheduler.shutdown(wait=False) if scheduler.running else None)
