"""Periodic rounds with several schedulers on one PostgreSQL database: each period's round of
each schedule starts exactly once, whether the schedulers are threads of their own engines
sweeping at the same instant or `pdw scheduler run --once` processes started together."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from engine.persistence.models import AuditEntry, ProcessInstance, Round
from engine.services import definitions, rounds
from engine.services.users import SYSTEM, add_user
from engine_factory import EngineFactory

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SCHEDULERS = 4
DEPARTMENTS = ("gaj", "scjgj", "wjw", "zrzyj", "fgw")


def _schedules(engine) -> list[int]:
    for department in DEPARTMENTS:
        add_user(engine.uow(), f"reviewer.{department}", department=department, roles=["reviewer"], actor=SYSTEM)
    bpmn = FIXTURES / "bpmn" / "deadline_escalation.bpmn"
    definitions.deploy(engine.uow(), [(bpmn.name, bpmn.read_bytes())], actor=SYSTEM)
    return [rounds.set_schedule(engine.uow(), actor=SYSTEM, procedure="deadline_escalation", cycle="monthly",
                                anchor="2026-03-02", department=department, group=f"reviewer@{department}",
                                deadline_rule="round_art44_risk_assessment", data={}).id
            for department in DEPARTMENTS]


def _counts(engine) -> tuple[list[tuple[int, str]], int, int]:
    with engine.uow().read() as uow:
        keys = [(r.schedule_id, r.period) for r in uow.session.scalars(select(Round).order_by(Round.id))]
        started = uow.session.scalar(select(func.count()).select_from(ProcessInstance))
        audited = uow.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "round.start"))
    return keys, started, audited


def test_schedulers_sweeping_at_the_same_instant_start_each_round_once(engines, database_url, sandbox):
    ids = _schedules(engines.at())
    others = [EngineFactory(database_url, FIXTURES / "forms", sandbox) for _ in range(SCHEDULERS)]
    try:
        for month in ("2026-03-02", "2026-04-02", "2026-05-06"):
            instant = f"{month}T09:00:00+08:00"
            barrier = threading.Barrier(SCHEDULERS)
            started: list[list[rounds.Started]] = [[] for _ in range(SCHEDULERS)]
            failures: list[BaseException] = []

            def sweep(n: int) -> None:
                engine = others[n].at(instant)
                try:
                    barrier.wait()
                    started[n] = rounds.start_due(engine.uow, worker=f"scheduler-{n}")
                except BaseException as err:  # noqa: BLE001 - reported below, with the thread's name
                    failures.append(err)

            threads = [threading.Thread(target=sweep, args=(n,)) for n in range(SCHEDULERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not failures, failures
            period = month[:7]
            # Between them the schedulers started each schedule's round once, and no more.
            assert sorted((s.schedule_id, s.period) for one in started for s in one) == \
                sorted((i, period) for i in ids)
        keys, instances, audited = _counts(engines.at())
        assert len(keys) == len(set(keys)) == 3 * len(ids)
        assert instances == audited == 3 * len(ids)
    finally:
        for factory in others:
            factory.close()


def test_scheduler_processes_started_together_start_each_round_once(engines, database_url):
    ids = _schedules(engines.at())
    env = {**os.environ, "PDW_DATABASE_URL": database_url, "PDW_FORMS_DIR": str(FIXTURES / "forms"),
           "PDW_CLOCK": "2026-03-02T09:00:00+08:00", "PDW_LANG": "en"}
    processes = [subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler", "run", "--once"], cwd=ROOT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    keys, instances, audited = _counts(engines.at())
    assert sorted(keys) == sorted((i, "2026-03") for i in ids)
    assert instances == audited == len(ids)


def test_a_scheduler_that_read_before_another_started_the_round_rolls_its_own_start_back(engines):
    # What the losing scheduler of a race meets: it saw no round for the period, yet by the time
    # it writes one the winner has; the unique (schedule, period) key refuses it, and the
    # instance it had started is rolled back with it.
    engine = engines.at()
    schedule_id = _schedules(engine)[0]
    period = rounds.latest_due("monthly", engine.clock.today(), engine.clock.today())
    first = rounds._start_one(engine.uow, schedule_id, period, worker="winner")
    assert first is not None and first.instance_id is not None
    assert rounds._start_one(engine.uow, schedule_id, period, worker="loser") is None
    keys, instances, audited = _counts(engine)
    assert keys == [(schedule_id, "2026-03")] and instances == audited == 1
