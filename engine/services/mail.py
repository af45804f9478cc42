"""E-mail of notifications through the SMTP server the settings name (off while none is named).

Each notification is its own mail's outbox row: it is written in the transaction of the step
that caused it (a reply, an extension, an overdue deadline), so no mail is due for a step that
was rolled back and none is lost for one that was committed. Delivery then works row by row:

- a batch is claimed under SKIP LOCKED by pushing its `mail_next_at` a lease ahead (one
  committed transaction). The lease's end is also its fencing token: a later claim of the same
  row can only come after it ended and sets a later one;
- each mail is built on its own: one that cannot be built (a text that does not render, a
  header the library refuses) is set aside with its reason in `mail_error`, shown to admins,
  and never takes the others with it;
- just before it is handed to the server, each mail is taken: its lease renewed and its
  attempt counted, only if the lease is still this scheduler's (else another took it over and
  this one leaves it alone);
- once the server accepted it (250 to DATA) it is marked sent at once, in a transaction of its
  own; a mail the server refused, or a server that cannot be reached or drops the connection,
  is tried again after a growing backoff (BACKOFF), the mails behind it in the batch untouched
  and uncounted; after MAX_ATTEMPTS tries it is set aside as given up.

The guarantee, as close to exactly once as SMTP allows:
- never lost: a mail is marked sent only after the server accepted it; until then it is due
  again, or set aside for an admin to see (`pdw mail set-aside`);
- never sent by two schedulers at once (the lease, renewed for each mail);
- a second copy is possible in three cases only: the process dies, or loses its database,
  between the server's acceptance and the mark (one UPDATE); the server accepted the message
  but the connection broke before its answer reached PDW (RFC 1047: the sender cannot know);
  one mail takes longer than LEASE to hand over (each SMTP command times out after 30 s).
  Every copy is then the same message: the same `Message-ID` (`<notification.N@domain>`) and
  the same `Date` (when the notification was written, not when it was sent), so receivers and
  mail clients that deduplicate by Message-ID show it once.
"""
from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import or_, select, update

from engine import messages, permissions
from engine.clock import SHANGHAI
from engine.config import Config
from engine.persistence.models import Department, Notification, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import notifications
from engine.services.users import require_administrator

log = logging.getLogger(__name__)

_n = Notification.__table__
_u = User.__table__
# Notifications older than this when e-mail is switched on are not sent.
MAX_AGE = timedelta(days=1)
SUBJECT = "【达州市公共数据】{}"
SUBJECT_LENGTH = 60
BATCH = 100
# How long a claimed mail is left to the scheduler that claimed it before another may take it.
LEASE = timedelta(minutes=5)
# Waits after the 1st, 2nd, ... failure; the last repeats.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
           timedelta(hours=4))
MAX_ATTEMPTS = 12
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")


@dataclass(frozen=True)
class Outgoing:
    """One e-mail: a notification's text to the addresses of its recipient (or group's members)."""

    notification_id: int
    to: tuple[str, ...]
    subject: str
    text: str


class Unbuildable(Exception):
    """A notification whose mail cannot be built (its reason is kept in `mail_error`)."""


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def subject_of(text: str) -> str:
    """A subject for a mail whose body is `text`: its first line without control characters, cut
    at `SUBJECT_LENGTH` characters, never inside a date or time."""
    line = _CONTROL.sub(" ", text.split("\n", 1)[0]).strip()
    if len(line) > SUBJECT_LENGTH:
        cut = SUBJECT_LENGTH
        for date in _DATE.finditer(line):
            if date.start() < cut < date.end():
                cut = date.start()
        line = line[:cut].rstrip() + "…"
    return SUBJECT.format(line)


def claim(uow: UnitOfWork, *, limit: int = BATCH) -> dict[int, datetime]:
    """Claim up to `limit` mails due now (unsent, not set aside, recent, past their backoff) for a
    lease; returns their notification ids, each with its lease's end (its fencing token)."""
    with uow:
        now = uow.engine.clock.now()
        query = (select(_n.c.id).where(_n.c.emailed_at.is_(None), _n.c.mail_error.is_(None),
                                       _n.c.created_at >= now - MAX_AGE,
                                       or_(_n.c.mail_next_at.is_(None), _n.c.mail_next_at <= now))
                 .order_by(_n.c.id).limit(limit))
        if uow.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(uow.session.scalars(query))
        if ids:
            uow.session.execute(update(_n).where(_n.c.id.in_(ids)).values(mail_next_at=now + LEASE))
        uow.commit()
    return {notification_id: now + LEASE for notification_id in ids}


def _take(engine, notification_id: int, lease: datetime) -> datetime | None:
    """Renew the lease on one claimed mail and count the attempt, if the lease is still `lease`;
    returns the new lease, or None when another scheduler took the mail over (or it was sent)."""
    with engine.uow() as uow:
        renewed = engine.clock.now() + LEASE
        taken = uow.session.execute(
            update(_n).where(_n.c.id == notification_id, _n.c.mail_next_at == lease, _n.c.emailed_at.is_(None),
                             _n.c.mail_error.is_(None))
            .values(mail_next_at=renewed, mail_attempts=_n.c.mail_attempts + 1)).rowcount
        uow.commit()
    return renewed if taken else None


def build(uow: UnitOfWork, notification_id: int) -> Outgoing | None:
    """The mail of a notification: its text in Chinese then English, logins and groups replaced
    by people's names and departments; None when its recipients have no address.

    Raises:
        Unbuildable: the text does not render or makes no valid mail.
    """
    with uow.read():
        session = uow.session
        row = session.execute(select(_n).where(_n.c.id == notification_id)).one()
        recipient = f"user:{row.recipient_user}" if row.recipient_user else row.recipient_group
        to = set()
        # With their department's and level's kinds: the bare `supervisor` group is the city's.
        for user in session.execute(select(User.name, User.department, User.roles, User.email, User.department_kind,
                                           User.level_kind)
                                    .where(User.active.is_(True), User.email.is_not(None))):
            if recipient in permissions.groups_of(user):
                to.add(user.email)
        if not to:
            return None
        params = notifications.namer(session)(row.params or {})
    try:
        text = messages.render(row.code, params, "zh") + "\n\n" + messages.render(row.code, params, "en")
        mail = Outgoing(row.id, tuple(sorted(to)), subject_of(text), text)
        _message(uow.engine.config, mail, row.created_at)  # what the library refuses, refused now
    except Exception as err:  # noqa: BLE001 - whatever keeps this mail from being built sets it aside
        raise Unbuildable(f"{type(err).__name__}: {err}"[:500]) from None
    return mail


def _message(config: Config, mail: Outgoing, written_at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    # When the notification was written: every try sends the same message.
    message["Date"] = format_datetime(written_at.astimezone(SHANGHAI))
    domain = (config.smtp_from or "").rpartition("@")[2].strip("> ") or "pdw.invalid"
    # The same id on every try: a mail sent twice after a crash shows once.
    message["Message-ID"] = f"<notification.{mail.notification_id}@{domain}>"
    message.set_content(mail.text)
    return message


def _mark(uow: UnitOfWork, notification_id: int, **values) -> None:
    with uow:
        uow.session.execute(update(_n).where(_n.c.id == notification_id).values(**values))
        uow.commit()


def _retry_later(engine, notification_id: int, reason: str) -> None:
    with engine.uow() as uow:
        attempts = uow.session.scalar(select(_n.c.mail_attempts).where(_n.c.id == notification_id)) or 0
        now = engine.clock.now()
        values = {"mail_next_at": now + backoff(attempts)} if attempts < MAX_ATTEMPTS else \
            {"mail_error": f"given up after {attempts} attempts: {reason}"[:500]}
        uow.session.execute(update(_n).where(_n.c.id == notification_id, _n.c.emailed_at.is_(None)).values(**values))
        uow.commit()


def deliver(uow: UnitOfWork) -> int:
    """E-mail the mails due, when an SMTP server is named, each on its own; how many the server
    accepted."""
    engine = uow.engine
    config = engine.config
    if not config.smtp_host:
        return 0
    claimed = claim(uow)
    ids = list(claimed)
    sent = 0
    smtp = None
    try:
        for position, notification_id in enumerate(ids):
            try:
                mail = build(engine.uow(), notification_id)
            except Unbuildable as unbuildable:
                log.error("notification %s set aside: %s", notification_id, unbuildable)
                _mark(engine.uow(), notification_id, mail_error=str(unbuildable))
                continue
            if mail is None:
                _mark(engine.uow(), notification_id, emailed_at=engine.clock.now())
                continue
            lease = _take(engine, notification_id, claimed[notification_id])
            if lease is None:
                log.warning("notification %s was taken over by another scheduler; left to it", notification_id)
                continue
            try:
                if smtp is None:
                    smtp = _connect(config)
                smtp.send_message(_message(config, mail, _written_at(engine, notification_id)))
            except (OSError, smtplib.SMTPException) as err:
                log.warning("notification %s not accepted (%s); tried again later", notification_id, err)
                _retry_later(engine, notification_id, f"{type(err).__name__}: {err}")
                if smtp is None or isinstance(err, (OSError, smtplib.SMTPServerDisconnected)):
                    # The server cannot be reached: the rest of the batch waits for it, untried.
                    for waiting in ids[position + 1:]:
                        _retry_later(engine, waiting, f"{type(err).__name__}: {err}")
                    break
                continue
            # Accepted: marked at once, whoever holds the lease now (the mail is out either way).
            _mark(engine.uow(), notification_id, emailed_at=engine.clock.now())
            sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return sent


def _written_at(engine, notification_id: int) -> datetime:
    with engine.uow().read() as uow:
        return uow.session.scalar(select(_n.c.created_at).where(_n.c.id == notification_id))


def _connect(config: Config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=30)
    if config.smtp_starttls:
        smtp.starttls()
    if config.smtp_user:
        smtp.login(config.smtp_user, config.smtp_password)
    return smtp


def set_aside(uow: UnitOfWork, actor: str, *, limit: int = 100) -> list[dict]:
    """The mails set aside (could not be built, or given up), newest first, with their reasons:
    for an admin to see.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user may not administer mail (`command.forbidden`).
    """
    with uow.read():
        require_administrator(uow.session, actor, "mail")
        rows = uow.session.execute(select(_n.c.id, _n.c.code, _n.c.recipient_user, _n.c.recipient_group,
                                          _n.c.instance_id, _n.c.created_at, _n.c.mail_attempts, _n.c.mail_error)
                                   .where(_n.c.mail_error.is_not(None)).order_by(_n.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]
