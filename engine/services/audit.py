"""The hash-chained audit log: append inside a unit of work, verify the whole chain."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence import repository
from engine.persistence.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, instance_id, task_id,
               before_json: str | None, after_json: str | None) -> str:
    """The SHA-256 that seals one entry to the one before it (before/after as canonical JSON)."""
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    header = _canonical([prev_hash, stamp, actor, action, instance_id, task_id])
    body = "\n".join([header, before_json or "null", after_json or "null"])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, *, at: datetime, actor: str, action: str, instance_id: int | None = None,
           task_id: int | None = None, before: dict | None = None, after: dict | None = None) -> None:
    """Add one entry to the chain in the caller's transaction.

    The UPDATE of the head row takes its row lock first, so concurrent writers queue up
    and each links to the entry committed just before its own.
    """
    prev_hash = repository.take_audit_head(session)
    # Stored as the very text that is hashed, so verifying needs no guess about formatting.
    before_json = _canonical(before) if before is not None else None
    after_json = _canonical(after) if after is not None else None
    digest = entry_hash(prev_hash, at, actor, action, instance_id, task_id, before_json, after_json)
    repository.add_audit_entry(session, {"at": at, "actor": actor, "action": action, "instance_id": instance_id,
                                         "task_id": task_id, "before_json": before_json, "after_json": after_json,
                                         "prev_hash": prev_hash, "hash": digest})


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking the chain."""

    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when no entry was edited, removed or inserted out of chain."""
        return not self.problems


def verify(session: Session, batch: int = 5000) -> VerifyReport:
    """Recompute every hash in id order and check each link and the head."""
    problems: list[str] = []
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last_id)
                               .order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            count += 1
            if row.prev_hash != prev:
                problems.append(f"entry {row.id}: does not link to the entry before it "
                                "(an entry was deleted or inserted)")
            expected = entry_hash(row.prev_hash, row.at, row.actor, row.action, row.instance_id, row.task_id,
                                  None if row.before is None else _canonical(row.before),
                                  None if row.after is None else _canonical(row.after))
            if expected != row.hash:
                problems.append(f"entry {row.id}: contents do not match its hash (the row was edited)")
            prev = row.hash
            last_id = row.id
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is None:
        problems.append("the audit head row is missing")
    else:
        if head.last_hash != prev:
            problems.append("the newest entries are missing: the head points past the last entry")
        if head.entries != count:
            problems.append(f"the head counts {head.entries} entries but {count} are present")
    return VerifyReport(count, problems)
