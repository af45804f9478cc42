"""Verifying and sealing the hash-chained audit log (entries are appended by `uow.audit.append`).

Each application has its own chain, and entries about no application form chain 0 (migration
0012), so concurrent applications never wait for one another's audit entries. The scheduler
seals the chains that moved into chain 0 (`seal`): a seal entry records each chain's length and
hash, so rewriting a sealed part of an application's chain means rewriting chain 0 from that seal
on as well, as rewriting any part of the single chain before 0012 meant rewriting all after it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select, update

from engine.clock import SHANGHAI
from engine.persistence.models import AuditChain, AuditEntry
from engine.persistence.repositories import GENESIS, canonical, entry_hash
from engine.persistence.unit_of_work import UnitOfWork

SEAL = "audit.seal"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking the chains."""

    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when no entry was edited, removed or inserted out of chain."""
        return not self.problems


def verify(uow: UnitOfWork, batch: int = 5000) -> VerifyReport:
    """Recompute every hash in id order and check each link, each chain's head and each seal.

    Everything is read in one snapshot (REPEATABLE READ, read-only, on PostgreSQL; one read
    transaction on SQLite), so entries appended meanwhile are simply not seen.
    """
    with uow.read():
        session = uow.session
        if session.get_bind().dialect.name == "postgresql":
            # Readers run in autocommit (each statement its own snapshot); this one opens a
            # transaction whose every statement reads the snapshot of its first. Closing the
            # unit of work rolls it back.
            session.connection().exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return _verify(session, batch)


def _verify(session, batch: int) -> VerifyReport:
    problems: list[str] = []
    # What the seals promise: (chain, length) -> the hash of the chain's entry at that length.
    promised: dict[tuple[int, int], str] = {}
    for seal in session.scalars(select(AuditEntry).where(AuditEntry.chain == 0, AuditEntry.action == SEAL)):
        for chain, length, digest in (seal.after or {}).get("heads", []):
            promised[(chain, length)] = digest
    last: dict[int, str] = {}
    linked: dict[int, str] = {}  # each chain's newest entry's prev_hash
    length: dict[int, int] = {}
    count = 0
    last_id = 0
    while True:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > last_id)
                               .order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            break
        for row in rows:
            count += 1
            chain = row.chain
            if chain != 0 and chain != row.instance_id:
                problems.append(f"entry {row.id}: is in chain {chain} but about application {row.instance_id} "
                                "(the row was edited)")
            if row.prev_hash != last.get(chain, GENESIS):
                problems.append(f"entry {row.id}: does not link to the entry before it "
                                "(an entry was deleted or inserted)")
            expected = entry_hash(row.prev_hash, row.at, row.actor, row.action, row.instance_id, row.task_id,
                                  None if row.before is None else canonical(row.before),
                                  None if row.after is None else canonical(row.after))
            if expected != row.hash:
                problems.append(f"entry {row.id}: contents do not match its hash (the row was edited)")
            last[chain] = row.hash
            linked[chain] = row.prev_hash
            length[chain] = length.get(chain, 0) + 1
            sealed = promised.pop((chain, length[chain]), None)
            if sealed is not None and sealed != row.hash:
                problems.append(f"entry {row.id}: differs from what a seal recorded (the chain was rewritten)")
            last_id = row.id
        session.expunge_all()
    for chain, at in sorted(promised):
        problems.append(f"chain {chain}: a seal recorded {at} entries, but fewer are present")
    heads = {head.chain: head for head in session.scalars(select(AuditChain))}
    if 0 not in heads:
        problems.append("the head of chain 0 is missing")
    for chain in sorted(set(heads) | set(length)):
        head = heads.get(chain)
        if head is None:
            problems.append(f"chain {chain}: has entries but no head")
            continue
        if head.last_hash != last.get(chain, GENESIS):
            problems.append(f"chain {chain}: the newest entries are missing: the head points past the last entry")
        if head.prev_hash is not None and head.prev_hash != linked.get(chain):
            problems.append(f"chain {chain}: the head's link differs from its newest entry's (the head was edited)")
        if head.entries != length.get(chain, 0):
            problems.append(f"chain {chain}: the head counts {head.entries} entries but {length.get(chain, 0)} "
                            "are present")
    return VerifyReport(count, problems)


def seal(uow: UnitOfWork, *, now: datetime, actor: str) -> int:
    """Record in chain 0 the heads of the chains that moved since their last seal; how many.

    Heads locked by a unit of work in progress are skipped (sealed next time), so sealing never
    waits for an application, nor an application for it.
    """
    with uow:
        query = (select(AuditChain.chain, AuditChain.entries, AuditChain.last_hash)
                 .where(AuditChain.chain != 0, AuditChain.entries != AuditChain.sealed_entries)
                 .order_by(AuditChain.chain))
        if uow.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        heads = uow.session.execute(query).all()
        if not heads:
            return 0
        uow.audit.append(at=now, actor=actor, action=SEAL,
                         after={"heads": [[chain, entries, digest] for chain, entries, digest in heads]})
        for chain, entries, _ in heads:
            uow.session.execute(update(AuditChain).where(AuditChain.chain == chain).values(sealed_entries=entries))
        uow.commit()
        return len(heads)


def keep_up(new_uow: Callable[[], UnitOfWork], *, now: datetime, actor: str) -> int:
    """The scheduler's part in appends that wait for no one: make today's and tomorrow's
    receipt-number sequences ahead (PostgreSQL), then seal the chains that moved; how many."""
    today = now.astimezone(SHANGHAI).date()
    with new_uow() as uow:
        uow.instances.prepare_receipt_days([today, today + timedelta(days=1)])
        uow.commit()
    return seal(new_uow(), now=now, actor=actor)
