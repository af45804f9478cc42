"""Two gunicorn masters and two schedulers on one PostgreSQL database, as on two machines:
applications started through one are decided through the other, and every overdue timer fires
exactly once though both schedulers sweep."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.persistence.models import AuditEntry, Timer
from engine.services import definitions, tokens
from engine.services.users import SYSTEM, add_user

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
GUNICORN = Path(sys.executable).parent / "gunicorn"
APPLICATIONS = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _wait_ready(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/readyz", timeout=2).read()
            return
        except OSError:
            assert process.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not become ready"
            time.sleep(0.2)


@pytest.fixture
def machines(engines, database_url):
    """Two web masters (two workers each) and two schedulers started on one database; their base
    URLs, the tokens of an applicant, a reviewer and a supervisor, and the engine."""
    engine = engines.at()
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "sam", department="sjj", roles=["supervisor"], actor=SYSTEM)
    bpmn = FIXTURES / "bpmn" / "deadline_escalation.bpmn"
    definitions.deploy(engine.uow(), [(bpmn.name, bpmn.read_bytes())], actor=SYSTEM)
    secrets = {name: tokens.create(engine.uow(), name, actor=SYSTEM).secret for name in ("alice", "rita", "sam")}
    env = {**os.environ, "PDW_DATABASE_URL": database_url, "PDW_FORMS_DIR": str(FIXTURES / "forms"),
           "PDW_SECRET_KEY": "several-machines", "PDW_CLOCK": "2026-03-02T09:00:00+08:00"}
    processes, bases = [], []
    try:
        for n in range(2):
            port = _free_port()
            processes.append(subprocess.Popen(
                [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "webapp:create_app()"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes):
            _wait_ready(base, process)
        yield bases, secrets, engine, env, processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def test_two_web_masters_and_two_schedulers_share_one_database(machines):
    (first, second), secrets, engine, env, processes = machines
    started = []
    for n in range(APPLICATIONS):
        status, body = _call((first, second)[n % 2], secrets["alice"], "POST", "/api/v1/instances",
                             {"process_id": "deadline_escalation", "data": {}})
        assert status == 201, body
        started.append(body)
    assert len({s["receipt_number"] for s in started}) == APPLICATIONS

    # Half are decided in time, each claimed through one master and completed through the other.
    for body in started[: APPLICATIONS // 2]:
        task_id = body["opened_task_ids"][0]
        assert _call(second, secrets["rita"], "POST", f"/api/v1/tasks/{task_id}/claim")[0] == 200
        status, done = _call(first, secrets["rita"], "POST", f"/api/v1/tasks/{task_id}/complete",
                             {"data": {"decision": "approve"}})
        assert status == 200, done

    # The other half go overdue: two schedulers, a week later, sweep the same timers.
    later = {**env, "PDW_CLOCK": "2026-03-10T09:00:00+08:00"}
    schedulers = [subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler", "run", "--interval", "1"],
                                   cwd=ROOT, env=later,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for n in range(2)]
    processes.extend(schedulers)
    deadline = time.monotonic() + 60
    while True:
        with engine.uow().read() as uow:
            waiting = uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None)))
        if waiting == 0:
            break
        assert time.monotonic() < deadline, f"{waiting} timer(s) still unfired"
        time.sleep(0.5)
    with engine.uow().read() as uow:
        fired = uow.session.scalars(select(AuditEntry.instance_id).where(AuditEntry.action == "timer.fire")).all()
    assert sorted(fired) == sorted(b["instance_id"] for b in started[APPLICATIONS // 2:])

    status, inbox = _call(second, secrets["sam"], "GET", "/api/v1/tasks?tab=available&limit=100")
    assert status == 200
    assert len([r for r in inbox["rows"] if r["title"] == "督办逾期申请"]) == APPLICATIONS // 2
    for body in started:
        status, shown = _call((second, first)[body["instance_id"] % 2], secrets["alice"], "GET",
                              f"/api/v1/instances/{body['instance_id']}")
        assert status == 200 and shown["instance"]["status"] in ("completed", "running")
