"""Notifications: what a user (or one of their groups) has been told and not yet read.

A notification is also its own mail's outbox row (engine.services.mail), so it is written in
the transaction of the command that caused it: the reply notice with the step that gave the
reply (`tell_reply`), the extension notice with the step that extended the period.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine import messages, permissions
from engine.persistence.models import DeadlineNotice, Department, Notification, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.users import require_user

_n = Notification.__table__
_once = DeadlineNotice.__table__
# How a candidate group reads: the department's name and who in it.
ROLE_WORDS = {"reviewer": "审核人员", "supervisor": "监督人员", "source_unit_handler": "数据经办人员",
              "department_head": "负责人", "applicant": "申请人员", "designer": "流程设计人员", "admin": "系统管理员"}
_GROUP = re.compile(r"[a-z_]+@[A-Za-z0-9_-]+")


def once(uow: UnitOfWork, key: str, kind: str, *, instance_id=None, task_id=None) -> bool:
    """Record notice `key` in the caller's transaction; False when it was already recorded (by
    this or a concurrent transaction, which this one then waits for)."""
    dialect = uow.session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = maker(_once).values(key=key, kind=kind, instance_id=instance_id, task_id=task_id,
                                    created_at=uow.engine.clock.now())
    return uow.session.execute(statement.on_conflict_do_nothing(index_elements=["key"])
                               .returning(_once.c.id)).scalar() is not None


def tell_reply(uow: UnitOfWork, instance, now: datetime, *, ended_reason: str | None = None) -> None:
    """Tell the applicant of `instance` that it has been answered (or, with `ended_reason`, ended
    by the authority), in the caller's transaction: the notice and its mail are committed with
    the step that gave the reply or rolled back with it. Once per application and kind (the key
    `reply:instance:<id>` or `ended:instance:<id>`)."""
    kind = "ended" if ended_reason is not None else "reply"
    if ended_reason is None:
        row = _to_applicant(instance, "notification.replied", {"receipt_number": instance.receipt_number}, now)
    else:
        row = _to_applicant(instance, "notification.ended", {"receipt_number": instance.receipt_number,
                                                             "reason": ended_reason}, now)
    uow.notifications.add_once(f"{kind}:instance:{instance.id}", kind, row)


def _to_applicant(instance, code: str, params: dict, now: datetime) -> dict:
    return {"recipient_user": instance.started_by, "recipient_group": None, "code": code, "params": params,
            "instance_id": instance.id, "task_id": None, "created_at": now}


def namer(session) -> Callable[[dict], dict]:
    """A function giving notification params as people read them: each login replaced by the
    person's name and each candidate group (`reviewer@sjj`, `group:supervisor`) by its
    department's name and who in it; read from the database once."""
    names = dict(session.execute(select(User.name, User.display_name)).all())
    departments = dict(session.execute(select(Department.code, Department.name)).all())

    def named(params: dict) -> dict:
        shown = {}
        for key, value in (params or {}).items():
            if isinstance(value, str):
                bare = value.removeprefix("group:").removeprefix("user:")
                if bare in names:
                    value = names[bare] or bare
                elif value.startswith("group:") or _GROUP.fullmatch(bare):
                    role, _, unit = bare.partition("@")
                    value = f"{departments.get(unit, '')}{ROLE_WORDS.get(role, role)}"
            shown[key] = value
        return shown
    return named


@dataclass(frozen=True)
class NotificationView:
    """One notification, its text chosen by code, its params as people read them (`namer`)."""

    id: int
    code: str
    params: dict
    instance_id: int | None
    task_id: int | None
    created_at: datetime
    to_group: str | None

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("zh" or "en")."""
        return messages.render(self.code, self.params, lang)


def _addressed_to(name: str, groups: tuple[str, ...]):
    return and_(_n.c.read_at.is_(None), or_(_n.c.recipient_user == name, _n.c.recipient_group.in_(groups)))


def unread(uow: UnitOfWork, actor: str, limit: int = 20) -> list[NotificationView]:
    """The newest unread notifications to `actor` or any of their groups.

    Raises:
        NotFound: no such user.
    """
    with uow.read():
        user = require_user(uow.session, actor)
        return unread_in(uow, actor, permissions.groups_of(user), limit)


def unread_in(uow: UnitOfWork, name: str, groups: tuple[str, ...] | list[str], limit: int = 20) \
        -> list[NotificationView]:
    """`unread` inside a unit of work the caller opened (the inbox page shows them at its top);
    one query on the unread indexes."""
    rows = uow.session.execute(select(_n).where(_addressed_to(name, tuple(groups)))
                               .order_by(_n.c.id.desc()).limit(limit)).all()
    named = namer(uow.session) if rows else None
    return [NotificationView(r.id, r.code, named(r.params), r.instance_id, r.task_id, r.created_at,
                             r.recipient_group) for r in rows]


def mark_read(uow: UnitOfWork, actor: str, ids: list[int]) -> int:
    """Mark notifications to `actor` (or their groups) read; a group's is read for the whole group.
    Returns how many were marked.

    Raises:
        NotFound: no such user.
    """
    with uow:
        user = require_user(uow.session, actor)
        mine = _addressed_to(actor, permissions.groups_of(user))
        marked = uow.session.execute(update(_n).where(_n.c.id.in_(ids), mine)
                                     .values(read_at=uow.engine.clock.now(), read_by=actor)).rowcount
        uow.commit()
        return marked


@dataclass(frozen=True)
class NotificationList:
    """A user's notifications, newest first, and how many are unread."""

    unread: int
    items: list[tuple[NotificationView, bool]]  # (notification, read?)


def listing(uow: UnitOfWork, actor: str, limit: int = 50) -> NotificationList:
    """The newest notifications to `actor` or their groups, read or not, with the unread count.

    Raises:
        NotFound: no such user.
    """
    with uow.read():
        user = require_user(uow.session, actor)
        groups = permissions.groups_of(user)
        mine = or_(_n.c.recipient_user == actor, _n.c.recipient_group.in_(groups))
        count = uow.session.scalar(select(func.count()).select_from(_n).where(_addressed_to(actor, groups)))
        rows = uow.session.execute(select(_n).where(mine).order_by(_n.c.id.desc()).limit(limit)).all()
        named = namer(uow.session)
        return NotificationList(count, [(NotificationView(r.id, r.code, named(r.params), r.instance_id, r.task_id,
                                                          r.created_at, r.recipient_group), r.read_at is not None)
                                        for r in rows])


def count_unread(uow: UnitOfWork, user: User) -> int:
    """How many notifications to `user` or their groups are unread, inside the caller's transaction."""
    return uow.session.scalar(select(func.count()).select_from(_n)
                              .where(_addressed_to(user.name, permissions.groups_of(user))))
