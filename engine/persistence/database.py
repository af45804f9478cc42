"""Database engines for SQLite (embedded default) and PostgreSQL (a city's deployment)."""
from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from engine.persistence import pipeline
from engine.persistence.checkpoints import BACKSTOP_PAGES, Checkpointer


@dataclass(frozen=True)
class Database:
    """Session factories for reading and for writing.

    SQLite takes its write lock at the first write, which lets two writers read the same
    state and then collide; writers therefore begin with BEGIN IMMEDIATE, readers do not.
    On PostgreSQL row locks do the work; the writer's engine is apart because its transactions
    send their statements in batches in libpq's pipeline mode with an explicit BEGIN
    (engine.persistence.pipeline), and its readers' run in autocommit.
    """

    engine: Engine
    write_engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]
    # PostgreSQL: the generation of prepared plans the pools' connections may hold.
    plans: "Plans | None" = None
    # An SQLite file: the thread that checkpoints its write-ahead log (engine.persistence.checkpoints).
    checkpointer: Checkpointer | None = None

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    def after_failure(self, error: BaseException | None) -> None:
        """Note a unit of work's failure (a stale prepared plan renews the pools' connections)."""
        if self.plans is not None:
            self.plans.after_failure(error)

    def dispose(self) -> None:
        """Close every pooled connection (and stop the checkpoint thread, SQLite)."""
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


# Chinese stays readable in the stored JSON, which the inbox search matches against. One encoder
# for every value: json.dumps with an option builds a new one per call.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _sqlite_engine(url: str, immediate: bool, checkpointer: Checkpointer | None) -> Engine:
    # Every unit of work ends in an explicit commit or rollback, so the pool need not reset.
    engine = create_engine(url, connect_args={"timeout": 30}, pool_reset_on_return=None,
                           json_serializer=_json_text)
    if checkpointer is not None:
        event.listen(engine, "commit", lambda _connection: checkpointer.committed())

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's begin event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if checkpointer is not None:
            # The checkpoint thread does the work; a commit does it only past this backstop.
            cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.connection.driver_connection.execute(begin)

    return engine


def _postgres_engine(url: str, writer: bool, plans: Plans, spin_seconds: float = 0.0,
                     prepare: bool = True) -> Engine:
    # An unreachable server fails in seconds, not minutes.
    connect_args: dict = {"connect_timeout": 10}
    if not prepare:
        # psycopg prepares a statement run five times on a connection; behind a pooler in
        # transaction mode that does not track prepared statements, it must not (Config).
        connect_args["prepare_threshold"] = None
    options = {}
    if not writer:
        # At READ COMMITTED every statement reads its own snapshot, in a transaction or not: a
        # reader's BEGIN and ROLLBACK would be two round trips that change nothing. (A reader
        # that needs one snapshot, as audit verification does, asks for REPEATABLE READ.)
        options["isolation_level"] = "AUTOCOMMIT"
    engine = create_engine(url, json_serializer=_json_text, connect_args=connect_args, **options)
    if writer:
        pipeline.attach(engine, spin_seconds=spin_seconds, prepare=prepare)

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, record, _proxy):
        # A pooled connection the server closed (a restart, an idle timeout) is replaced before
        # use. Unlike pool_pre_ping's SELECT, reading what the server sent meanwhile costs no
        # round trip (and opens no transaction): a closed connection reads as the server's
        # goodbye message, then end of file; an open one reads nothing.
        pgconn = dbapi_connection.pgconn
        try:
            pgconn.consume_input()
            pgconn.consume_input()
        except psycopg.OperationalError:
            raise DisconnectionError() from None
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            raise DisconnectionError()

        if record.info.get(_PLANS_OF, plans.generation) != plans.generation:
            # Made before a migration changed a type its prepared statements return (Plans).
            raise DisconnectionError()

    @event.listens_for(engine, "connect")
    def _born(_dbapi_connection, record):
        record.info[_PLANS_OF] = plans.generation

    @event.listens_for(engine, "handle_error")
    def _replan(context):
        plans.after_failure(context.original_exception)

    return engine


_PLANS_OF = "pdw_plans_generation"


class Plans:
    """The generation of the statement plans that a process's pooled connections hold.

    Writers' batches prepare their statements on the server at the first run on a connection,
    psycopg the others after a few runs, and PostgreSQL re-plans them after a migration, except
    when a column one returns changed type: that statement then fails ("cached plan must not
    change result type") on every connection that prepared it, until the connection closes. The first such failure, in a unit of work of this process, starts a new
    generation; every pooled connection of an older one is replaced at its next checkout, so one
    unit of work fails (and may be retried) rather than one per connection.
    """

    def __init__(self) -> None:
        self.generation = 0

    def after_failure(self, error: BaseException | None) -> None:
        """Start a new generation if `error` is the server refusing a stale plan."""
        if (isinstance(error, psycopg.errors.FeatureNotSupported)
                and "cached plan must not change result type" in str(error)):
            self.generation += 1


def connect(url: str, *, spin_seconds: float = 0.0, prepare: bool = True) -> Database:
    """Open the database at `url` (a SQLAlchemy URL); on PostgreSQL its writers wait for an answer
    polling for up to `spin_seconds` before they sleep, while the machine has a CPU to spare
    (engine.persistence.pipeline), and statements are prepared on the server unless `prepare` is
    False (behind a pooler in transaction mode that does not track prepared statements)."""
    if url.startswith("postgresql://"):
        # Without a driver SQLAlchemy would look for psycopg2; psycopg (3) is the one PDW installs.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    plans = checkpointer = None
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            checkpointer = Checkpointer(path)
        read_engine = _sqlite_engine(url, immediate=False, checkpointer=checkpointer)
        write_engine = _sqlite_engine(url, immediate=True, checkpointer=checkpointer)
    else:
        plans = Plans()
        read_engine = _postgres_engine(url, False, plans, prepare=prepare)
        write_engine = _postgres_engine(url, True, plans, spin_seconds, prepare)
    return Database(
        plans=plans,
        checkpointer=checkpointer,
        engine=read_engine,
        write_engine=write_engine,
        # Services flush when they need ids; autoflush before every query only costs time.
        reader=sessionmaker(read_engine, expire_on_commit=False, autoflush=False),
        writer=sessionmaker(write_engine, expire_on_commit=False, autoflush=False),
    )
