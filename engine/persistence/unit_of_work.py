"""One database transaction per use case: commit explicitly, roll back by default.

A use case receives a unit of work and opens it once: `with uow:` to write, `with
uow.read():` to only read. Inside, `uow.instances`, `uow.tasks`, `uow.timers` and `uow.audit`
(and `uow.calendar`, `uow.notifications`) are the repositories, `uow.session` the SQLAlchemy
session for colder queries, and `uow.engine` the engine's other collaborators (clock,
calendar, specs, script engine).

The hot path (start an application, decide a task, fire a timer) runs its statements on the
repositories' cursor and often never needs the ORM; a SQLAlchemy Session's bookkeeping per
transaction (its transaction object, the flush it prepares, its identity map) then costs more
than some of the statements. So the transaction is opened by whichever comes first: `uow.session`
opens it as a Session always did; `uow.cursor` opens it on a plain Connection of the same engine
(the same pool, the same begin and commit events), and a Session asked for later joins that
transaction and takes charge of it, so colder code gets the session it always got.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RootTransaction
from sqlalchemy.orm import Session

from engine.persistence.database import Database
from engine.persistence.repositories import (AuditRepository, CalendarRepository, InstanceRepository,
                                             NotificationRepository, TaskRepository, TimerRepository, statements_for)
from engine.persistence.statements import Cursor


class UnitOfWork:
    """Wraps one session; `commit()` must be called or everything is rolled back."""

    def __init__(self, db: Database, engine: Any = None) -> None:
        self._db = db
        self.engine = engine
        self._writing = True
        self._open = False
        self._session: Session | None = None
        # The plain connection and its transaction, when the cursor opened the transaction.
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._cursor: Cursor | None = None
        self.instances = InstanceRepository(self)
        self.tasks = TaskRepository(self)
        self.timers = TimerRepository(self)
        self.audit = AuditRepository(self)
        self.calendar = CalendarRepository(self)
        self.notifications = NotificationRepository(self)

    def read(self) -> "UnitOfWork":
        """Open this unit as a read-only transaction (`with uow.read():`)."""
        self._writing = False
        return self

    @property
    def writing(self) -> bool:
        """True when this unit may write."""
        return self._writing

    @property
    def session(self) -> Session | None:
        """The SQLAlchemy session of this transaction (None outside `with`)."""
        if self._session is None and self._open:
            factory = self._db.writer if self._writing else self._db.reader
            if self._connection is None:
                self._session = factory()
            else:
                # The cursor opened the transaction: the session joins it and commits, rolls back
                # or closes it as its own (it leaves the connection itself to __exit__).
                self._session = factory(bind=self._connection, join_transaction_mode="control_fully")
        return self._session

    def __enter__(self) -> "UnitOfWork":
        if self._open:
            raise RuntimeError("a unit of work is opened once per use case")
        self._open = True
        if self.engine is not None:
            # Another process may have installed a holiday notice: the engine's calendar reads
            # the calendar version (at most once per PDW_CALENDAR_CHECK_SECONDS) and follows it.
            try:
                self.engine.calendar.follow(self)
            except BaseException:
                self.__exit__()
                raise
        return self

    def __exit__(self, *exc_info) -> None:
        # Closing rolls back whatever was not committed.
        if exc_info and exc_info[1] is not None:
            self._db.after_failure(exc_info[1])
        if self._cursor is not None:
            self._cursor.release()
        try:
            if self._session is not None:
                self._session.close()
        finally:
            connection = self._connection
            self._open = False
            self._session = None
            self._connection = self._transaction = None
            self._cursor = None
            self._writing = True
            if connection is not None:
                # Rolls back a transaction left open, and returns the connection to the pool.
                connection.close()

    @property
    def cursor(self) -> Cursor:
        """The DBAPI cursor of this transaction, for the repositories' prepared statements."""
        if self._cursor is None:
            if self._session is not None:
                connection = self._session.connection()
            else:
                connection = self._connection
                if connection is None:
                    engine = self._db.write_engine if self._writing else self._db.engine
                    connection = self._connection = engine.connect()
                self._transaction = connection.begin()
            self._cursor = Cursor(connection, statements_for(connection.dialect))
        return self._cursor

    def commit(self) -> None:
        """Make everything written in this unit permanent."""
        if not self._writing:
            raise RuntimeError("a read-only unit of work cannot commit")
        # On PostgreSQL the queued writes go with the COMMIT, in one round trip
        # (engine.persistence.pipeline), whose sync hands the rows they return to their receivers.
        if self._session is not None and (self._session.in_transaction() or self._transaction is None):
            self._session.commit()
        # A session that never began (it had nothing to flush: adding an object begins it) has not
        # taken the cursor's transaction in charge; nor has one that joined it and ran nothing.
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.commit()
        self._transaction = None
        # The transaction's DBAPI cursor ends with it.
        if self._cursor is not None:
            self._cursor.release()
        self._cursor = None
