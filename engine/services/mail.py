"""E-mail of notifications through the SMTP server the settings name (off while none is named).

A batch of unsent notifications is taken under SKIP LOCKED and marked sent in one committed
transaction before anything is handed to the server, so however many schedulers deliver, each
notification is e-mailed at most once; one the server refuses is logged, not retried.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select, update

from engine import messages, permissions
from engine.config import Config
from engine.persistence.models import Department, Notification, User
from engine.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

_n = Notification.__table__
_u = User.__table__
# Notifications older than this when e-mail is switched on are not sent.
MAX_AGE = timedelta(days=1)
SUBJECT = "【达州市公共数据】{}"


@dataclass(frozen=True)
class Outgoing:
    """One e-mail: a notification's text to the addresses of its recipient (or group's members)."""

    notification_id: int
    to: tuple[str, ...]
    text: str


def take(uow: UnitOfWork, *, limit: int = 100) -> list[Outgoing]:
    """Mark up to `limit` recent unsent notifications as e-mailed and return their mails
    (notifications whose recipients have no address are marked too, and send nothing)."""
    with uow:
        now = uow.engine.clock.now()
        session = uow.session
        query = (select(_n.c.id, _n.c.recipient_user, _n.c.recipient_group, _n.c.code, _n.c.params)
                 .where(_n.c.emailed_at.is_(None), _n.c.created_at >= now - MAX_AGE).order_by(_n.c.id).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            return []
        addresses: dict[str, set[str]] = {}
        # The department's kind decides whether a supervisor is the authority's (engine.permissions.groups_of).
        kind = select(Department.kind).where(Department.code == _u.c.department).scalar_subquery()
        for user in session.execute(select(_u.c.name, _u.c.department, _u.c.roles, _u.c.email,
                                           kind.label("department_kind"))
                                    .where(_u.c.active.is_(True), _u.c.email.is_not(None))):
            for group in permissions.groups_of(user):
                addresses.setdefault(group, set()).add(user.email)
        session.execute(update(_n).where(_n.c.id.in_([r.id for r in rows])).values(emailed_at=now))
        uow.commit()
    mails = []
    for r in rows:
        to = addresses.get(f"user:{r.recipient_user}" if r.recipient_user else r.recipient_group, set())
        if to:
            # Chinese first, English second, as the web app speaks.
            mails.append(Outgoing(r.id, tuple(sorted(to)), messages.render(r.code, r.params, "zh") + "\n\n"
                                  + messages.render(r.code, r.params, "en")))
    return mails


def send(config: Config, mails: list[Outgoing]) -> int:
    """Hand `mails` to the SMTP server of `config` over one connection; how many it accepted."""
    if not mails:
        return 0
    sent = 0
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        for mail in mails:
            message = EmailMessage()
            message["From"] = config.smtp_from
            message["To"] = ", ".join(mail.to)
            message["Subject"] = SUBJECT.format(mail.text[:40])
            message.set_content(mail.text)
            try:
                smtp.send_message(message)
                sent += 1
            except smtplib.SMTPException:
                log.exception("notification %s was not accepted by the SMTP server", mail.notification_id)
    return sent


def deliver(uow: UnitOfWork) -> int:
    """E-mail what has not been e-mailed, when an SMTP server is named; how many were sent."""
    config = uow.engine.config
    if not config.smtp_host:
        return 0
    return send(config, take(uow))
