"""PostgreSQL writers' transactions in psycopg's pipeline mode, with an explicit BEGIN.

Each round trip to PostgreSQL costs more than the statements it carries, so a writer's unit of
work sends its statements in psycopg's pipeline mode: a statement whose result the step does not
need at once (an INSERT of a task row, an audit entry) is queued and goes out with the next one
whose result it needs, or with the COMMIT. A decision then costs two round trips: the locking
read of its task, and everything else with the COMMIT.

psycopg itself, in pipeline mode, sends its implicit BEGIN in a round trip of its own; so the
writer's connections are in autocommit mode and every transaction is opened here with an
explicit `BEGIN ISOLATION LEVEL READ COMMITTED`, queued with the first statement. Pinning the
level there keeps PDW at READ COMMITTED whatever the server's or the role's
default_transaction_isolation says: the locking reads and the version checks assume it.

Server-side prepared statements are psycopg's (its prepare_threshold), in the extended protocol
that pipeline mode always uses, which also works behind PgBouncer in transaction mode.

Why pipeline mode rather than the hand-made cursor it replaced (a deferred literal BEGIN, writes
held back and sent as one query string of EXECUTEs with client-quoted values, its own PREPARE
bookkeeping): measured on the fixture two_reviews through the services, with the production
settings, both make 7 round trips per application (3 to apply, 2 per decision); in an
interleaved run (farm-bench, 5 pairs, whole process including set-up) their throughput was within
the machine's noise and pipeline mode took about 11% more CPU (psycopg's work per queued
statement). For that, the bookkeeping is gone, and with it the holes it had: a literal BEGIN that
ignored the isolation level, statements prepared by a batch that failed part-way
(DuplicatePreparedStatement), and no PgBouncer in transaction mode.

Failure modes, each with a test in tests/integration/test_postgres_production.py:
- a queued statement fails: the error is raised by the statement or COMMIT that syncs the
  pipeline; the rollback below leaves pipeline mode and rolls back, and psycopg forgets the
  statements it prepared in that transaction's batches;
- a migration changes the type of a column a prepared statement returns ("cached plan must not
  change result type"): that unit of work fails, the pool is invalidated (every connection is
  replaced on its next checkout) and the caller may retry;
- the server goes away (restart, pg_terminate_backend): the unit of work fails with
  SQLAlchemy's disconnect handling, which invalidates the pool; a connection the server closed
  while it was idle in the pool is replaced at checkout (database._alive).
"""
from __future__ import annotations

from contextlib import ExitStack

from sqlalchemy import Connection, Engine, event

# The keys under which a connection's info keeps its open pipeline (psycopg.Pipeline) and what
# leaves it (the pipeline's context, entered in an ExitStack).
PIPELINE = "pdw_pipeline"
LEAVE = "pdw_pipeline_exit"
BEGIN = b"BEGIN ISOLATION LEVEL READ COMMITTED"


def pipeline_of(connection: Connection):
    """The pipeline of the writer transaction open on `connection`, or None."""
    return connection.info.get(PIPELINE)


def attach(engine: Engine) -> None:
    """Run every transaction of `engine` (a PostgreSQL writer) in a pipeline with an explicit BEGIN."""
    event.listen(engine, "connect", _autocommit)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "after_cursor_execute", _sync_after_sqlalchemy)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)


def _autocommit(dbapi_connection, _record) -> None:
    # psycopg sends no BEGIN of its own; _begin sends it, with the isolation level.
    dbapi_connection.autocommit = True


def _begin(connection: Connection) -> None:
    driver = connection.connection.driver_connection
    leave = ExitStack()
    connection.info[PIPELINE] = leave.enter_context(driver.pipeline())
    connection.info[LEAVE] = leave
    driver.execute(BEGIN, prepare=False)


def _sync_after_sqlalchemy(connection: Connection, *_args) -> None:
    # SQLAlchemy reads a statement's description and rowcount as soon as it has executed, which
    # in pipeline mode exist only once its result has arrived: sync now (one round trip, with
    # whatever was queued before it).
    pipeline = connection.info.get(PIPELINE)
    if pipeline is not None:
        pipeline.sync()


def _commit(connection: Connection) -> None:
    if connection.info.pop(PIPELINE, None) is None:
        return
    leave = connection.info.pop(LEAVE)
    driver = connection.connection.driver_connection
    # Leaving pipeline mode syncs: the queued statements and the COMMIT go in one round trip, and
    # the first error among them is raised (by the COMMIT, if the server has already answered).
    try:
        with leave:
            driver.execute(b"COMMIT", prepare=False)
    except BaseException:
        # SQLAlchemy counts the transaction as ended by this commit and returns the connection
        # to the pool without rolling back: the failed transaction is rolled back here.
        _roll_back(driver)
        raise


def _rollback(connection: Connection) -> None:
    from psycopg import OperationalError

    connection.info.pop(PIPELINE, None)
    leave = connection.info.pop(LEAVE, None)
    if connection.invalidated or connection.connection.dbapi_connection is None:
        return
    driver = connection.connection.driver_connection
    try:
        if leave is not None:
            try:
                # Sends what was queued and a Sync, which also ends the pipeline's aborted state;
                # errors of statements never synced are of no interest to a rollback.
                leave.close()
            except OperationalError:
                raise
            except Exception:  # noqa: BLE001 - the transaction is rolled back just below
                pass
        _roll_back(driver)
    except OperationalError:
        # The connection is gone: SQLAlchemy's own rollback meets the same error, recognises a
        # disconnect and invalidates the pool.
        pass


def _roll_back(driver) -> None:
    from psycopg.pq import TransactionStatus

    if driver.pgconn.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        # psycopg sees the ROLLBACK's status and forgets (DEALLOCATEs) what it prepared.
        driver.execute(b"ROLLBACK", prepare=False)
