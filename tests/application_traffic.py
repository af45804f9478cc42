"""Applications applied for and decided on several threads, and what must hold of them afterwards:
the traffic of the tests that disturb PostgreSQL while PDW writes (backends killed at random, a
connection pooler in transaction mode). Two procedures: the fixture two_reviews (two decisions)
and the shipped conditional_share (claimed, then approved: a grant is recorded)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from engine import demo
from engine.errors import Conflict
from engine.persistence import health
from engine.persistence.models import AuditEntry, Grant, HumanTask, ProcessInstance
from engine.services import audit, definitions, instances, tasks
from engine.services.users import SYSTEM, add_user

BPMN = Path(__file__).parent / "fixtures" / "bpmn" / "two_reviews.bpmn"
APPLICATION = {"subject": "人口基础信息共享"}
SHARE_APPLICATION = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息",
                     "request_basis": "《户口登记条例》", "purpose": "户籍登记",
                     "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
SHARE_APPROVAL = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}


def staff(engine) -> None:
    """Deploy two_reviews and add its applicant, alice, and rita, who reviews and supervises."""
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer", "supervisor"], actor=SYSTEM)


class TwoReviews:
    """The fixture: alice applies, rita decides both reviews."""

    # Decided to the end, or waiting at a review. An application whose start committed but whose
    # answer was lost (with a killed backend) was applied for again, and waits at its first.
    WHOLE = {("completed", ("completed", "completed")), ("running", ("open",)), ("running", ("completed", "open"))}

    set_up = staticmethod(staff)

    @staticmethod
    def apply(engine):
        return instances.start(engine.uow(), "two_reviews", actor="alice", data=APPLICATION)

    @staticmethod
    def decide(traffic: Traffic, task_id: int) -> None:
        engine = traffic.engine
        traffic.again(lambda: tasks.complete(engine.uow(), task_id, actor="rita", data={"decision": "approve"}),
                      done_if="task.completed")

    @classmethod
    def check(cls, session, instance_id: int, status: str, states: tuple[str, ...]) -> None:
        assert (status, states) in cls.WHOLE, (instance_id, status, states)
        entries = session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.instance_id == instance_id))
        # Started (1), and each decision's claim and completion, committed together (2).
        assert entries == 1 + 2 * states.count("completed"), (instance_id, entries, states)


class ConditionalShare:
    """The shipped procedure on the demo's catalog item GA-001 (conditionally shared): zhang.san
    applies, li.si claims the review and approves it, and the approval records a grant."""

    WHOLE = {("completed", ("completed",)), ("running", ("open",))}

    set_up = staticmethod(demo.load)

    @staticmethod
    def apply(engine):
        return instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=SHARE_APPLICATION)

    @staticmethod
    def decide(traffic: Traffic, task_id: int) -> None:
        engine = traffic.engine
        traffic.again(lambda: tasks.claim(engine.uow(), task_id, actor="li.si"), done_if="task.already_yours")
        traffic.again(lambda: tasks.complete(engine.uow(), task_id, actor="li.si", data=SHARE_APPROVAL),
                      done_if="task.completed")

    @classmethod
    def check(cls, session, instance_id: int, status: str, states: tuple[str, ...]) -> None:
        assert (status, states) in cls.WHOLE, (instance_id, status, states)
        grants = session.scalar(select(func.count()).select_from(Grant).where(Grant.instance_id == instance_id))
        # The approval and its grant are one step: granted once, and only when approved.
        assert grants == (1 if status == "completed" else 0), (instance_id, status, grants)


class Traffic:
    """`threads` threads, each applying for `procedure` and deciding it to the end, over and over.

    A step that fails asking for a retry (health.is_transient: what the web app, the API and the
    command line answer with "database.retry") is sent again, as a user would; its type is noted
    in `retried`. Any other failure stops its thread and is kept in `failures`.
    """

    def __init__(self, engine, procedure=TwoReviews, threads: int = 4) -> None:
        self.engine = engine
        self.procedure = procedure
        with engine.uow().read() as uow:  # the applications made before (the demo's) are not its own
            self.after_id = uow.session.scalar(select(func.max(ProcessInstance.id))) or 0
        self.retried: list[str] = []
        self.failures: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._apply_and_decide) for _ in range(threads)]

    def run(self, seconds: float) -> None:
        """Run the threads for `seconds`; each finishes the application it is in."""
        for thread in self._threads:
            thread.start()
        time.sleep(seconds)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def again(self, step, *, done_if: str | None = None):
        """`step()`, sent again while it fails asking for a retry. A step sent again may find
        itself done already, its answer lost with the backend: the Conflict coded `done_if`."""
        sent = False
        while True:
            try:
                return step()
            except Conflict as err:
                if not (sent and err.code == done_if):
                    raise
                return None
            except Exception as err:  # noqa: BLE001 - anything but a retry is raised
                if not health.is_transient(err):
                    raise
                self.retried.append(type(err).__name__)
                sent = True

    def see_through(self, instance_id: int, task_id: int | None) -> None:
        """Decide the application's tasks, from `task_id`, to its end."""
        while task_id is not None:
            self.procedure.decide(self, task_id)
            task_id = self.again(lambda: open_task(self.engine, instance_id))

    def _apply_and_decide(self) -> None:
        try:
            while not self._stop.is_set():
                started = self.again(lambda: self.procedure.apply(self.engine))
                self.see_through(started.instance_id, started.opened_task_ids[0])
        except BaseException as err:  # noqa: BLE001 - the test reports it
            self.failures.append(err)


def open_task(engine, instance_id: int) -> int | None:
    """The open task of application `instance_id`, if it waits at one."""
    with engine.uow().read() as uow:
        return uow.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.state == "open"))


def assert_every_application_whole(traffic: Traffic) -> int:
    """Check each application against its tasks (and what its procedure says of it) and that the
    audit chain verifies, then decide each one left waiting to its end; returns how many there were."""
    engine = traffic.engine
    with engine.uow().read() as uow:
        session = uow.session
        applications = session.execute(select(ProcessInstance.id, ProcessInstance.status)
                                       .where(ProcessInstance.id > traffic.after_id)).all()
        for instance_id, status in applications:
            states = tuple(sorted(session.scalars(select(HumanTask.state)
                                                  .where(HumanTask.instance_id == instance_id))))
            traffic.procedure.check(session, instance_id, status, states)
    assert audit.verify(engine.uow()).ok
    for instance_id, status in applications:
        if status == "running":
            traffic.see_through(instance_id, open_task(engine, instance_id))
    with engine.uow().read() as uow:
        assert set(uow.session.scalars(select(ProcessInstance.status)
                                       .where(ProcessInstance.id > traffic.after_id))) == {"completed"}
    return len(applications)
