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
from aiosmtpd.smtp import SMTP
from sqlalchemy import func, select

from engine.bootstrap import build_engine
from engine.clock import Clock
from engine.errors import PermissionDenied
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


def _notify(engine, *rows: dict) -> None:
    with engine.uow() as uow:
        uow.notifications.add([{"recipient_user": None, "recipient_group": None, "instance_id": None, "task_id": None,
                                "created_at": engine.clock.now(), **row} for row in rows])
        uow.commit()


def test_every_mail_due_arrives_exactly_once_after_an_smtp_outage_and_a_bad_one_is_set_aside(staffed):
    port = _free_port()  # nothing listens there yet: every connection is refused
    engine = staffed.at("2026-02-25T09:00:00+08:00")
    add_user(engine.uow(), "zhao.liu", department="sjj", roles=["supervisor"], display_name="赵六",
             email="zhao@sjj.example", actor=SYSTEM)
    add_user(engine.uow(), "admin", department="sjj", roles=["admin"], actor=SYSTEM)
    engine = replace(engine, config=replace(engine.config, smtp_host="127.0.0.1", smtp_port=port))
    assert supervision.watch(engine.uow()).reminders == 1  # to group reviewer@sjj: rita and rob
    _notify(engine,
            {"recipient_user": "zhao.liu", "code": "notification.urged",
             "params": {"receipt_number": "DZ2026021200001", "title": "审核\r\nBcc: eve@evil.example", "days": 3,
                        "by": "zhao.liu", "note": ""}},
            # A code of an older release this one no longer knows: its mail cannot be built.
            {"recipient_user": "zhao.liu", "code": "notification.retired", "params": {}},
            {"recipient_user": "zhao.liu", "code": "notification.extended",
             "params": {"receipt_number": "DZ2026021200001", "old_due": "2026-02-26", "new_due": "2026-03-05",
                        "reason": "需征求数源单位意见"}})

    assert mail.deliver(engine.uow()) == 0  # refused: nothing sent, nothing lost
    assert mail.deliver(engine.uow()) == 0  # backing off: not tried again at once
    with engine.uow().read() as uow:
        waiting = uow.session.execute(select(Notification.mail_attempts, Notification.emailed_at)
                                      .where(Notification.mail_error.is_(None)).order_by(Notification.id)).all()
    # The first mail found the server unreachable; the others waited for it, untried.
    assert waiting == [(1, None), (0, None), (0, None), (0, None)]

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        later = replace(staffed.at("2026-02-25T09:02:00+08:00"), config=engine.config)
        assert mail.deliver(later.uow()) == 3
        assert mail.deliver(replace(staffed.at("2026-02-25T10:00:00+08:00"), config=engine.config).uow()) == 0
    finally:
        controller.stop()

    subjects = sorted(str(message["Subject"]) for _, message in inbox.messages)
    assert len(inbox.messages) == 3 and len({m["Message-ID"] for _, m in inbox.messages}) == 3
    for recipients, message in inbox.messages:
        assert message["Date"] and message["Message-ID"].startswith("<notification.")
        assert "\n" not in str(message["Subject"]) and "Bcc" not in message
    urged = next(m for _, m in inbox.messages if "催办" in str(m["Subject"]))
    assert "赵六" in urged.get_content() and "zhao.liu" not in urged.get_content()
    extended = next(m for _, m in inbox.messages if "延长" in str(m["Subject"]))
    assert "2026-03-05" in str(extended["Subject"]) or str(extended["Subject"]).endswith("…")
    assert "需征求数源单位意见" in extended.get_content()
    assert any(s.startswith("【达州市公共数据】DZ2026021200001") for s in subjects)
    [aside] = mail.set_aside(engine.uow(), "admin")
    assert aside["code"] == "notification.retired" and "KeyError" in aside["mail_error"]
    with pytest.raises(PermissionDenied):  # set aside for an admin to see, not for anyone
        mail.set_aside(engine.uow(), "zhao.liu")


def test_a_subject_is_cut_before_a_date_never_inside_it():
    text = "您的申请 DZ2026021200001「有条件共享数据申请的答复期限」答复期限由 2026-02-26 延长至 2026-03-05。"
    subject = mail.subject_of(text)
    assert subject.endswith("…") or subject.endswith("。")
    assert not any(subject.rstrip("…").endswith(partial) for partial in ("2026-", "2026-0", "2026-03-", "2026-03-0"))
    assert "\n" not in mail.subject_of("第一行\r\n第二行")


class _Dropping(SMTP):
    """An SMTP session of a server that, while its handler says so, drops the connection the
    moment it is made."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if self.event_handler.dropping == "on_connect":
            transport.abort()


class FlakyInbox(Inbox):
    """What a server that drops connections receives: `dropping` is None (up), "on_connect"
    (every connection dropped at once) or "after_data" (the message kept, then the connection
    dropped before the server's 250 reaches the sender: RFC 1047's duplicate)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropping: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        answer = await super().handle_DATA(server, session, envelope)
        if self.dropping == "after_data":
            server.transport.abort()
        return answer


class FlakyController(Controller):
    def factory(self):
        return _Dropping(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def flaky_server():
    """A local SMTP server on a free port whose handler can drop connections."""
    inbox = FlakyInbox()
    controller = FlakyController(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _due_mails(engine, count: int) -> None:
    add_user(engine.uow(), "zhao.liu", department="sjj", roles=["supervisor"], display_name="赵六",
             email="zhao@sjj.example", actor=SYSTEM)
    _notify(engine, *({"recipient_user": "zhao.liu", "code": "notification.replied",
                       "params": {"receipt_number": f"DZ20260225{n:05d}"}} for n in range(count)))


def test_after_an_outage_that_drops_every_connection_each_mail_arrives_exactly_once(staffed, flaky_server):
    controller, inbox = flaky_server
    engine = _with_smtp(staffed, controller, "2026-02-25T09:00:00+08:00")
    _due_mails(engine, 5)
    inbox.dropping = "on_connect"

    # Down for an hour and a half: every try finds the connection dropped; nothing is lost.
    for instant in ("09:00", "09:01", "09:07", "09:25", "10:30"):
        assert mail.deliver(_with_smtp(staffed, controller, f"2026-02-25T{instant}:00+08:00").uow()) == 0
    assert inbox.messages == []
    with engine.uow().read() as uow:
        waiting = uow.session.execute(select(Notification.emailed_at, Notification.mail_error,
                                             Notification.mail_attempts).order_by(Notification.id)).all()
    # Only the first mail of each batch was tried: the others wait for the server untouched.
    assert [(sent, error) for sent, error, _ in waiting] == [(None, None)] * 5
    assert [attempts for _, _, attempts in waiting] == [5, 0, 0, 0, 0]

    inbox.dropping = None  # back; the first mail's backoff (1 h after its 4th try) has run out
    assert mail.deliver(_with_smtp(staffed, controller, "2026-02-25T14:31:00+08:00").uow()) == 5
    assert mail.deliver(_with_smtp(staffed, controller, "2026-02-25T16:00:00+08:00").uow()) == 0

    ids = [message["Message-ID"] for _, message in inbox.messages]
    assert len(ids) == 5 and len(set(ids)) == 5
    with engine.uow().read() as uow:
        written = dict(uow.session.execute(select(Notification.id, Notification.created_at)).all())
    for _, message in inbox.messages:
        number = int(message["Message-ID"].removeprefix("<notification.").split("@")[0])
        # Dated when the notification was written, not when the server came back.
        assert message["Date"].datetime == written[number]


def test_a_mail_whose_acceptance_was_lost_is_sent_again_as_the_same_message(staffed, flaky_server):
    controller, inbox = flaky_server
    engine = _with_smtp(staffed, controller, "2026-02-25T09:00:00+08:00")
    _due_mails(engine, 1)
    inbox.dropping = "after_data"  # the server keeps it, PDW never hears its 250

    assert mail.deliver(engine.uow()) == 0
    inbox.dropping = None
    assert mail.deliver(_with_smtp(staffed, controller, "2026-02-25T09:01:00+08:00").uow()) == 1

    # The one duplicate SMTP allows (RFC 1047), as the same message: a receiver keeping one
    # message per Message-ID keeps one.
    first, second = (message for _, message in inbox.messages)
    assert [first[h] for h in ("Message-ID", "Date", "Subject")] == [second[h] for h in ("Message-ID", "Date",
                                                                                        "Subject")]
    assert first.get_content() == second.get_content()
    assert mail.deliver(_with_smtp(staffed, controller, "2026-02-25T10:00:00+08:00").uow()) == 0


def test_a_mail_another_scheduler_took_over_is_left_to_it(staffed, smtp_server):
    controller, inbox = smtp_server
    engine = _with_smtp(staffed, controller, "2026-02-25T09:00:00+08:00")
    _due_mails(engine, 1)
    stale = mail.claim(engine.uow())
    # The first scheduler stalls past its lease; a second one claims the mail and sends it.
    later = _with_smtp(staffed, controller, "2026-02-25T09:06:00+08:00")
    assert mail.deliver(later.uow()) == 1

    [(notification_id, lease)] = stale.items()
    assert mail._take(later, notification_id, lease) is None  # the stalled one may not send it
    assert len(inbox.messages) == 1
