"""One database transaction per use case: commit explicitly, roll back by default.

A use case receives a unit of work and opens it once: `with uow:` to write, `with
uow.read():` to only read. Inside, `uow.instances`, `uow.tasks`, `uow.timers` and `uow.audit`
(and `uow.calendar`, `uow.notifications`) are the repositories, `uow.session` the SQLAlchemy
session for colder queries, and `uow.engine` the engine's other collaborators (clock,
calendar, specs, script engine).
"""
from __future__ import annotations

from typing import Any

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
        self.session: Session | None = None
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

    def __enter__(self) -> "UnitOfWork":
        if self.session is not None:
            raise RuntimeError("a unit of work is opened once per use case")
        self.session = (self._db.writer if self._writing else self._db.reader)()
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
            self.session.close()
        finally:
            self.session = None
            self._cursor = None
            self._writing = True

    @property
    def cursor(self) -> Cursor:
        """The DBAPI cursor of this transaction, for the repositories' prepared statements."""
        if self._cursor is None:
            connection = self.session.connection()
            self._cursor = Cursor(connection, statements_for(connection.dialect))
        return self._cursor

    def commit(self) -> None:
        """Make everything written in this unit permanent."""
        if not self._writing:
            raise RuntimeError("a read-only unit of work cannot commit")
        # On PostgreSQL the queued writes go with the COMMIT, in one round trip
        # (engine.persistence.pipeline); the rows they return are then handed on.
        self.session.commit()
        if self._cursor is not None:
            self._cursor.deliver()
        # The transaction's DBAPI cursor ends with it.
        if self._cursor is not None:
            self._cursor.release()
        self._cursor = None
