"""Cost of a scheduler sweep with 100,000 timers not yet due against 1,000, measured in one run.

The sweep asks the database only for due timers (a partial index on due_at of unfired
timers), so the timers waiting for next month should cost it nothing.

    .venv/bin/python bench/timer_sweep.py [--postgres URL]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from _support import postgres_schema

from engine.bootstrap import Config, build_engine
from engine.clock import Clock
from engine.persistence.migrate import upgrade
from engine.persistence.models import ProcessInstance, Timer
from engine.services import definitions
from engine.services.timers import sweep
from engine.services.users import SYSTEM

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "tests" / "fixtures" / "bpmn" / "two_reviews.bpmn"
FORMS = ROOT / "tests" / "fixtures" / "forms"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
DUE_NOW = 20


def _fill(engine, waiting: int) -> None:
    """One finished instance holding `waiting` future timers and DUE_NOW past ones."""
    definition_id = definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)[0].definition_id
    with engine.uow() as uow:
        session = uow.session
        instance_id = session.execute(insert(ProcessInstance.__table__).returning(ProcessInstance.__table__.c.id), {
            "definition_id": definition_id, "process_id": "bench", "status": "completed", "receipt_number": uuid.uuid4().hex[:20],
            "received_on": NOW.date(), "started_by": "bench", "started_at": NOW, "summary": {}, "state": {},
            "waiting": {}, "serializer_version": "bench", "version": 1}).scalar_one()
        rows = [{"instance_id": instance_id, "spiff_task_id": uuid.uuid4().hex, "task_name": "t",
                 "due_at": NOW + timedelta(days=30, seconds=n)} for n in range(waiting)]
        rows += [{"instance_id": instance_id, "spiff_task_id": uuid.uuid4().hex, "task_name": "due",
                  "due_at": NOW - timedelta(minutes=n + 1)} for n in range(DUE_NOW)]
        for start in range(0, len(rows), 10_000):
            session.execute(insert(Timer.__table__), rows[start:start + 10_000])
        uow.commit()
    with engine.db.write_engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _sweep_ms(url: str, waiting: int, rounds: int = 30) -> float:
    config = replace(Config(), database_url=url, forms_dir=FORMS)
    engine = build_engine(config, Clock(NOW))
    upgrade(engine.db)
    _fill(engine, waiting)
    times = []
    for _ in range(rounds):
        with engine.uow() as uow:  # make the due timers due again: each round fires DUE_NOW
            uow.session.execute(text("UPDATE timers SET fired_at = NULL, fired_by = NULL WHERE task_name = 'due'"))
            uow.commit()
        started = time.perf_counter()
        fired = sweep(engine.uow, worker="bench")
        times.append((time.perf_counter() - started) * 1000)
        assert len(fired) == 0  # the holder instance is finished, so they are retired, not run
    engine.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None, help="also measure on this PostgreSQL URL")
    args = parser.parse_args()
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        small = _sweep_ms(f"sqlite:///{tmp}/small.sqlite3", 1_000)
        large = _sweep_ms(f"sqlite:///{tmp}/large.sqlite3", 100_000)
        targets.append(("SQLite", small, large))
    if args.postgres:
        with postgres_schema(args.postgres, "pdw_bench_small") as url:
            small = _sweep_ms(url, 1_000)
        with postgres_schema(args.postgres, "pdw_bench_large") as url:
            large = _sweep_ms(url, 100_000)
        targets.append(("PostgreSQL", small, large))
    for name, small, large in targets:
        ratio = large / small
        print(f"{name}: sweep with 1,000 waiting timers {small:.2f} ms; with 100,000 {large:.2f} ms; "
              f"ratio {ratio:.2f} (target <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})")


if __name__ == "__main__":
    main()
