"""An API token's last use is written by the first request of each minute, in one statement
queued with the COMMIT (on PostgreSQL one round trip besides the calendar version's read)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine.persistence.models import ApiToken
from engine.persistence.round_trips import counting
from engine.services import tokens
from engine.services.users import SYSTEM, add_user


def _last_used(engine, token_id: int) -> datetime | None:
    with engine.uow().read() as uow:
        return uow.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))


def test_a_token_records_its_use_once_a_minute(engines):
    engine = engines.at("2026-03-02T09:00:00+08:00")
    add_user(engine.uow(), "rita", department=None, roles=["reviewer"], actor=SYSTEM)
    created = tokens.create(engine.uow(), "rita", actor=SYSTEM)
    bearer = "Bearer " + created.secret
    assert _last_used(engine, created.id) is None

    assert tokens.authenticate(engine.uow(), bearer).name == "rita"
    assert _last_used(engine, created.id) == datetime.fromisoformat("2026-03-02T09:00:00+08:00")

    tokens.authenticate(engines.at("2026-03-02T09:00:59+08:00").uow(), bearer)
    assert _last_used(engine, created.id) == datetime.fromisoformat("2026-03-02T09:00:00+08:00")

    tokens.authenticate(engines.at("2026-03-02T09:01:01+08:00").uow(), bearer)
    assert _last_used(engine, created.id) == datetime.fromisoformat("2026-03-02T09:01:01+08:00")


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_recording_a_tokens_use_on_postgresql_sends_the_update_with_the_commit(engines):
    engine = engines.at("2026-03-02T09:00:00+08:00")
    add_user(engine.uow(), "rita", department=None, roles=["reviewer"], actor=SYSTEM)
    bearer = "Bearer " + tokens.create(engine.uow(), "rita", actor=SYSTEM).secret
    with counting(engine.db.write_engine) as written:
        tokens.authenticate(engine.uow(), bearer)
    # The calendar version read at every unit of work (its BEGIN with it), then UPDATE and COMMIT.
    assert written.count == 2
