"""Verifying the hash-chained audit log (entries are appended by `uow.audit.append`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from engine.persistence.models import AuditEntry, AuditHead
from engine.persistence.repositories import GENESIS, canonical, entry_hash
from engine.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking the chain."""

    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when no entry was edited, removed or inserted out of chain."""
        return not self.problems


def verify(uow: UnitOfWork, batch: int = 5000) -> VerifyReport:
    """Recompute every hash in id order and check each link and the head."""
    with uow.read():
        return _verify(uow.session, batch)


def _verify(session, batch: int) -> VerifyReport:
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
                                  None if row.before is None else canonical(row.before),
                                  None if row.after is None else canonical(row.after))
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
