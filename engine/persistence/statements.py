"""Core statements compiled once per dialect and run on the transaction's DBAPI cursor.

The hot path (start an application, decide a task, fire a timer) runs a handful of statements,
and SQLAlchemy's per-execution bookkeeping costs several times what SQLite itself spends on
them. So each statement is written in Core against the models' tables, compiled once for the
dialect in use, and executed directly: SQLAlchemy writes the SQL and its parameter style, and
each value goes through its column type's own bind and result processing, so rows written
here and rows written through the ORM are the same rows.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from engine.persistence.pipeline import batch_of, statement_name


class Prepared:
    """One statement compiled for one dialect, with its parameters' and columns' processors."""

    __slots__ = ("sql", "names", "positional", "fixed", "columns", "wire", "_plan", "_wire_plan", "_processed")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = bool(dialect.positional)
        self.names = list(compiled.positiontup) if self.positional else list(compiled.binds)
        # Literals written into the statement (`entries + 1`, `state = 'completed'`) are binds too.
        self.fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        processors = {}
        for bind_name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[bind_name] = processor
        # Per execution only the values are looked up: each name is paired with its processor here.
        self._plan = tuple((name, processors.get(name)) for name in self.names)
        # PostgreSQL writers send the statement themselves (engine.persistence.pipeline): its name,
        # its text with $n parameters, and the values in that order.
        self.wire: tuple[bytes, bytes] | None = None
        self._wire_plan: tuple = ()
        if dialect.name == "postgresql" and not self.positional:
            text, order = _numbered(self.sql)
            self.wire = (statement_name(text), text.encode("utf-8"))
            self._wire_plan = tuple((name, processors.get(name)) for name in order)
        # A query's columns, or what an INSERT/UPDATE ... RETURNING gives back.
        selected = list(statement.exported_columns)
        self.columns = [c.key for c in selected]
        results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
        # Most columns need no processing: a row is made by zip and only these are processed
        # (for a key named twice, the last column's, as a dict built in column order keeps it).
        last = {key: index for index, key in enumerate(self.columns)}
        self._processed = tuple((key, index, process) for index, (key, process)
                                in enumerate(zip(self.columns, results))
                                if process is not None and last[key] == index)

    def parameters(self, values: dict[str, Any]):
        """The DBAPI parameters for `values` (keyed by bind name), processed by column type."""
        if self.positional:
            return self._in_order(self._plan, values)
        if self.fixed:
            values = {**self.fixed, **values}
        return {n: values[n] if process is None else process(values[n]) for n, process in self._plan}

    def values(self, values: dict[str, Any]) -> list:
        """The values for the statement's $n parameters, in order, processed by column type."""
        return self._in_order(self._wire_plan, values)

    def _in_order(self, plan: tuple, values: dict[str, Any]) -> list:
        if self.fixed:
            values = {**self.fixed, **values}
        return [values[n] if process is None else process(values[n]) for n, process in plan]

    def row(self, raw) -> dict[str, Any]:
        """A fetched row as a dict keyed by column key, processed by column type."""
        row = dict(zip(self.columns, raw))
        for key, index, process in self._processed:
            value = raw[index]
            if value is not None:
                row[key] = process(value)
        return row


# A pyformat parameter (`%(name)s`) or an escaped percent sign, in SQLAlchemy's compiled text.
_NUMBERED = re.compile(r"%%|%\(([^)]+)\)s")


def _numbered(sql: str) -> tuple[str, list[str]]:
    """Pyformat `sql` with $n parameters (a name used twice is one parameter), and the names in
    the order of their numbers."""
    numbers: dict[str, int] = {}

    def number(match) -> str:
        name = match.group(1)
        return "%" if name is None else f"${numbers.setdefault(name, len(numbers) + 1)}"

    return _NUMBERED.sub(number, sql), list(numbers)


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
    """The DBAPI cursor of one transaction, running prepared statements.

    On PostgreSQL a writer's transaction sends its statements in batches
    (engine.persistence.pipeline): `later` queues a statement, and whatever was queued goes out
    with the next statement whose result is read (`run`, `one`, `all`, `each`, any query made
    through SQLAlchemy) or with the COMMIT. Outside a batch (readers, SQLite) every statement
    runs at once, on the connection's DBAPI cursor.
    """

    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.dialect_name = connection.dialect.name
        self._statements = statements
        self._batch = batch_of(connection) if self.dialect_name == "postgresql" else None
        self._cursor = connection.connection.driver_connection.cursor() if self._batch is None else None

    def release(self) -> None:
        """Forget this cursor at the transaction's end."""
        self._batch = self._cursor = None

    def _send(self, prepared: Prepared, values: dict[str, Any], receiver: Callable | None = None, *,
              syncing: bool = False) -> None:
        name, sql = prepared.wire
        self._batch.send(name, sql, prepared.values(values), receiver, syncing=syncing)

    def _receiver(self, prepared: Prepared, rows_to: Callable[[list[dict[str, Any]]], None]) -> Callable:
        # What the batch hands a result to: its rows, converted, go to `rows_to`.
        batch = self._batch
        return lambda result: rows_to([prepared.row(raw) for raw in batch.rows(result)])

    def _execute(self, prepared: Prepared, values: dict[str, Any]):
        """Execute one statement at once (outside a batch) and return the DBAPI cursor."""
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        return self._cursor

    def run(self, name: str, values: dict[str, Any]) -> int:
        """Execute statement `name` (after what is queued); returns the rowcount."""
        prepared = self._statements[name]
        if self._batch is None:
            return self._execute(prepared, values).rowcount
        counted: list[int] = []
        self._send(prepared, values, lambda result: counted.append(result.command_tuples or 0), syncing=True)
        self._batch.sync()
        return counted[0]

    def later(self, name: str, values: dict[str, Any]) -> None:
        """Execute statement `name` before the next one or the commit, whichever comes first; for
        writes whose rowcount nobody needs."""
        prepared = self._statements[name]
        if self._batch is None:
            self._execute(prepared, values)
        else:
            self._send(prepared, values)

    def later_returning(self, name: str, values: dict[str, Any],
                        rows_to: Callable[[list[dict[str, Any]]], None]) -> None:
        """`later` for a statement that returns rows: `rows_to` receives them once it has run (at
        once outside a batch; in one by the time the unit of work commits)."""
        prepared = self._statements[name]
        if self._batch is None:
            rows_to([prepared.row(r) for r in self._execute(prepared, values).fetchall()])
            return
        self._send(prepared, values, self._receiver(prepared, rows_to))

    def later_many(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """`later` once per row of values."""
        for values in rows:
            self.later(name, values)

    def many(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        """Execute statement `name` once per row of values."""
        prepared = self._statements[name]
        if self._batch is None:
            self._cursor.executemany(prepared.sql, [prepared.parameters(values) for values in rows])
        else:
            self.later_many(name, rows)
            self._batch.sync()

    def one(self, name: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """The first row statement `name` returns, or None."""
        found = self.all(name, values)
        return found[0] if found else None

    def all(self, name: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row statement `name` returns."""
        prepared = self._statements[name]
        if self._batch is None:
            return [prepared.row(raw) for raw in self._execute(prepared, values).fetchall()]
        found: list[list[dict[str, Any]]] = []
        self._send(prepared, values, self._receiver(prepared, found.append), syncing=True)
        self._batch.sync()
        return found[0]

    def each(self, queries: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Every row of each statement of `queries` (name and values), run in order: in a
        batch, in one round trip with what is queued."""
        if self._batch is None:
            return [self.all(name, values) for name, values in queries]
        found: list[list[dict[str, Any]]] = []
        for name, values in queries:
            prepared = self._statements[name]
            self._send(prepared, values, self._receiver(prepared, found.append), syncing=True)
        self._batch.sync()
        return found
