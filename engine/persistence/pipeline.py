"""PostgreSQL writers' transactions: PDW's statements sent in libpq's pipeline mode, in batches.

Each round trip to PostgreSQL costs more than the statements it carries, so a writer's unit of
work sends its statements in pipeline mode: a statement whose result the step does not need at
once (an INSERT of a task row, an audit entry) is queued and goes out with the next one whose
result it needs, or with the COMMIT. A decision then costs two round trips: the locking read of
its task, and everything else with the COMMIT.

The repositories' statements (engine.persistence.statements) go through a `Batch`, which talks
to libpq through psycopg's `pq` wrapper and converts values with psycopg's own adapters
(`Transformer`), as psycopg's cursors do. psycopg's cursor in pipeline mode, which this replaced,
spent about 35 µs of Python per statement on work a batch does once per statement name or not at
all (its query conversion and prepare bookkeeping, polling the socket after every statement):
measured on this project's machine, 50 µs of client CPU per queued INSERT against 6 µs through
libpq directly; a two_reviews application sends 23 statements with BEGIN and COMMIT.

What a batch does:
- every transaction is opened with an explicit `BEGIN ISOLATION LEVEL READ COMMITTED`, queued
  with the first statement. Pinning the level keeps PDW at READ COMMITTED whatever the server's
  or the role's default_transaction_isolation says: the locking reads and the version checks
  assume it. (The connections are in psycopg's autocommit mode, so psycopg sends no BEGIN.)
- a statement is prepared on the server (Parse, in the same batch) the first time it runs on a
  connection, under a name derived from its text; the name counts as prepared once the server
  has confirmed the Parse, so a Parse skipped by a failed batch is sent again next time. With
  PDW_DATABASE_PREPARE off (behind a pooler in transaction mode that does not track prepared
  statements, such as PgBouncer before 1.21, which would run a statement on a server
  connection that never prepared it), each statement is sent unnamed, parsed at every run;
- values go as text and the server infers each parameter's type from the statement (whose
  parameters carry casts where the context does not give the type), so one prepared statement
  serves every value;
- `sync` sends a Sync and reads every result: rows go to their receivers, and the first error
  is raised once all results are read;
- when a statement is written depends on whether the machine has a CPU to spare (CpuWait): if
  the thread has not lately waited for one, each statement is written to the socket as it is
  queued, without waiting, so the server runs it while the step goes on; if it has, the
  statements wait in libpq's buffer and go with the Sync. Writing at once costs a wake-up of
  the server (and a write) per statement, which pays only while a core would otherwise idle,
  as Linux's TCP autocorking holds small writes while the device is busy. Measured side by
  side on two_reviews (bench/engine_throughput.py's processes, best of three interleaved
  rounds, instances/s): written at once, 1 process 226, 2 processes 342, 8 processes 322;
  held for the Sync, 211, 379, 383; choosing by CpuWait, one round, 216, 365, 352;
- waiting for the answer to a Sync, a batch that writes at once (the CPU is spare) first polls
  the socket for up to ConnectionState.spin_seconds (PDW_DATABASE_SPIN_SECONDS, 1 ms by default),
  yielding between polls, and only then sleeps in poll(): on this project's virtual machine a
  thread woken from sleep lost 40-60 µs per round trip (a read's round trip took 250 µs asleep,
  205 µs polling) and then ran on a cold core. A two_reviews application took 4.0-4.2 ms
  instead of 4.7-4.8 ms in a single process, at the cost of CPU time that was idle anyway; with
  the CPU short no batch polls.
Statements SQLAlchemy runs on the same connection (the ORM, colder code) go through psycopg: the
batch first syncs what it queued and leaves pipeline mode; a transaction that begins with such a
statement has its BEGIN sent in psycopg's pipeline, with that statement, as before. What the
batch had queued before such a statement goes in a round trip of its own (psycopg's pipeline
carried it with the statement); the hot paths read nothing through SQLAlchemy after queueing
(bench/engine_throughput.py prints their round trips per step).

Named statements prepared through the extended protocol also work behind PgBouncer in
transaction mode (with its max_prepared_statements, 1.21 and later), as psycopg's own do;
behind an older one, with PDW_DATABASE_PREPARE off, a batch sends every statement unnamed
(tests/reliability/test_pooler.py runs Debian's PgBouncer 1.18 both ways).

Failure modes, each with a test in tests/integration/test_postgres_production.py:
- a queued statement fails: the error is raised by the sync that reads its result (a read, or
  the COMMIT); the rollback below ends the pipeline and rolls back. A statement whose Parse was
  skipped is not counted as prepared;
- a migration changes the type of a column a prepared statement returns ("cached plan must not
  change result type"): that unit of work fails, the pool is invalidated (every connection is
  replaced on its next checkout, engine.persistence.database.Plans) and the caller may retry;
- psycopg answers a ROLLBACK it runs, a DROP or an ALTER with DEALLOCATE ALL once it has
  prepared statements of its own (SQLAlchemy's): the writers' ROLLBACK is sent past it, and
  after any statement of SQLAlchemy's with such a command status (or DISCARD ALL, DEALLOCATE
  ALL) the batches prepare their statements anew under new names, as the server may or may not
  have dropped the old ones. Statements deallocated unseen fail one unit of work with
  InvalidSqlStatementName, and the next prepares them anew;
- the server goes away (restart, pg_terminate_backend): libpq reports the lost connection, the
  unit of work fails with psycopg's OperationalError, and the rollback meets the same error,
  which SQLAlchemy recognises as a disconnect and invalidates the pool; a connection the server
  closed while it was idle in the pool is replaced at checkout (database._alive).
"""
from __future__ import annotations

import hashlib
import os
import re
import select
import threading
import time
from contextlib import ExitStack
from typing import Any, Callable

from psycopg import OperationalError
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import InvalidSqlStatementName, error_from_result
from psycopg.pq import ConnStatus, ExecStatus, PipelineStatus, TransactionStatus
from sqlalchemy import Connection, Engine, event

# The key under which a connection's info keeps the Batch of its open writer transaction.
PIPELINE = "pdw_pipeline"
# The key under which a pooled connection keeps what outlives its transactions (ConnectionState).
STATE = "pdw_connection_state"
BEGIN = b"BEGIN ISOLATION LEVEL READ COMMITTED"
# The statements after which psycopg deallocates every prepared statement of the connection
# (when it has prepared any of its own), or which deallocate them themselves: by command status.
_DEALLOCATES = re.compile(r"^(?:DROP|ALTER|ROLLBACK|DISCARD ALL|DEALLOCATE ALL)\b").match


def statement_name(sql: str) -> bytes:
    """The name a statement is prepared under: from its text, so two texts never share one."""
    return b"pdw_" + hashlib.blake2b(sql.encode("utf-8"), digest_size=10).hexdigest().encode("ascii")


class ConnectionState:
    """What a connection keeps from one transaction to the next: the statements prepared on it,
    psycopg's converter of values, which caches what it looked up, how long its batches poll for
    an answer before they sleep (Batch.sync), and whether they prepare statements at all."""

    def __init__(self, driver, spin_seconds: float = 0.0, prepare: bool = True) -> None:
        # A statement's name -> the name it is prepared under on this connection.
        self.names: dict[bytes, bytes] = {}
        self.generation = 0
        self.transformer = Transformer(driver)
        self.spin_seconds = spin_seconds
        self.prepare = prepare

    def renew(self) -> None:
        """Prepare every statement again, under new names: the server may have deallocated
        them, or may not have (a name prepared anew could then already exist)."""
        self.names = {}
        self.generation += 1

    def name_for(self, name: bytes) -> bytes:
        """The name statement `name` is prepared under in this generation."""
        return name if not self.generation else b"%s_%d" % (name, self.generation)


class Batch:
    """The statements of one writer transaction on one connection, sent in pipeline mode."""

    def __init__(self, driver, state: ConnectionState) -> None:
        self._driver = driver
        self._pgconn = driver.pgconn
        self._state = state
        self._transformer = state.transformer
        # What each command sent since the last sync waits for: None (its status only), a
        # statement being prepared (its name and the name it is prepared under), or a receiver
        # of its result (a callable).
        self._waiting: list[Any] = []
        self._preparing: dict[bytes, bytes] = {}
        self.begun = False
        # psycopg's own pipeline, while a statement of SQLAlchemy's opens the transaction.
        self._driver_pipeline: ExitStack | None = None
        # Unless this thread has lately waited for a CPU, each statement is written as it is
        # queued, and an answer is polled for (for up to `_spin` seconds) before sleeping.
        self._at_once = not CPU_WAIT.short()
        self._spin = state.spin_seconds if self._at_once else 0.0

    def _start(self) -> None:
        if self._pgconn.pipeline_status == PipelineStatus.OFF:
            self._pgconn.enter_pipeline_mode()
        if not self.begun:
            self._pgconn.send_query_params(BEGIN, None)
            self._waiting.append(None)
            self.begun = True

    def send(self, name: bytes, sql: bytes, values: list, receiver: Callable | None = None, *,
             syncing: bool = False) -> None:
        """Queue prepared statement `name` (text `sql`) with `values`, in parameter order;
        `receiver` gets its result (a PGresult) at the next sync. A statement `syncing` (the
        sync follows at once) goes with the Sync, in one write."""
        self._start()
        params = self._transformer.dump_sequence(values, [PyFormat.TEXT] * len(values)) if values else None
        if self._state.prepare:
            prepared_as = self._state.names.get(name) or self._preparing.get(name)
            if prepared_as is None:
                prepared_as = self._preparing[name] = self._state.name_for(name)
                self._pgconn.send_prepare(prepared_as, sql)
                self._waiting.append((name, prepared_as))
            self._pgconn.send_query_prepared(prepared_as, params)
        else:
            self._pgconn.send_query_params(sql, params)
        self._waiting.append(receiver)
        if self._at_once and not syncing:
            # Sent now if the socket takes it (a write that never waits), so the server runs the
            # statement while this step goes on; its result is read at the sync.
            self._pgconn.flush()

    def rows(self, result) -> list[tuple]:
        """The rows of `result`, converted by psycopg's loaders."""
        transformer = self._transformer
        transformer.set_pgresult(result)
        try:
            return transformer.load_rows(0, result.ntuples, tuple)
        finally:
            transformer.set_pgresult(None)

    def sync(self) -> None:
        """Send what is queued with a Sync and read every result; raise the first error."""
        if not self._waiting:
            return
        pgconn, waiting = self._pgconn, self._waiting
        self._waiting = []
        pgconn.pipeline_sync()
        _flush(pgconn)
        if self._spin:
            _spin(pgconn, self._spin)
        error: Exception | None = None
        for expects in waiting:
            result = _next_result(pgconn)
            if result is None:
                raise _lost(pgconn)
            while _next_result(pgconn) is not None:  # each command's results end with a NULL
                pass
            status = result.status
            if isinstance(expects, tuple):
                self._preparing.pop(expects[0], None)
                if status == ExecStatus.COMMAND_OK:
                    self._state.names[expects[0]] = expects[1]
            if status == ExecStatus.FATAL_ERROR:
                if error is None:
                    error = error_from_result(result, encoding=self._driver.info.encoding)
                    if isinstance(error, InvalidSqlStatementName):
                        # Something deallocated the connection's statements behind this batch's
                        # back: this unit of work fails, the next one prepares them again.
                        self._state.renew()
            elif status != ExecStatus.PIPELINE_ABORTED and callable(expects) and error is None:
                try:
                    expects(result)
                except Exception as failed:  # noqa: BLE001 - raised once every result is read
                    error = failed
        end = _next_result(pgconn)
        if end is None or end.status != ExecStatus.PIPELINE_SYNC or pgconn.status != ConnStatus.OK:
            raise _lost(pgconn)
        if error is not None:
            raise error

    def leave(self) -> None:
        """Sync what is queued and leave pipeline mode, so that psycopg may use the connection."""
        self.sync()
        if self._pgconn.pipeline_status != PipelineStatus.OFF:
            self._pgconn.exit_pipeline_mode()

    def before_sqlalchemy(self) -> None:
        """Hand the connection to psycopg for a statement of SQLAlchemy's; if it opens the
        transaction, its BEGIN goes with it, in psycopg's pipeline."""
        self.leave()
        if not self.begun:
            self._driver_pipeline = ExitStack()
            self._driver_pipeline.enter_context(self._driver.pipeline())
            self._driver.execute(BEGIN, prepare=False)
            self.begun = True

    def after_sqlalchemy(self, cursor) -> None:
        """SQLAlchemy reads a statement's description and rowcount as soon as it has executed,
        which in psycopg's pipeline exist once its result has arrived: leaving the pipeline
        syncs it (one round trip, for the BEGIN and the statement). A statement after which
        psycopg deallocates every prepared statement has the batches prepare theirs anew."""
        self._close_driver_pipeline()
        status = cursor.statusmessage
        if status and _DEALLOCATES(status):
            self._state.renew()

    def commit(self) -> None:
        """Send the COMMIT with what is queued (nothing, if nothing began)."""
        self._close_driver_pipeline()
        if not self.begun:
            return
        self._start()
        self._pgconn.send_query_params(b"COMMIT", None)
        self._waiting.append(None)
        self.leave()

    def abandon(self) -> None:
        """End the pipeline whatever was queued (its errors are of no interest to a rollback),
        and roll back an open transaction. A lost connection raises OperationalError."""
        for end in (self._close_driver_pipeline, self.sync):
            try:
                end()
            except OperationalError:
                raise
            except Exception:  # noqa: BLE001 - rolled back just below
                pass
        if self._pgconn.pipeline_status != PipelineStatus.OFF:
            self._pgconn.exit_pipeline_mode()
        _roll_back(self._driver)

    def _close_driver_pipeline(self) -> None:
        if self._driver_pipeline is not None:
            leave, self._driver_pipeline = self._driver_pipeline, None
            leave.close()


def _flush(pgconn) -> None:
    # Waits in poll(), which lets other threads run (libpq's own blocking calls would hold the
    # GIL while the server waits for a lock another thread of this process must release), and
    # reads while it cannot write, so a large batch cannot deadlock against a server waiting for
    # its results to be read.
    while pgconn.flush():
        if _wait(pgconn.socket, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pgconn.consume_input()


def _spin(pgconn, seconds: float) -> None:
    # Polls for the first result for up to `seconds` before _next_result sleeps in poll(). While
    # a core is idle anyway, this keeps the thread (and its CPU) awake for an answer that comes
    # in a few hundred microseconds: waking a sleeping thread costs this machine's virtual CPUs
    # 40-60 µs per round trip, and the code after the wait runs on a warm core. sched_yield lets
    # other threads of the process (it releases the GIL) and runnable processes go first.
    deadline = time.perf_counter() + seconds
    while pgconn.is_busy() and time.perf_counter() < deadline:
        os.sched_yield()
        pgconn.consume_input()


def _next_result(pgconn):
    # PQgetResult blocks while PQisBusy; waiting in poll() instead lets other threads run.
    while pgconn.is_busy():
        _wait(pgconn.socket, select.POLLIN)
        pgconn.consume_input()
    return pgconn.get_result()


def _wait(socket: int, events: int) -> int:
    """The events of `events` that `socket` is ready for (or an error or hang-up), once there is
    one. poll() rather than select(): select() cannot watch a descriptor above 1023."""
    poller = select.poll()
    poller.register(socket, events)
    while not (ready := poller.poll()):
        pass
    return ready[0][1]


class CpuWait:
    """Whether the calling thread has lately been kept waiting for a CPU: the share of the last
    sample period (SAMPLE_SECONDS at least) it spent ready to run but not running is above
    SHORT. Read from Linux's per-thread scheduler statistics (/proc/thread-self/schedstat, whose
    second field is the nanoseconds spent waiting on a run queue); where there are none (another
    system, a kernel without them), never.

    Measured on this project's 2-core machine with the two_reviews bench (median of 30 samples per
    process): one worker process waits 0.3% of the time (the 90th percentile 2.4%), each of two
    20-25%, each of eight 73-79%.
    """

    SAMPLE_SECONDS = 0.1
    SHORT = 0.1
    PATH = "/proc/thread-self/schedstat"

    def __init__(self, waited: Callable[[], float | None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._waited = waited or self._read
        self._clock = clock
        self._local = threading.local()  # per thread: (sampled at, seconds waited by then, short)

    def short(self) -> bool:
        now = self._clock()
        last = getattr(self._local, "last", None)
        if last is not None and now - last[0] < self.SAMPLE_SECONDS:
            return last[2]
        waited = self._waited()
        if waited is None:
            return False
        short = last is not None and (waited - last[1]) / (now - last[0]) > self.SHORT
        self._local.last = (now, waited, short)
        return short

    @classmethod
    def _read(cls) -> float | None:
        try:
            with open(cls.PATH, "rb") as stats:
                return int(stats.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None


CPU_WAIT = CpuWait()


def batch_of(connection: Connection) -> Batch | None:
    """The batch of the writer transaction open on `connection`, or None."""
    return connection.info.get(PIPELINE)


def attach(engine: Engine, *, spin_seconds: float = 0.0, prepare: bool = True) -> None:
    """Run every transaction of `engine` (a PostgreSQL writer) in batches with an explicit BEGIN,
    which poll for up to `spin_seconds` for an answer before they sleep while the CPU is spare,
    and prepare their statements on the server if `prepare`."""

    def _autocommit(dbapi_connection, record) -> None:
        # psycopg sends no BEGIN of its own; the batch sends it, with the isolation level. A new
        # connection (also one replacing a lost one in the same pool record) has nothing prepared.
        dbapi_connection.autocommit = True
        record.info[STATE] = ConnectionState(dbapi_connection, spin_seconds, prepare)

    event.listen(engine, "connect", _autocommit)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _before_sqlalchemy)
    event.listen(engine, "after_cursor_execute", _after_sqlalchemy)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)


def _begin(connection: Connection) -> None:
    # connection.info is the pooled connection's (set up by _autocommit when it connected).
    connection.info[PIPELINE] = Batch(connection.connection.driver_connection, connection.info[STATE])


def _before_sqlalchemy(connection: Connection, *_args) -> None:
    batch = connection.info.get(PIPELINE)
    if batch is not None:
        batch.before_sqlalchemy()


def _after_sqlalchemy(connection: Connection, cursor, *_args) -> None:
    batch = connection.info.get(PIPELINE)
    if batch is not None:
        batch.after_sqlalchemy(cursor)


def _commit(connection: Connection) -> None:
    batch = connection.info.pop(PIPELINE, None)
    if batch is None:
        return
    try:
        batch.commit()
    except BaseException:
        # SQLAlchemy counts the transaction as ended by this commit and returns the connection
        # to the pool without rolling back: the failed transaction is rolled back here.
        batch.abandon()
        raise


def _rollback(connection: Connection) -> None:
    if connection.invalidated:
        # The connection was lost (and reading its info would raise PendingRollbackError): its
        # batch goes with it, and the next transaction on its pool record starts a new one.
        return
    batch = connection.info.pop(PIPELINE, None)
    if connection.connection.dbapi_connection is None:
        return
    try:
        if batch is not None:
            batch.abandon()
        else:
            _roll_back(connection.connection.driver_connection)
    except OperationalError:
        # The connection is gone: SQLAlchemy's own rollback meets the same error, recognises a
        # disconnect and invalidates the pool.
        pass


def _roll_back(driver) -> None:
    # Sent through libpq, not psycopg: psycopg answers a ROLLBACK it runs with DEALLOCATE ALL
    # once it has prepared statements of its own, which would take the batches' with them.
    pgconn = driver.pgconn
    if pgconn.transaction_status not in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        return
    pgconn.send_query(b"ROLLBACK")
    _flush(pgconn)
    error = None
    while (result := _next_result(pgconn)) is not None:
        if result.status == ExecStatus.FATAL_ERROR and error is None:
            error = error_from_result(result, encoding=driver.info.encoding)
    if pgconn.status != ConnStatus.OK:
        raise _lost(pgconn)
    if error is not None:
        raise error


def _lost(pgconn) -> OperationalError:
    return OperationalError(pgconn.get_error_message() or "the connection to the server was lost")
