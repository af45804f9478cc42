"""Runs BPMN files through the engine, one after another, for test_hostile_limits.py.

    python hostile_runner.py SQLITE_URL FORMS_DIR FILE...

For each file, prints one JSON line: how it ended (refused, errored, running, completed),
the error if any, and the seconds it took: deploy, start, complete the first open task, fire
the timers due a year later, show the instance. Each file has 30 s (an alarm); the caller
caps the process's memory.
"""
from __future__ import annotations

import json
import signal
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from engine.bootstrap import Config, build_engine
from engine.clock import Clock
from engine.errors import InvalidInput, PdwError
from engine.services import definitions, instances, tasks, timers
from engine.services.users import SYSTEM, add_user

PER_FILE_SECONDS = 30


class OutOfTime(Exception):
    pass


def _alarm(_signum, _frame):
    raise OutOfTime()


def run(url: str, forms: Path, files: list[Path]) -> None:
    config = replace(Config(), database_url=url, forms_dir=forms)
    engine = build_engine(config, Clock(datetime.fromisoformat("2026-03-02T09:00:00+08:00")))
    later = engine.with_clock(Clock(datetime.fromisoformat("2027-03-02T09:00:00+08:00")))
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    signal.signal(signal.SIGALRM, _alarm)
    for path in files:
        started_at = time.monotonic()
        signal.alarm(PER_FILE_SECONDS)
        outcome = {"file": path.name}
        try:
            deployed = definitions.deploy(engine.uow(), [(path.name, path.read_bytes())], actor=SYSTEM)
            started = instances.start(engine.uow(), deployed[0].process_id, actor="alice", data={})
            if started.status == "running" and started.opened_task_ids:
                try:
                    tasks.complete(engine.uow(), started.opened_task_ids[0], actor="rita", data={"decision": "approve"})
                except PdwError as err:
                    outcome["complete"] = err.code
            timers.sweep(later.uow, worker="runner")
            shown = instances.read_stored(engine.uow(), started.instance_id)
            outcome.update(outcome=shown["status"], error=shown["error"])
        except InvalidInput as err:
            outcome.update(outcome="refused", codes=sorted({p.code for p in err.problems}))
        except OutOfTime:
            outcome.update(outcome="out of time")
        finally:
            signal.alarm(0)
        outcome["seconds"] = round(time.monotonic() - started_at, 2)
        print(json.dumps(outcome, ensure_ascii=False), flush=True)
    engine.close()


if __name__ == "__main__":
    run(sys.argv[1], Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])
