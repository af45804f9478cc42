"""E-mail of notifications through a real SMTP server started in the test, and the scheduler the
web process runs on the embedded default."""
from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
import time
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from engine.bootstrap import build_engine
from engine.clock import Clock
from engine.persistence.models import Notification, Timer
from engine.services import definitions, instances, mail, supervision
from engine.services.users import SYSTEM, add_user
from engine_factory import config_for_tests

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECEIVED = "2026-02-12T10:00:00+08:00"


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A local SMTP server on a free port, and what it received."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def staffed(engines):
    engine = engines.at(RECEIVED)
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], email="rita@sjj.example", actor=SYSTEM)
    add_user(engine.uow(), "rob", department="sjj", roles=["reviewer"], email="rob@sjj.example", actor=SYSTEM)
    definitions.deploy(engine.uow(), [("deadline_escalation.bpmn",
                                       (FIXTURES / "bpmn" / "deadline_escalation.bpmn").read_bytes())], actor=SYSTEM)
    instances.start(engine.uow(), "deadline_escalation", actor="alice", data={})
    return engines


def _with_smtp(engines, controller, instant: str):
    engine = engines.at(instant)
    return replace(engine, config=replace(engine.config, smtp_host="127.0.0.1", smtp_port=controller.port))


def test_e_mail_is_off_by_default(staffed):
    engine = staffed.at("2026-02-25T09:00:00+08:00")
    supervision.watch(engine.uow())
    assert mail.deliver(engine.uow()) == 0


def test_a_reminder_is_e_mailed_once_to_every_member_of_the_group(staffed, smtp_server):
    controller, inbox = smtp_server
    engine = _with_smtp(staffed, controller, "2026-02-25T09:00:00+08:00")
    assert supervision.watch(engine.uow()).reminders == 1
    assert mail.deliver(engine.uow()) == 1
    assert mail.deliver(engine.uow()) == 0
    [(recipients, message)] = inbox.messages
    assert recipients == ["rita@sjj.example", "rob@sjj.example"]
    assert message["Subject"].startswith("【达州市公共数据】DZ2026021200001")
    body = message.get_content()
    assert "将于 2026-02-26 届满（第二十条第二款）" in body
    # English follows the Chinese.
    chinese, english = body.split("\n\n", 1)
    assert "届满" in chinese and "is due on 2026-02-26" in english
    with engine.uow().read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Notification)
                                  .where(Notification.emailed_at.is_(None))) == 0


def test_an_invalid_e_mail_address_is_refused_naming_the_field(engines):
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        add_user(engines.at().uow(), "eve", department="sjj", roles=["reviewer"], email="not an address", actor=SYSTEM)
    assert refused.value.problems[0].field == "email"


def test_the_web_process_runs_the_scheduler_itself_and_fires_due_timers(staffed, sandbox):
    from webapp import create_app

    config = replace(config_for_tests(staffed.config.database_url, FIXTURES / "forms"), web_scheduler="on")
    engine = build_engine(config, Clock.parse("2026-03-02T09:00:00+08:00"), sandbox=sandbox)
    app = create_app({"PDW_ENGINE": engine, "SECRET_KEY": "test", "PDW_SCHEDULER_INTERVAL": 0.2})
    scheduler = app.extensions["pdw_scheduler"]
    try:
        deadline = time.monotonic() + 10
        fired = 0
        while time.monotonic() < deadline and not fired:
            time.sleep(0.2)
            with engine.uow().read() as uow:
                fired = uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_not(None)))
        assert fired == 1
    finally:
        scheduler.shutdown(wait=True)
        engine.close()


def test_the_web_process_leaves_scheduling_to_pdw_scheduler_run_on_postgresql(engines):
    from webapp import create_app

    engine = engines.at()
    config = replace(engine.config, database_url="postgresql+psycopg://pdw@db.example/pdw", web_scheduler="auto")
    app = create_app({"PDW_ENGINE": replace(engine, config=config), "SECRET_KEY": "test", "TESTING": False})
    assert "pdw_scheduler" not in app.extensions
