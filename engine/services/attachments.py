"""Supporting documents of an application: added by its applicant, read by whoever may see it.

A document's type is decided here from its name and its first bytes, never from what the
browser claims, and only the types officials can open safely are taken.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from sqlalchemy import func, select

from engine import permissions
from engine.errors import Conflict, InvalidInput, NotFound, Problem
from engine.persistence.models import Attachment, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import audience
from engine.services.users import require_user

# Extension -> (content type served, the bytes such a file begins with).
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
}
MAX_NAME = 200


@dataclass(frozen=True)
class AttachmentView:
    """A document as listed: no content."""

    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True)
class Document:
    """A document to be served."""

    name: str
    content_type: str
    content: bytes


def _clean_name(name: str) -> str:
    # Only the last part of a path a browser may send, without control characters.
    base = PurePosixPath((name or "").replace("\\", "/")).name
    return "".join(ch for ch in base if ch.isprintable())[-MAX_NAME:] or "document"


def _problems(name: str, content: bytes, max_bytes: int) -> list[Problem]:
    allowed = sorted(TYPES)
    kind = TYPES.get(PurePosixPath(name.lower()).suffix)
    if kind is None or not content.startswith(kind[1]):
        return [Problem("attachment.type_not_allowed", {"name": name, "allowed": allowed}, field="attachment")]
    if len(content) > max_bytes:
        return [Problem("attachment.too_large", {"name": name, "max_mb": max_bytes // (1024 * 1024)},
                        field="attachment")]
    return []


def add(uow: UnitOfWork, instance_id: int, *, actor: str, name: str, content: bytes) -> int:
    """Attach a document to application `instance_id` for its applicant; returns its id.

    Raises:
        NotFound: no such user or application, or it is someone else's.
        InvalidInput: a type not allowed (by name and content), or too large.
        Conflict: the application has ended, or carries as many documents as allowed.
    """
    config = uow.engine.config
    name = _clean_name(name)
    problems = _problems(name, content, config.attachment_max_mb * 1024 * 1024)
    if problems:
        raise InvalidInput("attachment.refused", problems)
    with uow:
        now = uow.engine.clock.now()
        session = uow.session
        user = require_user(session, actor)
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or not permissions.may_withdraw(user, instance.started_by):
            raise NotFound("application.not_found", instance=instance_id)
        if instance.status != "running":
            raise Conflict("instance.ended", instance=instance_id, status=instance.status)
        count = session.scalar(select(func.count()).where(Attachment.instance_id == instance_id))
        if count >= config.attachments_per_application:
            raise Conflict("attachment.too_many", max=config.attachments_per_application)
        digest = hashlib.sha256(content).hexdigest()
        row = Attachment(instance_id=instance_id, name=name, content_type=TYPES[PurePosixPath(name.lower()).suffix][0],
                         size=len(content), sha256=digest, content=content, uploaded_by=actor, uploaded_at=now)
        session.add(row)
        session.flush()
        uow.audit.append(at=now, actor=actor, action="attachment.add", instance_id=instance_id,
                         after={"attachment": row.id, "name": name, "size": len(content), "sha256": digest})
        uow.commit()
        return row.id


def listed(session, instance_id: int) -> list[AttachmentView]:
    """The documents of an application, oldest first, inside a unit of work the caller opened
    after checking the caller may see the application."""
    rows = session.execute(select(Attachment.id, Attachment.name, Attachment.content_type, Attachment.size,
                                  Attachment.uploaded_at).where(Attachment.instance_id == instance_id)
                           .order_by(Attachment.id)).all()
    return [AttachmentView(*row) for row in rows]


def fetch(uow: UnitOfWork, attachment_id: int, *, actor: str) -> Document:
    """A document, for someone who may see its application.

    Raises:
        NotFound: no such user or document, or the user may not see its application (not disclosed).
    """
    with uow.read():
        session = uow.session
        row = session.get(Attachment, attachment_id)
        try:
            placement = audience.place(uow, actor, row.instance_id if row is not None else 0)
        except NotFound as err:
            if err.code == "user.not_found":
                raise
            raise NotFound("attachment.not_found", attachment=attachment_id) from None
        document = Document(row.name, row.content_type, row.content)
    audience.record_read(uow, placement, "attachment.download")
    return document


__all__ = ["add", "listed", "fetch", "TYPES", "AttachmentView", "Document"]
