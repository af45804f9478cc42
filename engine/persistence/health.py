"""Whether the database can serve PDW: reachable, and at the migration this code was written for.

The command line, the web app and `/readyz` ask this when a query fails (or, for `/readyz`,
on every call), so an operator reads one line naming the cause instead of a driver traceback.
"""
from __future__ import annotations

import sqlite3

import psycopg
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from engine.errors import PdwError
from engine.persistence.database import Database
from engine.persistence.migrate import MIGRATIONS


class DatabaseUnavailable(PdwError):
    """The database cannot be reached or has not been upgraded to this code's schema."""


def head_revision() -> str:
    """The newest migration shipped with this code."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(db: Database) -> str | None:
    """The migration the database is at (None before `pdw db upgrade`).

    Raises:
        DatabaseUnavailable: the database cannot be reached.
    """
    try:
        with db.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as err:
        raise DatabaseUnavailable("database.unreachable", detail=_first_line(err)) from None


def problem(db: Database, error: BaseException | None = None) -> DatabaseUnavailable | None:
    """Why the database cannot serve PDW, or None when it is reachable and at the head revision.

    `error`, the failure that raised the question: one that a second attempt would not meet (the
    connection was lost or closed by the server, a prepared plan went stale under a migration, a
    deadlock or serialization failure) answers `database.retry` once the database is found fit.
    """
    try:
        current = current_revision(db)
    except DatabaseUnavailable as err:
        return err
    if current is None:
        return DatabaseUnavailable("database.not_upgraded")
    head = head_revision()
    if current != head:
        return DatabaseUnavailable("database.behind", current=current, head=head)
    if error is not None and is_transient(error):
        return DatabaseUnavailable("database.retry")
    return None


def is_transient(error: BaseException) -> bool:
    """True for a failure that the same request, sent again, would not meet (see `problem`).

    Since the pool has replaced the connection (engine.persistence.database), the next unit of
    work gets a good one.
    """
    original = getattr(error, "orig", None) or error
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(original, (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)):
        return True
    if isinstance(original, psycopg.errors.FeatureNotSupported):
        return "cached plan must not change result type" in str(original)
    # A lost connection, as psycopg reports it (not a refused one: that is database.unreachable).
    return isinstance(original, psycopg.OperationalError) and not isinstance(original, psycopg.errors.QueryCanceled)


# What a failed query raises: through SQLAlchemy, or the drivers' own on the repositories' raw cursor.
DATABASE_ERRORS = (DBAPIError, sqlite3.Error, psycopg.Error)


def is_database_error(err: BaseException) -> bool:
    """True for an error the database driver raised (see DATABASE_ERRORS)."""
    return isinstance(err, DATABASE_ERRORS)


def _first_line(err: DBAPIError) -> str:
    # The driver's own message without SQLAlchemy's SQL echo and background link.
    text = str(err.orig if err.orig is not None else err).strip()
    return text.splitlines()[0] if text else type(err.orig).__name__
