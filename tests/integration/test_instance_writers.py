"""One writer and one strategy for instance rows: only the instance repository writes them, and
every step that writes one (a decision, a fired timer, a version migration, a re-count) first
takes its row lock, so concurrent steps on one application wait rather than fail."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from engine.services import definitions, instances
from engine.services.users import SYSTEM, add_user

ROOT = Path(__file__).resolve().parent.parent.parent
BPMN = ROOT / "tests" / "fixtures" / "bpmn" / "two_reviews.bpmn"
# An UPDATE of process_instances, written in Core, the ORM or SQL.
WRITES_INSTANCES = re.compile(r"update\(\s*(ProcessInstance|_i\b|i\b)|UPDATE process_instances", re.IGNORECASE)


def test_only_the_instance_repository_writes_instance_rows():
    writers = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "engine").rglob("*.py")
                     if "migrations" not in path.parts and WRITES_INSTANCES.search(path.read_text(encoding="utf-8")))
    assert writers == ["engine/persistence/repositories.py"]


@pytest.fixture
def database_kind() -> str:
    return "postgres"


def test_a_step_taking_an_application_waits_for_the_step_that_holds_it(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    started = instances.start(engine.uow(), "two_reviews", actor="alice", data={"subject": "人口"})
    with engine.uow() as holder:
        # What a decision does: the task with its instance, locked.
        assert holder.tasks.for_decision(started.opened_task_ids[0], "alice") is not None
        with pytest.raises(psycopg.errors.LockNotAvailable):
            with engine.uow() as timer:  # what firing a timer does
                timer.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
                timer.instances.get(started.instance_id, lock=True)
        waited = []

        def take() -> None:
            with engine.uow() as later:
                waited.append(later.instances.get(started.instance_id, lock=True).version)
                later.commit()

        thread = threading.Thread(target=take)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive()  # waiting, not refused
        holder.commit()
    thread.join()
    assert waited == [1]
