"""PostgreSQL connections: a pooled connection the server closed is replaced before use; a unit
of work sends its BEGIN with its first statement and holds its writes back for the COMMIT, and is
still one transaction; a batch that failed part-way leaves the connection usable; the audit
chain the database seals is the one verification recomputes; each step makes the round trips
it should; and values quoted for EXECUTE arrive as they were sent."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import partial
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Json
from sqlalchemy import create_engine, exc, func, select, text

from engine.persistence.database import connect
from engine.persistence.models import AuditEntry, ReceiptCounter
from engine.persistence.repositories import canonical, entry_hash
from engine.persistence.round_trips import counting
from engine.services import audit, definitions, instances, tasks, tokens
from engine.services.users import SYSTEM, add_user

BPMN = Path(__file__).parent.parent / "fixtures" / "bpmn" / "two_reviews.bpmn"


class Boom(Exception):
    pass


def receipt_days(engine) -> list[date]:
    with engine.uow().read() as reader:
        return list(reader.session.scalars(select(ReceiptCounter.day).order_by(ReceiptCounter.day)))


@pytest.fixture
def database_kind() -> str:
    return "postgres"


def test_a_pooled_connection_the_server_closed_is_replaced_before_use(database_url):
    db = connect(database_url)
    admin = create_engine(database_url)
    try:
        with db.engine.connect() as c:
            pid = c.execute(text("select pg_backend_pid()")).scalar()
        with admin.connect() as c:
            # Waits (up to 5 s) until the backend has exited and closed its socket.
            assert c.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        with db.engine.connect() as c:
            assert c.execute(text("select pg_backend_pid()")).scalar() != pid
    finally:
        admin.dispose()
        db.dispose()


def test_held_back_writes_are_seen_by_an_orm_query_and_committed_with_the_unit_of_work(engine):
    uow = engine.uow()
    with uow:
        now = engine.clock.now()
        uow.audit.append(at=now, actor="tester", action="test.held_back")
        # The ORM query goes out after what was queued, in the same round trip.
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "test.held_back")) == 1
        uow.audit.append(at=now, actor="tester", action="test.held_back")
        uow.commit()
    with engine.uow().read() as reader:
        assert reader.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "test.held_back")) == 2


def test_held_back_writes_are_dropped_with_a_unit_of_work_that_does_not_commit(engine):
    with engine.uow() as uow:
        uow.audit.append(at=engine.clock.now(), actor="tester", action="test.rolled_back")
    with engine.uow().read() as reader:
        assert reader.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "test.rolled_back")) == 0


def test_a_unit_of_work_whose_begin_went_with_its_first_statement_is_still_one_transaction(engine):
    with pytest.raises(Boom):
        with engine.uow() as uow:
            # Sent at once, in one round trip with the BEGIN held back since the unit opened.
            assert uow.cursor.run("receipt_first", {"day": date(2026, 3, 2)}) == 1
            raise Boom()
    assert receipt_days(engine) == []


def test_a_connection_of_the_writer_outside_a_unit_of_work_is_still_transactional(engine):
    with engine.uow() as uow:
        uow.cursor.run("receipt_first", {"day": date(2026, 3, 2)})
        uow.commit()
    with engine.db.write_engine.connect() as c:
        c.execute(text("INSERT INTO receipt_counters (day, last) VALUES ('2026-03-03', 1)"))
        c.rollback()
    assert receipt_days(engine) == [date(2026, 3, 2)]


def test_a_batch_that_failed_part_way_leaves_its_connection_usable(engine):
    with engine.uow() as uow:
        uow.session.add(ReceiptCounter(day=date(2026, 3, 2), last=1))
        uow.commit()
    with pytest.raises(psycopg.errors.UniqueViolation):
        with engine.uow() as uow:
            uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
            uow.commit()
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 4)})
        uow.commit()
    with engine.uow() as uow:  # rolled back
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 5)})
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 6)})
        uow.commit()
    assert receipt_days(engine) == [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 6)]


def test_the_database_seals_audit_entries_exactly_as_verification_recomputes_them(engine):
    awkward = {"文本": "单引号 ' 双引号 \" 反斜杠 \\ 换行\n制表\t", "表情": "😀", "list": [1, None, True, 2.5],
               "$1": "%s %(x)s"}
    now = engine.clock.now()
    with engine.uow() as uow:
        uow.audit.append(at=now, actor="o'brien\\", action="test.awkward", before=awkward)
        uow.audit.append(at=now, actor="张三", action="test.awkward", after=awkward)
        uow.audit.append(at=now, actor="李四", action="test.awkward")
        uow.commit()
    with engine.uow().read() as reader:
        rows = reader.session.scalars(select(AuditEntry).where(AuditEntry.action == "test.awkward")
                                      .order_by(AuditEntry.id)).all()
    assert [r.actor for r in rows] == ["o'brien\\", "张三", "李四"]
    assert rows[0].before == awkward and rows[1].after == awkward
    for row in rows:
        assert row.hash == entry_hash(row.prev_hash, row.at, row.actor, row.action, row.instance_id, row.task_id,
                                      None if row.before is None else canonical(row.before),
                                      None if row.after is None else canonical(row.after))
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert audit.verify(engine.uow()).problems == []


def test_starting_costs_three_round_trips_and_deciding_a_task_two(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer", "supervisor"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    decision = {"decision": "approve", "reason": "符合共享条件"}

    def run() -> list[int]:
        trips = []
        with counting(engine.db.write_engine) as started:
            opened = instances.start(engine.uow(), "two_reviews", actor="alice",
                                     data={"subject": "人口基础信息共享"}).opened_task_ids
        trips.append(started.count)
        while opened:
            with counting(engine.db.write_engine) as decided:
                opened = tasks.complete(engine.uow(), opened[0], actor="rita", data=decision)["opened_task_ids"]
            trips.append(decided.count)
        return trips

    run()  # the first instance prepares the statements on the connection
    # Starting: the applicant with the BEGIN; the receipt number and id once the application is
    # accepted; every write with the COMMIT. Deciding: the task with the BEGIN; the rest with the
    # COMMIT. Plus, here, the calendar version read at every unit of work (the tests' setting;
    # once a second in production).
    assert run() == [3 + 1, 2 + 1, 2 + 1]


def test_claiming_costs_the_locked_read_of_the_task_and_the_commit(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer", "supervisor"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)

    def claim_one() -> int:
        task_id = instances.start(engine.uow(), "two_reviews", actor="alice",
                                  data={"subject": "人口基础信息共享"}).opened_task_ids[0]
        with counting(engine.db.write_engine) as claimed:
            assert tasks.claim(engine.uow(), task_id, actor="rita")["assignee"] == "rita"
        return claimed.count

    claim_one()  # the first claim prepares the statements on the connection
    # The task with the acting user, its row locked, with the BEGIN; the claim and its audit entry
    # with the COMMIT. Plus, here, the calendar version read at every unit of work.
    assert claim_one() == 2 + 1


def test_authenticating_a_token_costs_one_round_trip(engine):
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    bearer = "Bearer " + tokens.create(engine.uow(), "rita", actor=SYSTEM).secret
    assert tokens.authenticate(engine.uow(), bearer).name == "rita"  # its use written, once a minute
    with counting(engine.db.engine) as read, counting(engine.db.write_engine) as written:
        user = tokens.authenticate(engine.uow(), bearer)
    assert (user.name, user.department, user.roles) == ("rita", "sjj", ("reviewer",))
    assert "reviewer@sjj" in user.groups
    # Plus, here, the calendar version read at every unit of work.
    assert (read.count, written.count) == (1 + 1, 0)


def test_a_new_connection_prepares_its_statements_again(engine, database_url):
    with engine.uow() as uow:
        uow.cursor.run("receipt_first", {"day": date(2026, 3, 2)})
        pid = uow.session.execute(text("select pg_backend_pid()")).scalar()
        uow.commit()
    admin = create_engine(database_url)
    try:
        with admin.connect() as c:
            assert c.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()
    with engine.uow() as uow:  # the pool replaces the closed connection, which has prepared nothing
        uow.cursor.run("receipt_first", {"day": date(2026, 3, 3)})
        assert uow.session.execute(text("select pg_backend_pid()")).scalar() != pid
        uow.commit()
    assert receipt_days(engine) == [date(2026, 3, 2), date(2026, 3, 3)]


def test_reading_costs_one_round_trip_per_query_and_no_begin_or_rollback(engine):
    with engine.uow().read() as uow:
        uow.session.execute(text("select 1"))  # the pool's first connection
    with counting(engine.db.engine) as trips:
        with engine.uow().read() as uow:
            uow.session.execute(select(func.count()).select_from(AuditEntry)).scalar()
            uow.session.execute(select(func.count()).select_from(ReceiptCounter)).scalar()
    # At READ COMMITTED each statement reads its own snapshot anyway: readers run in autocommit.
    # Plus, here, the calendar version read at every unit of work (the tests' setting).
    assert trips.count == 2 + 1


def test_a_connection_lost_in_the_middle_of_a_unit_of_work_is_replaced(engine, database_url):
    admin = create_engine(database_url)
    try:
        # The lost connection surfaces from the step, or from rolling it back (SQLAlchemy's wrapper).
        with pytest.raises((psycopg.OperationalError, exc.OperationalError)):
            with engine.uow() as uow:
                uow.cursor.run("receipt_first", {"day": date(2026, 3, 2)})  # BEGIN sent, autocommit on
                pid = uow.session.execute(text("select pg_backend_pid()")).scalar()
                with admin.connect() as c:
                    assert c.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
                uow.cursor.run("receipt_first", {"day": date(2026, 3, 3)})
    finally:
        admin.dispose()
    with engine.uow() as uow:
        uow.cursor.run("receipt_first", {"day": date(2026, 3, 4)})
        uow.commit()
    assert receipt_days(engine) == [date(2026, 3, 4)]


def test_json_written_through_a_prepared_statement_reads_as_the_orm_writes_it(engine):
    add_user(engine.uow(), "bench_applicant", department="gaj", roles=["applicant"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    started = instances.start(engine.uow(), "two_reviews", actor="bench_applicant", data={"subject": "人口基础信息"})
    with engine.uow().read() as reader:
        stored = reader.session.execute(text("SELECT summary::text, state::text FROM process_instances "
                                             "WHERE id = :id"), {"id": started.instance_id}).one()
    assert "人口基础信息" in stored.summary + stored.state and "\\u4eba" not in stored.summary + stored.state
