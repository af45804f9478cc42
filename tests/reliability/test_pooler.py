"""PDW behind a connection pooler in transaction mode: Debian's PgBouncer between the engine and
PostgreSQL, which gives each transaction whichever server connection is free.

The PgBouncer that Debian 12 ships (1.18) does not track prepared statements: one prepared in a
transaction on one server connection is unknown on the others, and a name prepared by one client
is already taken for the next client of that server connection. With PDW_DATABASE_PREPARE off the
engine prepares nothing (its writers send each statement unnamed; psycopg prepares none of its
own), and four threads apply and decide through two server connections with nothing to retry.
With it on, two processes' engines meet the same name on one server connection: what the setting
is for.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from engine.persistence.migrate import upgrade
from engine.services import instances
from engine_factory import production_engine
from application_traffic import APPLICATION, Traffic, assert_every_application_whole, staff

PGBOUNCER = "/usr/sbin/pgbouncer"
FORMS = Path(__file__).resolve().parents[1] / "fixtures" / "forms"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database(postgres_server):
    """A database of its own (a pooler passes no search_path, so a schema cannot stand for one),
    migrated, with two_reviews and its people; its name, dropped afterwards."""
    name = f"pdw_pooler_{uuid.uuid4().hex[:10]}"
    server = make_url(postgres_server)
    admin_url = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    direct = _engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(direct.db)
        staff(direct)
    finally:
        direct.close()
    yield name
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def pooler(request, postgres_server, tmp_path):
    """Debian's PgBouncer in transaction mode with two server connections per database (or as
    many as the test's parameter says), on a port of its own; a function giving the URL of a
    database through it."""
    if not os.path.exists(PGBOUNCER):
        message = "pgbouncer is not installed (./scripts/install --tests installs Debian's)"
        if os.environ.get("PDW_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    server = make_url(postgres_server)
    port = _free_port()
    folder = tmp_path / "pgbouncer"
    folder.mkdir()
    (folder / "users.txt").write_text(f'"{server.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={server.host} port={server.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {getattr(request, 'param', 2)}\nmax_client_conn = 100\n"
        # psycopg sends it at connecting; PgBouncer passes on only what it knows.
        "ignore_startup_parameters = extra_float_digits\n")
    # PgBouncer refuses to run as root; it reads its files, then becomes `nobody`.
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    folder.chmod(0o755)
    for file in folder.iterdir():
        file.chmod(0o644)
    log = folder / "pgbouncer.log"
    with log.open("wb") as output:  # its own copy of the descriptor outlives this one
        process = subprocess.Popen([PGBOUNCER, *as_user, str(folder / "pgbouncer.ini")],
                                   stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "pgbouncer did not listen"
            time.sleep(0.05)
    yield lambda database: server.set(host="127.0.0.1", port=port, database=database).render_as_string(
        hide_password=False)
    process.send_signal(signal.SIGINT)  # its safe shutdown: waits for no client
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _engine(url: str, *, prepare: bool = True):
    """A production engine on `url`, preparing statements on the server or not."""
    return production_engine(url, FORMS, database_prepare=prepare)


def test_through_a_pooler_in_transaction_mode_applications_are_decided_with_nothing_to_retry(pooler, database):
    engine = _engine(pooler(database), prepare=False)
    try:
        traffic = Traffic(engine)
        traffic.run(2.0)
        assert traffic.failures == []
        assert traffic.retried == []
        assert assert_every_application_whole(traffic) >= 8
    finally:
        engine.close()


@pytest.mark.parametrize("pooler", [1], indirect=True)
def test_with_statements_prepared_a_second_engine_meets_the_firsts_names_on_the_poolers_connection(
        pooler, database):
    # Two processes' engines, one after the other, and one server connection behind the pooler:
    # the first prepares its statements there; the second, whose own connection has prepared
    # nothing, sends the same names.
    first, second = _engine(pooler(database)), _engine(pooler(database))
    try:
        instances.start(first.uow(), "two_reviews", actor="alice", data=APPLICATION)
        with pytest.raises(Exception) as refused:
            instances.start(second.uow(), "two_reviews", actor="alice", data=APPLICATION)
        assert isinstance(getattr(refused.value, "orig", refused.value), psycopg.errors.DuplicatePreparedStatement)
    finally:
        first.close()
        second.close()
