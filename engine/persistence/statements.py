"""Core statements compiled once per dialect and run on the transaction's DBAPI cursor.

The hot path (start an application, decide a task, fire a timer) runs a handful of statements,
and SQLAlchemy's per-execution bookkeeping costs several times what SQLite itself spends on
them. So each statement is written in Core against the models' tables, compiled once for the
dialect in use, and executed directly: SQLAlchemy writes the SQL and its parameter style, and
each value goes through its column type's own bind and result processing, so rows written
here and rows written through the ORM are the same rows.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


class Prepared:
    """One statement compiled for one dialect, with its parameters' and columns' processors."""

    __slots__ = ("sql", "names", "positional", "binds", "fixed", "columns", "results")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = bool(dialect.positional)
        self.names = list(compiled.positiontup) if self.positional else list(compiled.binds)
        # Literals written into the statement (`entries + 1`, `state = 'completed'`) are binds too.
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        self.binds = processors
        # A query's columns, or what an INSERT/UPDATE ... RETURNING gives back.
        selected = list(statement.exported_columns)
        self.columns = [c.key for c in selected]
        self.results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]

    def parameters(self, values: dict[str, Any]):
        """The DBAPI parameters for `values` (keyed by bind name), processed by column type."""
        binds = self.binds
        if self.fixed:
            values = {**self.fixed, **values}
        if self.positional:
            return [binds[n](values[n]) if n in binds else values[n] for n in self.names]
        return {n: binds[n](values[n]) if n in binds else values[n] for n in self.names}

    def row(self, raw) -> dict[str, Any]:
        """A fetched row as a dict keyed by column key, processed by column type."""
        return {key: (process(value) if process is not None and value is not None else value)
                for key, process, value in zip(self.columns, self.results, raw)}


class Statements:
    """Prepared statements by name for one dialect; statements are compiled on first use."""

    def __init__(self, dialect: Dialect, definitions: dict[str, ClauseElement]) -> None:
        self._dialect = dialect
        self._definitions = definitions
        self._prepared: dict[str, Prepared] = {}

    def __getitem__(self, name: str) -> Prepared:
        prepared = self._prepared.get(name)
        if prepared is None:
            prepared = self._prepared[name] = Prepared(self._definitions[name], self._dialect)
        return prepared


# The key under which a connection's info names the Cursor holding writes back.
HELD_BACK = "pdw_held_back"


def send_held_back(connection, *_args) -> None:
    """SQLAlchemy's before_cursor_execute hook: send the writes a Cursor of this connection holds
    back before anything else runs on it."""
    cursor = connection.info.get(HELD_BACK)
    if cursor is not None and cursor.has_pending:
        cursor.send_pending()


class Cursor:
    """The DBAPI cursor of one transaction, running prepared statements.

    On PostgreSQL each statement costs a network round trip, so writes whose result nobody
    reads (`later`) are held back and sent in one query string with the next statement, or
    with the COMMIT: one round trip for the lot. Their values are bound on the client by
    psycopg's own quoting (`ClientCursor.mogrify`), as only then may one query string carry
    several statements. On SQLite, which has no network, every statement runs at once.
    """

    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.dialect_name = connection.dialect.name
        driver = connection.connection.driver_connection
        self._cursor = driver.cursor()
        self._statements = statements
        self._batching = self.dialect_name == "postgresql"
        self._pending: list[str] = []
        self._info = connection.info
        if self._batching:
            from psycopg import ClientCursor

            self._client = ClientCursor(driver)
            # Found there by `send_held_back`, so a query made through SQLAlchemy meanwhile sees
            # the writes held back.
            self._info[HELD_BACK] = self

    def release(self) -> None:
        """Forget this cursor at the transaction's end (the connection goes back to the pool)."""
        if self._info.get(HELD_BACK) is self:
            del self._info[HELD_BACK]

    def _execute(self, sql: str, parameters):
        """Execute one statement after the writes held back, in one round trip; returns the
        cursor holding its result."""
        if not self._pending:
            self._cursor.execute(sql, parameters)
            return self._cursor
        batch = [*self._pending, self._client.mogrify(sql, parameters)]
        self._pending.clear()
        self._client.execute(";\n".join(batch))
        # Each statement has its own result; the one asked for is the last.
        for _ in range(len(batch) - 1):
            self._client.nextset()
        return self._client

    def run(self, name: str, values: dict[str, Any]) -> int:
        """Execute statement `name`; returns the rowcount."""
        prepared = self._statements[name]
        return self._execute(prepared.sql, prepared.parameters(values)).rowcount

    def later(self, name: str, values: dict[str, Any]) -> None:
        """Execute statement `name` before the next one or the commit, whichever comes first; for
        writes whose rowcount nobody needs."""
        prepared = self._statements[name]
        if self._batching:
            self._pending.append(self._client.mogrify(prepared.sql, prepared.parameters(values)))
        else:
            self._cursor.execute(prepared.sql, prepared.parameters(values))

    def later_many(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """`later` once per row of values."""
        for values in rows:
            self.later(name, values)

    def many(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Execute statement `name` once per row of values."""
        prepared = self._statements[name]
        self.send_pending()
        self._cursor.executemany(prepared.sql, [prepared.parameters(values) for values in rows])

    def one(self, name: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """The first row statement `name` returns, or None."""
        prepared = self._statements[name]
        raw = self._execute(prepared.sql, prepared.parameters(values)).fetchone()
        return None if raw is None else prepared.row(raw)

    def all(self, name: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row statement `name` returns."""
        prepared = self._statements[name]
        return [prepared.row(raw) for raw in self._execute(prepared.sql, prepared.parameters(values)).fetchall()]

    @property
    def has_pending(self) -> bool:
        """True while writes held back by `later` wait to be sent."""
        return bool(self._pending)

    def send_pending(self) -> None:
        """Send the writes held back, in one round trip (before a query that may read them)."""
        if self._pending:
            batch = ";\n".join(self._pending)
            self._pending.clear()
            self._client.execute(batch)

    def commit(self) -> None:
        """Send the writes held back and COMMIT, in one round trip."""
        batch = ";\n".join([*self._pending, "COMMIT"])
        self._pending.clear()
        self._client.execute(batch)
