"""PostgreSQL under the production settings (engine.config's defaults: the calendar version read
at most once a second; writers preparing each statement at its first run on a connection,
psycopg the readers' after a few runs), with a fault injected in each test: a batch failing
part-way, a migration changing a column's type under the pool, a server whose default isolation
level is REPEATABLE READ, backends killed idle and mid-step, a rollback through psycopg, prepared
statements deallocated behind the writers' back, a batch larger than a socket buffer, backends
killed at random while applications are decided on several threads."""
from __future__ import annotations

import random
import shutil
import sys
import threading
import time
from contextlib import ExitStack
from datetime import date, datetime
from importlib import import_module
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, event, exc, func, make_url, select, text

from engine.clock import Clock
from engine.errors import Conflict
from engine.persistence.models import Grant, HumanTask, ProcessInstance, ReceiptCounter, Timer
from engine.persistence import health, pipeline
from engine.services import audit, tasks, timers
import engine_factory
from application_traffic import SHARE_APPROVAL, ConditionalShare, Traffic, TwoReviews, assert_every_application_whole


FIXTURES = Path(__file__).parent.parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
# psycopg prepares a statement on the server at its fifth run on a connection (prepare_threshold);
# a writer's batch at its first. Running a statement this often has it prepared either way.
PREPARED_AFTER = 5


@pytest.fixture
def database_kind() -> str:
    return "postgres"


def production_engine(url: str, sandbox, forms_dir: Path = FIXTURES / "forms"):
    """engine_factory's production engine, on the fixture's forms unless told otherwise."""
    built = engine_factory.production_engine(url, forms_dir, sandbox)
    assert built.config.calendar_check_seconds == 1.0
    return built


@pytest.fixture(params=["written at once", "held for the sync"])
def cpu(request, monkeypatch) -> None:
    # A writer's batch writes each statement as it is queued, or holds them all for the sync
    # when its thread has lately waited for a CPU (pipeline.CpuWait): every test runs both ways.
    short = request.param == "held for the sync"
    monkeypatch.setattr(pipeline.CPU_WAIT, "short", lambda: short)


@pytest.fixture
def production(cpu, database_url, sandbox):
    built = production_engine(database_url, sandbox)
    yield built
    built.close()


def receipt_days(engine) -> list[date]:
    with engine.uow().read() as reader:
        return list(reader.session.scalars(select(ReceiptCounter.day).order_by(ReceiptCounter.day)))


def add_day(engine, day: date) -> None:
    with engine.uow() as uow:
        uow.cursor.later("receipt_first", {"day": day})
        uow.commit()


def test_after_a_batch_fails_part_way_the_next_unit_may_start_with_an_orm_query(production):
    for n in range(1, PREPARED_AFTER + 2):  # the statement is now prepared on the connection
        add_day(production, date(2026, 3, n))
    with pytest.raises(psycopg.errors.UniqueViolation):
        with production.uow() as uow:
            uow.cursor.later("receipt_first", {"day": date(2026, 4, 1)})
            uow.cursor.later("receipt_first", {"day": date(2026, 3, 1)})  # already there: fails
            uow.cursor.later("receipt_first", {"day": date(2026, 4, 2)})
            uow.commit()
    with production.uow() as uow:
        assert uow.session.scalar(select(ReceiptCounter.last).where(ReceiptCounter.day == date(2026, 3, 1))) == 1
        uow.cursor.later("receipt_first", {"day": date(2026, 4, 3)})
        uow.commit()
    add_day(production, date(2026, 4, 4))
    assert receipt_days(production)[-3:] == [date(2026, 3, 6), date(2026, 4, 3), date(2026, 4, 4)]


def test_a_migration_changing_a_returned_columns_type_costs_one_unit_of_work_not_the_pool(production, database_url):
    def read_versions(units) -> list[int]:
        return [uow.calendar.version() for uow in units]

    def commit(units) -> None:
        # (psycopg forgets what it prepared when a transaction rolls back.)
        for _ in range(PREPARED_AFTER + 1):
            read_versions(units)
        for uow in units:
            uow.commit()

    def three_units_at_once(action):
        with ExitStack() as stack:
            return action([stack.enter_context(production.uow()) for _ in range(3)])

    # Three pooled connections, each with the calendar version's statement prepared.
    three_units_at_once(commit)
    admin = create_engine(database_url)
    failures = []
    try:
        with admin.begin() as c:
            c.execute(text("ALTER TABLE calendar_head ALTER COLUMN version TYPE numeric(18)"))
        for _ in range(4):
            try:
                three_units_at_once(commit)
            except (exc.NotSupportedError, psycopg.errors.FeatureNotSupported) as err:  # through SQLAlchemy or not
                assert "cached plan must not change result type" in str(err)
                failures.append(err)
        assert len(failures) == 1
        assert health.problem(production.db, failures[0]).code == "database.retry"
    finally:
        # The schema outlives the test (each test deletes rows, not tables): as it was.
        production.close()
        with admin.begin() as c:
            c.execute(text("ALTER TABLE calendar_head ALTER COLUMN version TYPE bigint"))
        admin.dispose()


def _repeatable_read_by_default(url: str) -> str:
    parsed = make_url(url)
    options = parsed.query.get("options", "")
    return parsed.update_query_dict(
        {"options": f"{options} -c default_transaction_isolation=repeatable\\ read".strip()}
    ).render_as_string(hide_password=False)


def test_writers_run_at_read_committed_whatever_the_servers_default(database_url, sandbox):
    url = _repeatable_read_by_default(database_url)
    built = production_engine(url, sandbox)
    try:
        with built.db.engine.connect() as c:
            assert c.execute(text("SHOW default_transaction_isolation")).scalar() == "repeatable read"
        with built.uow() as uow:
            assert uow.session.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
        before = _calendar_version(built)
        failures: list[BaseException] = []

        def bump() -> None:
            for _ in range(15):
                try:
                    with built.uow() as uow:
                        uow.calendar.bump(built.clock.now())  # every writer updates the same row
                        uow.commit()
                except BaseException as err:  # noqa: BLE001 - counted below
                    failures.append(err)

        threads = [threading.Thread(target=bump) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert _calendar_version(built) == before + 120
    finally:
        built.close()


def _calendar_version(engine) -> int:
    with engine.uow().read() as uow:
        return uow.calendar.version()


def _terminate(database_url: str, pids: list[int]) -> None:
    admin = create_engine(database_url)
    try:
        with admin.connect() as c:
            for pid in pids:
                # Waits (up to 5 s) until the backend has exited and closed its socket.
                assert c.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


def test_a_restarted_server_leaves_no_dead_connection_in_the_pool(production, database_url):
    units = [production.uow() for _ in range(3)]
    pids = []
    for uow in units:
        uow.__enter__()
        pids.append(uow.session.execute(text("select pg_backend_pid()")).scalar())
    for uow in units:
        uow.__exit__(None, None, None)
    _terminate(database_url, pids)  # every pooled connection, as a restart would
    for n in range(1, 4):
        add_day(production, date(2026, 3, n))
    assert receipt_days(production) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]


def test_a_backend_killed_mid_step_fails_that_step_asking_for_a_retry_and_the_next_one_succeeds(
        production, database_url):
    with pytest.raises((psycopg.OperationalError, exc.OperationalError)) as lost:
        with production.uow() as uow:
            uow.cursor.later("receipt_first", {"day": date(2026, 3, 2)})
            pid = uow.session.execute(text("select pg_backend_pid()")).scalar()
            _terminate(database_url, [pid])
            uow.cursor.later("receipt_first", {"day": date(2026, 3, 3)})
            uow.commit()
    # What the web app, the API and the command line say: nothing changed, try again.
    assert health.problem(production.db, lost.value).code == "database.retry"
    add_day(production, date(2026, 3, 4))
    assert receipt_days(production) == [date(2026, 3, 4)]


def test_applications_wait_for_no_other_applications_audit_entry_or_receipt_number(production):
    now = production.clock.now()
    day = date(2026, 3, 2)
    with production.uow() as uow:  # as the scheduler does the day before
        uow.instances.prepare_receipt_days([day])
        uow.commit()
    with production.uow() as first:
        first.audit.append(at=now, actor="tester", action="test.step", instance_id=21)
        first_number, _ = first.instances.reserve(day)
        first.session.execute(text("SELECT 1"))  # everything queued is now sent: its locks are held
        with production.uow() as second:
            # Waiting for the first unit's locks would fail this one after a second.
            second.session.execute(text("SET LOCAL lock_timeout = '1s'"))
            second.audit.append(at=now, actor="tester", action="test.step", instance_id=22)
            second_number, _ = second.instances.reserve(day)
            second.commit()
        first.commit()
    assert sorted([first_number, second_number]) == [1, 2]
    assert audit.verify(production.uow()).ok


def test_verification_never_reports_tampering_while_entries_are_appended(production):
    stop = threading.Event()
    failures: list[BaseException] = []

    def append() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                with production.uow() as uow:
                    uow.audit.append(at=production.clock.now(), actor="tester", action="test.step",
                                     instance_id=n % 5 or None, after={"n": n})
                    uow.commit()
            except BaseException as err:  # noqa: BLE001 - reported below
                failures.append(err)
                return

    writers = [threading.Thread(target=append) for _ in range(3)]
    for writer in writers:
        writer.start()
    try:
        reports = [audit.verify(production.uow(), batch=7) for _ in range(15)]
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert failures == []
    assert [r.problems for r in reports if r.problems] == []
    assert reports[-1].entries > reports[0].entries


def test_a_failed_unit_keeps_the_statements_the_batches_prepared(production):
    # psycopg answers a ROLLBACK it runs with DEALLOCATE ALL once it has prepared statements of
    # its own: the writers' ROLLBACK goes around it, so the batches' statements survive.
    for n in range(1, 3):
        add_day(production, date(2026, 3, n))
    with pytest.raises(ZeroDivisionError):
        with production.uow() as uow:
            for _ in range(PREPARED_AFTER + 1):  # psycopg prepares this one
                uow.session.scalar(select(ReceiptCounter.last).where(ReceiptCounter.day == date(2026, 3, 1)))
            uow.cursor.later("receipt_first", {"day": date(2026, 4, 1)})
            raise ZeroDivisionError
    add_day(production, date(2026, 3, 3))
    assert receipt_days(production) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]


@pytest.mark.parametrize("statement", ["ALTER TABLE receipt_counters ALTER COLUMN last SET DEFAULT 0", "DEALLOCATE ALL"])
def test_after_a_statement_that_deallocates_the_batches_prepare_their_statements_anew(production, statement):
    add_day(production, date(2026, 3, 1))
    with production.uow() as uow:
        for _ in range(PREPARED_AFTER + 1):  # psycopg prepares this one, and drops it with the rest
            uow.session.scalar(select(ReceiptCounter.last).where(ReceiptCounter.day == date(2026, 3, 1)))
        uow.session.execute(text(statement))
        uow.commit()
    for n in range(2, 4):
        add_day(production, date(2026, 3, n))
    assert receipt_days(production) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]


def test_statements_deallocated_unseen_fail_one_unit_of_work_and_are_prepared_again(production):
    add_day(production, date(2026, 3, 1))
    with production.uow() as uow:
        uow.session.connection().connection.driver_connection.execute("DEALLOCATE ALL")  # past SQLAlchemy
        uow.commit()
    with pytest.raises(psycopg.errors.InvalidSqlStatementName):
        add_day(production, date(2026, 3, 2))
    add_day(production, date(2026, 3, 3))
    assert receipt_days(production) == [date(2026, 3, 1), date(2026, 3, 3)]


def test_a_batch_of_megabytes_goes_out_and_comes_back_whole(production):
    # Far more than a socket buffer holds, queued before anything is read.
    now = production.clock.now()
    with production.uow() as uow:
        for n in range(40):
            uow.audit.append(at=now, actor="tester", action="test.step", instance_id=31, after={"n": n, "text": "数" * 50_000})
        uow.commit()
    with production.uow().read() as reader:
        assert reader.session.scalar(text("SELECT count(*) FROM audit_log WHERE instance_id = 31")) == 40
    assert audit.verify(production.uow()).ok


def _driver_connection(database_url: str) -> psycopg.Connection:
    """A psycopg connection of its own (autocommit) to the test's database, past SQLAlchemy."""
    return psycopg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False),
                           autocommit=True)


def _last_statement(database_url: str, pid: int) -> str:
    with _driver_connection(database_url) as watcher:
        return watcher.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


@pytest.mark.parametrize("short_of_cpu", [False, True])
def test_a_queued_statement_reaches_the_server_at_once_unless_the_thread_waits_for_cpu(
        database_url, sandbox, monkeypatch, short_of_cpu):
    monkeypatch.setattr(pipeline.CPU_WAIT, "short", lambda: short_of_cpu)
    engine = production_engine(database_url, sandbox)
    try:
        with engine.uow() as uow:
            pid = uow.session.execute(text("select pg_backend_pid()")).scalar()
            uow.cursor.later("receipt_first", {"day": date(2026, 5, 1)})
            # Written at once, the server has it within moments; held, it never has it before the sync.
            for _ in range(10 if short_of_cpu else 50):
                seen = _last_statement(database_url, pid)
                if "receipt_counters" in seen:
                    break
                time.sleep(0.1)
            assert ("receipt_counters" in seen) is not short_of_cpu, seen
            uow.commit()
        assert date(2026, 5, 1) in receipt_days(engine)
    finally:
        engine.close()


def test_the_json_written_at_each_step_is_compressed_with_lz4(production):
    # Migration 0027: pglz's compression was a measurable share of the backends' CPU.
    columns = import_module("engine.persistence.migrations.versions.0027_lz4_for_step_json").COLUMNS
    now = production.clock.now()
    with production.uow() as uow:
        uow.audit.append(at=now, actor="tester", action="test.large", instance_id=61,
                         after={"text": "".join(f"条目{n}:{n * n};" for n in range(2000))})
        uow.commit()
    with production.uow().read() as reader:
        session = reader.session
        if not session.execute(text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                    "WHERE name = 'default_toast_compression'")).scalar():
            pytest.skip("this PostgreSQL was built without lz4")
        methods = {f"{table}.{column}": session.execute(text(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = to_regclass(:table) AND attname = :column"),
            {"table": table, "column": column}).scalar() for table, column in columns}
        written = session.execute(text("SELECT pg_column_compression(after) FROM audit_log "
                                       "WHERE action = 'test.large'")).scalar()
    assert methods == {f"{t}.{c}": "l" for t, c in columns}
    assert written == "lz4"


def test_a_writer_polls_for_its_answer_only_while_the_cpu_is_spare(database_url, sandbox, monkeypatch):
    polled: list[float] = []
    spin = pipeline._spin
    monkeypatch.setattr(pipeline, "_spin", lambda pgconn, seconds: (polled.append(seconds), spin(pgconn, seconds)))
    engine = production_engine(database_url, sandbox)
    try:
        assert engine.config.database_spin_seconds > 0
        for short_of_cpu, day in ((False, date(2026, 6, 1)), (True, date(2026, 6, 2))):
            monkeypatch.setattr(pipeline.CPU_WAIT, "short", lambda: short_of_cpu)
            polled.clear()
            add_day(engine, day)
            assert set(polled) == (set() if short_of_cpu else {engine.config.database_spin_seconds})
        assert receipt_days(engine)[-2:] == [date(2026, 6, 1), date(2026, 6, 2)]
    finally:
        engine.close()


def test_polling_for_an_answer_lets_the_processes_other_threads_run(database_url):
    # With a long switch interval, a thread that kept the GIL while it polled would stop the
    # other thread for the whole wait; polling gives the GIL up at every turn.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.2)
    ticks: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())

    try:
        with _driver_connection(database_url) as connection:
            pgconn = connection.pgconn
            pgconn.enter_pipeline_mode()
            sent = time.perf_counter()
            pgconn.send_query_params(b"SELECT pg_sleep(0.3)", None)
            pgconn.pipeline_sync()
            pgconn.flush()
            other = threading.Thread(target=tick)
            other.start()
            try:
                started = time.perf_counter()
                pipeline._spin(pgconn, 5.0)
                ended = time.perf_counter()
            finally:
                stop.set()
                other.join()
            assert not pgconn.is_busy()  # the answer is in: polling stopped when it came, not at 5 s
            # (Starting the other thread may take up to a switch interval of the 0.3 s.)
            assert 0.25 < ended - sent < 4.0
            during = [t for t in ticks if started <= t <= ended]
            assert during and max(b - a for a, b in zip([started, *during], [*during, ended])) < 0.04
            assert pipeline._next_result(pgconn).status == psycopg.pq.ExecStatus.TUPLES_OK
            assert pipeline._next_result(pgconn) is None
            assert pipeline._next_result(pgconn).status == psycopg.pq.ExecStatus.PIPELINE_SYNC
            pgconn.exit_pipeline_mode()
    finally:
        sys.setswitchinterval(previous)


@pytest.fixture
def shipped(cpu, database_url, sandbox, tmp_path):
    """A production engine, both write modes, that knows the fixture's forms and the shipped
    procedures'."""
    forms = tmp_path / "forms"
    for source in (FIXTURES / "forms", ROOT / "forms"):
        shutil.copytree(source, forms, dirs_exist_ok=True)
    built = production_engine(database_url, sandbox, forms)
    yield built
    built.close()


@pytest.fixture
def share_waiting(shipped):
    """The shipped engine with the demo's catalog and people, and a conditional_share application
    waiting at its review (StartResult)."""
    ConditionalShare.set_up(shipped)
    return ConditionalShare.apply(shipped)


@pytest.mark.parametrize("procedure", [TwoReviews, ConditionalShare], ids=["two_reviews", "conditional_share"])
def test_applications_decided_while_backends_are_killed_at_random_are_each_whole(shipped, procedure, database_url):
    """Four threads apply and decide, while another kills one of the engine's backends every 30
    ms: a step a kill interrupts fails asking for a retry, and is retried. The applications then
    agree with their tasks (and audit entries, or grants), the audit chain verifies, and each one
    left waiting is decided to the end."""
    procedure.set_up(shipped)
    backends: set[int] = set()
    for pooled in (shipped.db.write_engine, shipped.db.engine):
        pooled.pool.dispose()  # the set-up's connections too
        event.listen(pooled, "connect", lambda connection, _record: backends.add(connection.info.backend_pid))
    traffic, stop = Traffic(shipped, procedure), threading.Event()

    def kill() -> None:
        with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
            while not stop.wait(0.03):
                if backends:
                    victim = random.choice(sorted(backends))
                    if not admin.execute("SELECT pg_terminate_backend(%s)", (victim,)).fetchone()[0]:
                        backends.discard(victim)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        traffic.run(2.5)
    finally:
        stop.set()
        killer.join()
    assert traffic.failures == []
    assert traffic.retried, "no kill interrupted a step: the test did not test"
    assert assert_every_application_whole(traffic) >= 4


def _own_backend(uow) -> int:
    return uow.session.execute(text("select pg_backend_pid()")).scalar()


def test_a_connection_lost_while_a_service_task_runs_asks_for_a_retry_and_errors_no_application(
        shipped, share_waiting, database_url, monkeypatch):
    # conditional_share's approval records its grant in a service task (pdw.record_grant), through
    # the step's unit of work: the connection goes while it runs.
    review = share_waiting.opened_task_ids[0]
    tasks.claim(shipped.uow(), review, actor="li.si")
    operations = shipped.script_engine.operations
    record_grant = operations["pdw.record_grant"]

    def lost_while_granting(context, params):
        _terminate(database_url, [_own_backend(context.uow)])
        context.session.execute(text("SELECT 1"))  # what the operation reads first
        return record_grant(context, params)

    monkeypatch.setitem(operations, "pdw.record_grant", lost_while_granting)
    with pytest.raises(Exception) as lost:
        tasks.complete(shipped.uow(), review, actor="li.si", data=SHARE_APPROVAL)
    assert health.is_transient(lost.value), repr(lost.value)
    with shipped.uow().read() as uow:
        task = uow.session.get(HumanTask, review)
        assert (task.state, task.assignee) == ("open", "li.si")
        status = uow.session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == task.instance_id))
        assert status == "running"  # not errored: nothing of the step was kept
        assert uow.session.scalar(select(func.count()).select_from(Grant)) == 0
    monkeypatch.setitem(operations, "pdw.record_grant", record_grant)
    assert tasks.complete(shipped.uow(), review, actor="li.si", data=SHARE_APPROVAL)["instance_status"] == "completed"
    assert audit.verify(shipped.uow()).ok


def test_a_statement_failing_in_a_service_task_still_errors_the_application_with_its_reason(
        shipped, share_waiting, monkeypatch):
    # Not a retry's matter: sent again, the same step would fail the same way. The application is
    # errored with the database's reason, for a supervisor to see (and the scheduler moves on).
    def refused_by_the_database(context, params):
        context.session.execute(text("INSERT INTO grants (instance_id, catalog_item, grantee, scope, purpose, "
                                     "granted_at) VALUES (-1, 'GA-001', 'x', 'x', 'x', now())"))

    monkeypatch.setitem(shipped.script_engine.operations, "pdw.record_grant", refused_by_the_database)
    with pytest.raises(Conflict) as errored:
        tasks.complete(shipped.uow(), share_waiting.opened_task_ids[0], actor="li.si", data=SHARE_APPROVAL)
    assert errored.value.code == "instance.errored"
    with shipped.uow().read() as uow:
        instance = uow.session.get(ProcessInstance, share_waiting.instance_id)
        assert instance.status == "errored" and "ForeignKeyViolation" in instance.error, instance.error


def test_a_connection_lost_while_a_timer_fires_leaves_it_due_and_errors_no_application(
        shipped, share_waiting, database_url, monkeypatch):
    # conditional_share's review has a statutory deadline timer (Art. 20, 5 working days); the
    # scheduler fires the due timers a week later, and its connection goes as it loads an
    # application.
    late = shipped.with_clock(Clock(datetime.fromisoformat("2026-03-16T09:00:00+08:00")))

    def standing() -> tuple[int, int]:
        with late.uow().read() as uow:
            session = uow.session
            return (session.scalar(select(func.count()).select_from(ProcessInstance)
                                   .where(ProcessInstance.status == "errored")),
                    session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None))))

    before = standing()
    load_workflow = timers.load_workflow

    def lost_while_loading(uow, instance):
        _terminate(database_url, [_own_backend(uow)])
        uow.session.execute(text("SELECT 1"))  # what loading reads first
        return load_workflow(uow, instance)

    monkeypatch.setattr(timers, "load_workflow", lost_while_loading)
    with pytest.raises(Exception) as lost:
        timers.fire_next(late.uow(), worker="test")
    assert health.is_transient(lost.value), repr(lost.value)
    assert standing() == before  # no application errored, no timer spent
    monkeypatch.setattr(timers, "load_workflow", load_workflow)
    fired = timers.sweep(late.uow, worker="test")
    assert (share_waiting.instance_id, "running") in {(f.instance_id, f.status) for f in fired}
    assert audit.verify(late.uow()).ok
