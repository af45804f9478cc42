"""The audit log as a chain per application sealed into chain 0: appends to different
applications wait for no one, and neither do receipt numbers; verification reads one snapshot
while entries are appended; a seal makes rewriting an application's chain show."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import text

from engine.services import audit


@pytest.fixture
def chained(engine):
    now = engine.clock.now()
    with engine.uow() as uow:
        for instance_id in (11, 12, 11):
            uow.audit.append(at=now, actor="tester", action="test.step", instance_id=instance_id, after={"n": 1})
        uow.audit.append(at=now, actor="tester", action="test.system")
        uow.commit()
    return engine


def test_entries_link_within_their_applications_chain_and_verify(chained):
    assert audit.verify(chained.uow()).ok
    with chained.uow().read() as uow:
        rows = uow.session.execute(text("SELECT chain, prev_hash, hash FROM audit_log WHERE action LIKE 'test.%%' "
                                        "ORDER BY id")).all()
    assert [r.chain for r in rows] == [11, 12, 11, 0]
    assert rows[2].prev_hash == rows[0].hash and rows[1].prev_hash == "0" * 64


def test_a_seal_records_the_moved_heads_and_a_rewritten_sealed_chain_shows(chained):
    assert audit.seal(chained.uow(), now=chained.clock.now(), actor="scheduler:test") == 2
    assert audit.seal(chained.uow(), now=chained.clock.now(), actor="scheduler:test") == 0
    assert audit.verify(chained.uow()).ok
    # Rewrite application 12's chain consistently: a new hash for its one entry, its head moved along.
    with chained.uow() as uow:
        uow.session.execute(text("UPDATE audit_log SET hash = :h WHERE chain = 12"), {"h": "f" * 64})
        uow.session.execute(text("UPDATE audit_chains SET last_hash = :h WHERE chain = 12"), {"h": "f" * 64})
        uow.commit()
    problems = audit.verify(chained.uow()).problems
    assert any("differs from what a seal recorded" in p for p in problems)


def test_an_entry_moved_to_another_chain_shows(chained):
    with chained.uow() as uow:
        uow.session.execute(text("UPDATE audit_log SET chain = 12 WHERE id = (SELECT max(id) FROM audit_log "
                                 "WHERE chain = 11)"))
        uow.commit()
    problems = audit.verify(chained.uow()).problems
    assert any("is in chain 12 but about application 11" in p for p in problems)


def test_the_schedulers_round_seals_the_chains_that_moved(chained):
    assert audit.keep_up(chained.uow, now=chained.clock.now(), actor="scheduler:test") == 2
    assert audit.keep_up(chained.uow, now=chained.clock.now(), actor="scheduler:test") == 0
    assert audit.verify(chained.uow()).ok


def test_each_entry_moves_its_chains_head_to_its_own_hash_and_link(chained):
    # On PostgreSQL the append itself moves the head (no trigger since migration 0025); on SQLite
    # the trigger moves last_hash. Either way the head ends at the newest entry.
    with chained.uow().read() as uow:
        newest = uow.session.execute(text("SELECT prev_hash, hash FROM audit_log WHERE chain = 11 "
                                          "ORDER BY id DESC LIMIT 1")).one()
        head = uow.session.execute(text("SELECT entries, prev_hash, last_hash FROM audit_chains "
                                        "WHERE chain = 11")).one()
        dialect = uow.session.get_bind().dialect.name
    assert head.entries == 2 and head.last_hash == newest.hash
    assert head.prev_hash == (newest.prev_hash if dialect == "postgresql" else None)


def test_a_head_whose_link_was_edited_shows(chained):
    with chained.uow() as uow:
        uow.session.execute(text("UPDATE audit_chains SET prev_hash = :h WHERE chain = 11"), {"h": "e" * 64})
        uow.commit()
    problems = audit.verify(chained.uow()).problems
    assert "chain 11: the head's link differs from its newest entry's (the head was edited)" in problems
