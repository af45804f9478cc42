"""Applications for the fixture two_reviews, applied for and decided on several threads, and what
must hold of them afterwards: the traffic of the tests that disturb PostgreSQL while PDW writes
(backends killed at random, a connection pooler in transaction mode)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from engine.errors import Conflict
from engine.persistence import health
from engine.persistence.models import AuditEntry, HumanTask, ProcessInstance
from engine.services import audit, definitions, instances, tasks
from engine.services.users import SYSTEM, add_user

BPMN = Path(__file__).parent / "fixtures" / "bpmn" / "two_reviews.bpmn"
APPLICATION = {"subject": "人口基础信息共享"}
DECISION = {"decision": "approve"}
# What each application may look like once the traffic stops: decided to the end, or waiting at
# a review. An application whose start committed but whose answer was lost (with a killed
# backend) was applied for again, and waits at its first review.
WHOLE = {("completed", ("completed", "completed")), ("running", ("open",)), ("running", ("completed", "open"))}


def staff(engine) -> None:
    """Deploy two_reviews and add its applicant, alice, and rita, who reviews and supervises."""
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer", "supervisor"], actor=SYSTEM)


class Traffic:
    """`threads` threads, each applying for two_reviews and deciding it to the end, over and over.

    A step that fails asking for a retry (health.is_transient: what the web app, the API and the
    command line answer with "database.retry") is sent again, as a user would; its type is noted
    in `retried`. Any other failure stops its thread and is kept in `failures`.
    """

    def __init__(self, engine, threads: int = 4) -> None:
        self.engine = engine
        self.retried: list[str] = []
        self.failures: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._apply_and_decide) for _ in range(threads)]

    def run(self, seconds: float) -> None:
        """Run the threads for `seconds`; each finishes the step it is in."""
        for thread in self._threads:
            thread.start()
        time.sleep(seconds)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def again(self, step):
        """`step()`, sent again while it fails asking for a retry."""
        while True:
            try:
                return step()
            except Exception as err:  # noqa: BLE001 - anything but a retry is raised
                if not health.is_transient(err):
                    raise
                self.retried.append(type(err).__name__)

    def decide(self, instance_id: int, task_id: int | None) -> None:
        """Decide the application's tasks, from `task_id`, to its end."""
        engine = self.engine
        while task_id is not None:
            try:
                self.again(lambda: tasks.complete(engine.uow(), task_id, actor="rita", data=DECISION))
            except Conflict as err:
                # The decision sent again had been committed; only its answer was lost.
                assert err.code == "task.completed", err
            task_id = self.again(lambda: open_task(engine, instance_id))

    def _apply_and_decide(self) -> None:
        engine = self.engine
        try:
            while not self._stop.is_set():
                started = self.again(lambda: instances.start(engine.uow(), "two_reviews", actor="alice",
                                                             data=APPLICATION))
                self.decide(started.instance_id, started.opened_task_ids[0])
        except BaseException as err:  # noqa: BLE001 - the test reports it
            self.failures.append(err)


def open_task(engine, instance_id: int) -> int | None:
    """The open task of application `instance_id`, if it waits at one."""
    with engine.uow().read() as uow:
        return uow.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.state == "open"))


def assert_every_application_whole(traffic: Traffic) -> int:
    """Check that every application agrees with its tasks and its audit entries and that the audit
    chain verifies, then decide each one left waiting to its end; returns how many there were."""
    engine = traffic.engine
    with engine.uow().read() as uow:
        session = uow.session
        applications = session.execute(select(ProcessInstance.id, ProcessInstance.status)).all()
        for instance_id, status in applications:
            states = tuple(sorted(session.scalars(select(HumanTask.state)
                                                  .where(HumanTask.instance_id == instance_id))))
            entries = session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.instance_id == instance_id))
            assert (status, states) in WHOLE, (instance_id, status, states)
            # Started (1), and each decision's claim and completion, committed together (2).
            assert entries == 1 + 2 * states.count("completed"), (instance_id, entries, states)
    assert audit.verify(engine.uow()).ok
    for instance_id, status in applications:
        if status == "running":
            traffic.decide(instance_id, open_task(engine, instance_id))
    with engine.uow().read() as uow:
        assert set(uow.session.scalars(select(ProcessInstance.status))) == {"completed"}
    return len(applications)
