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


class Cursor:
    """The DBAPI cursor of one transaction, running prepared statements."""

    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.dialect_name = connection.dialect.name
        self._cursor = connection.connection.driver_connection.cursor()
        self._statements = statements

    def run(self, name: str, values: dict[str, Any]) -> int:
        """Execute statement `name`; returns the rowcount."""
        prepared = self._statements[name]
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        return self._cursor.rowcount

    def many(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Execute statement `name` once per row of values."""
        prepared = self._statements[name]
        self._cursor.executemany(prepared.sql, [prepared.parameters(values) for values in rows])

    def one(self, name: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """The first row statement `name` returns, or None."""
        prepared = self._statements[name]
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        raw = self._cursor.fetchone()
        return None if raw is None else prepared.row(raw)

    def all(self, name: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row statement `name` returns."""
        prepared = self._statements[name]
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        return [prepared.row(raw) for raw in self._cursor.fetchall()]
