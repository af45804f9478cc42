"""A command or the scheduler killed with SIGKILL at a random moment leaves every application
before or after its step: task and timer rows agree with the stored state, and the audit log's
chain is intact. 30 kills, each a few seconds at most."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.persistence.models import HumanTask, ProcessInstance, Timer
from engine.services import audit, definitions, instances
from engine.services.progress import load_workflow
from engine.services.users import SYSTEM, add_user

FIXTURES = Path(__file__).parent.parent / "fixtures"
PDW = [sys.executable, "-m", "engine.cli"]
KILLS = 30
LATER = "2026-03-10T09:00:00+08:00"


def _agrees_with_its_state(engine) -> None:
    with engine.uow().read() as uow:
        session = uow.session
        for instance_id in session.scalars(select(ProcessInstance.id)):
            record = uow.instances.get(instance_id)
            workflow = load_workflow(uow, record)
            ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
            rows = set(session.scalars(select(HumanTask.spiff_task_id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "open")))
            assert ready == rows == set(record.waiting["tasks"]), instance_id
            timers = set(session.scalars(select(Timer.spiff_task_id).where(
                Timer.instance_id == instance_id, Timer.fired_at.is_(None))))
            assert timers == set(record.waiting["timers"]), instance_id
    report = audit.verify(engine.uow())
    assert report.ok, report.problems


@pytest.fixture
def prepared(engines, database_url):
    """Forty applications waiting for review (and their overdue timers), and the environment a
    `pdw` subprocess needs to work on them."""
    engine = engines.at()
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    bpmn = FIXTURES / "bpmn" / "deadline_escalation.bpmn"
    definitions.deploy(engine.uow(), [(bpmn.name, bpmn.read_bytes())], actor=SYSTEM)
    for _ in range(40):
        instances.start(engine.uow(), "deadline_escalation", actor="alice")
    env = {**os.environ, "PDW_DATABASE_URL": database_url, "PDW_FORMS_DIR": str(FIXTURES / "forms"),
           "PDW_PASSWORD_HASH_COST": "4"}
    return engine, env


def test_killing_a_command_or_the_scheduler_at_random_moments_leaves_every_step_whole(prepared):
    engine, env = prepared
    rng = random.Random(13)
    root = Path(__file__).resolve().parents[2]
    for attempt in range(KILLS):
        with engine.uow().read() as uow:
            open_reviews = list(uow.session.scalars(select(HumanTask.id).where(
                HumanTask.task_name == "review", HumanTask.state == "open")))
        if attempt % 2 == 0 and open_reviews:
            args = ["tasks", "complete", str(rng.choice(open_reviews)), "--as", "rita",
                    "--data", json.dumps({"decision": "approve"})]
            clock = "2026-03-02T10:00:00+08:00"
        else:
            args = ["scheduler", "run", "--once"]
            clock = LATER
        process = subprocess.Popen([*PDW, *args], cwd=root, env={**env, "PDW_CLOCK": clock},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Long enough to land anywhere from start-up to the commit (imports take most of a second).
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        _agrees_with_its_state(engine)
    # Whatever was cut short, the scheduler and the reviewer can still finish every application.
    finished = subprocess.run([*PDW, "scheduler", "run", "--once"], cwd=root, env={**env, "PDW_CLOCK": LATER},
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    _agrees_with_its_state(engine)
