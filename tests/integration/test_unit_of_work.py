"""One transaction per use case: what is not committed is gone, on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.persistence.models import Department


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
