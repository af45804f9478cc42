"""Notifications: what a user (or one of their groups) has been told and not yet read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from engine import messages, permissions
from engine.persistence.models import Notification, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.users import require_user

_n = Notification.__table__


@dataclass(frozen=True)
class NotificationView:
    """One unread notification, its text chosen by code."""

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
                               .order_by(_n.c.id.desc()).limit(limit))
    return [NotificationView(r.id, r.code, r.params, r.instance_id, r.task_id, r.created_at, r.recipient_group)
            for r in rows]


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
        rows = uow.session.execute(select(_n).where(mine).order_by(_n.c.id.desc()).limit(limit))
        return NotificationList(count, [(NotificationView(r.id, r.code, r.params, r.instance_id, r.task_id,
                                                          r.created_at, r.recipient_group), r.read_at is not None)
                                        for r in rows])


def count_unread(uow: UnitOfWork, user: User) -> int:
    """How many notifications to `user` or their groups are unread, inside the caller's transaction."""
    return uow.session.scalar(select(func.count()).select_from(_n)
                              .where(_addressed_to(user.name, permissions.groups_of(user))))
