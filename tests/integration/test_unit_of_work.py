"""One transaction per use case: what is not committed is gone, on both databases."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine.persistence.models import Department, ReceiptCounter


class Boom(Exception):
    pass


def departments(engine) -> int:
    with engine.uow().read() as uow:
        return uow.session.scalar(select(func.count()).select_from(Department))


def test_rolls_back_uncommitted_work_by_default(engine):
    with engine.uow() as uow:
        uow.session.add(Department(code="tmp", name="临时"))
        uow.session.flush()
    assert departments(engine) == 0


def test_an_error_inside_a_unit_of_work_rolls_it_back_and_frees_the_database(engine):
    with pytest.raises(Boom):
        with engine.uow() as uow:
            uow.session.add(Department(code="tmp", name="临时"))
            uow.session.flush()
            raise Boom()
    with engine.uow() as uow:  # would wait on SQLite's write lock if the first still held it
        uow.session.add(Department(code="kept", name="保留"))
        uow.commit()
    assert departments(engine) == 1


def receipt_days(engine) -> list:
    with engine.uow().read() as uow:
        return list(uow.session.scalars(select(ReceiptCounter.day).order_by(ReceiptCounter.day)))


def test_a_session_asked_for_after_the_cursor_joins_its_transaction_and_commits_it(engine):
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
        # The ORM sees the cursor's write: one transaction, whoever opened it.
        seen = uow.session.scalar(select(func.count()).select_from(ReceiptCounter))
        uow.session.add(Department(code="tmp", name="临时"))
        uow.commit()
    assert seen == 1
    assert receipt_days(engine) == [date(2026, 3, 2)]
    assert departments(engine) == 1


def test_a_session_joining_the_cursors_transaction_rolls_back_with_it_unless_committed(engine):
    with pytest.raises(Boom):
        with engine.uow() as uow:
            uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
            uow.session.add(Department(code="tmp", name="临时"))
            uow.session.flush()
            raise Boom()
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 3)})
        uow.session.add(Department(code="dropped", name="丢弃"))
        uow.session.flush()
    assert receipt_days(engine) == [] and departments(engine) == 0


def test_a_session_asked_for_but_unused_leaves_the_cursors_transaction_to_be_committed(engine):
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
        assert uow.session is not None
        uow.commit()
    assert receipt_days(engine) == [date(2026, 3, 2)]


def test_after_a_commit_the_cursor_and_the_session_go_on_in_a_new_transaction(engine):
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
        uow.commit()
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 3)})
        uow.session.add(Department(code="later", name="其后"))
        uow.session.flush()
    assert receipt_days(engine) == [date(2026, 3, 2)] and departments(engine) == 0
    with engine.uow() as uow:
        uow.session.add(Department(code="first", name="先"))
        uow.session.flush()
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 4)})
        uow.commit()
    assert receipt_days(engine) == [date(2026, 3, 2), date(2026, 3, 4)] and departments(engine) == 1


def test_a_unit_of_work_outside_with_has_no_session(engine):
    uow = engine.uow()
    assert uow.session is None
    with uow:
        uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
    assert uow.session is None
