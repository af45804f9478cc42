"""What the designer's reads cost against the plain reads they extend, measured in one run.

- The migration dry run (`versions.plan`: load each instance and diff it against the new
  version with SpiffWorkflow's toolkit) against loading each instance only (`load_workflow`).
- An application's diagram (`diagram.progress`: the instance restored, its tasks marked, the
  open steps' deadlines) against the application as `instances.show` reads it.

Rounds are taken in turn so that a busy moment of the machine slows both alike; the best of
each is kept.

    .venv/bin/python bench/designer_bench.py [--instances 50] [--rounds 5]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from engine.bootstrap import Config, build_engine
from engine.clock import Clock
from engine.persistence.migrate import upgrade
from engine.services import designer, diagram, instances, versions
from engine.services.progress import load_workflow
from engine.services.users import SYSTEM, add_user

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "tests" / "fixtures" / "bpmn" / "deadline_escalation.bpmn"
FORMS = ROOT / "tests" / "fixtures" / "forms"


def prepared(url: str, n: int):
    """An engine with version 1 and 2 of a process and `n` instances running on version 1."""
    config = replace(Config(), database_url=url, forms_dir=FORMS)
    engine = build_engine(config, Clock(datetime.fromisoformat("2026-03-02T09:00:00+08:00")))
    upgrade(engine.db)
    add_user(engine.uow(), "bench_applicant", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "bench_designer", department="sjj", roles=["designer"], actor=SYSTEM)
    content = BPMN.read_bytes()
    designer.deploy(engine.uow(), "bench_designer", BPMN.name, content)
    ids = [instances.start(engine.uow(), "deadline_escalation", actor="bench_applicant", data={}).instance_id
           for _ in range(n)]
    designer.deploy(engine.uow(), "bench_designer", BPMN.name, content.replace("督办".encode(), "督促".encode()))
    return engine, ids


def best(rounds: int, *runs) -> list[float]:
    """The best wall time of each run over `rounds`, the runs taken in turn."""
    times = [float("inf")] * len(runs)
    for _ in range(rounds):
        for i, run in enumerate(runs):
            started = time.perf_counter()
            run()
            times[i] = min(times[i], time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine, ids = prepared(f"sqlite:///{tmp}/bench.sqlite3", args.instances)

        def load_each() -> None:
            with engine.uow().read() as uow:
                for instance_id in ids:
                    load_workflow(uow, uow.instances.get(instance_id))

        def dry_run() -> None:
            planned = versions.plan(engine.uow(), "bench_designer", "deadline_escalation", 1, 2)
            assert len(planned) == len(ids) and all(p["can_move"] for p in planned)

        def shows() -> None:
            for instance_id in ids:
                instances.read_stored(engine.uow(), instance_id)

        def diagrams() -> None:
            for instance_id in ids:
                diagram.progress(engine.uow(), "bench_applicant", instance_id)

        load, plan = best(args.rounds, load_each, dry_run)
        show, drawn = best(args.rounds, shows, diagrams)
        engine.close()
    n = args.instances
    print(f"dry run:  {plan / n * 1000:.2f} ms per instance; loading only {load / n * 1000:.2f} ms "
          f"(ratio {plan / load:.2f})")
    print(f"diagram:  {drawn / n * 1000:.2f} ms per application; instances.show {show / n * 1000:.2f} ms "
          f"(ratio {drawn / show:.2f})")


if __name__ == "__main__":
    main()
