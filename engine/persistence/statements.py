"""Core statements compiled once per dialect and run on the transaction's DBAPI cursor.

The hot path (start an application, decide a task, fire a timer) runs a handful of statements,
and SQLAlchemy's per-execution bookkeeping costs several times what SQLite itself spends on
them. So each statement is written in Core against the models' tables, compiled once for the
dialect in use, and executed directly: SQLAlchemy writes the SQL and its parameter style, and
each value goes through its column type's own bind and result processing, so rows written
here and rows written through the ORM are the same rows.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any, Callable, Iterable

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


_NAMED = re.compile(r"%\((\w+)\)s")


class Prepared:
    """One statement compiled for one dialect, with its parameters' and columns' processors."""

    __slots__ = ("sql", "names", "positional", "binds", "fixed", "columns", "results", "server_name", "server_sql",
                 "server_order")

    def __init__(self, statement: ClauseElement, dialect: Dialect, name: str = "") -> None:
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
        self.binds = processors
        # A query's columns, or what an INSERT/UPDATE ... RETURNING gives back.
        selected = list(statement.exported_columns)
        self.columns = [c.key for c in selected]
        self.results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected]
        self.server_name = self.server_sql = None
        self.server_order: list[str] = []
        if dialect.name == "postgresql" and name:
            self._prepare_on_server(compiled, dialect, name)

    def _prepare_on_server(self, compiled, dialect: Dialect, name: str) -> None:
        # PostgreSQL plans a statement each time its text arrives; a statement PREPAREd once per
        # connection is planned from its cached form and sent as EXECUTE with its values, which
        # still lets several statements share one query string (see Cursor).
        # The statement's own literals (`entries + 1`) are written into it, not sent each time.
        literals = {}
        for bind_name, value in self.fixed.items():
            render = compiled.binds[bind_name].type.literal_processor(dialect)
            if render is not None and value is not None:
                literals[bind_name] = render(value)
        order: list[str] = []

        def number(match) -> str:
            bind_name = match.group(1)
            if bind_name in literals:
                return literals[bind_name]
            if bind_name not in order:
                order.append(bind_name)
            return f"${order.index(bind_name) + 1}"

        body = _NAMED.sub(number, self.sql).replace("%%", "%")
        # The types without lengths: the columns check those, as for any other statement.
        types = ", ".join(re.sub(r"\(\d+\)", "", compiled.binds[n].type.compile(dialect=dialect)) for n in order)
        self.server_name = f"pdw_{name}"
        self.server_sql = f"PREPARE {self.server_name} ({types}) AS {body}" if order else \
            f"PREPARE {self.server_name} AS {body}"
        self.server_order = order

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


def literal(value: Any, json_dumps: Callable[[Any], str] = json.dumps) -> str | None:
    """`value` as a literal of an EXECUTE's argument list, or None when psycopg must quote it.

    The prepared statement declares each parameter's type, and PostgreSQL reads a quoted literal
    as that type, so every value may go as text. psycopg's mogrify quotes too, through its
    adapters, and cost a fifth of a decision's time; this quotes the kinds the statements bind.
    It relies on standard_conforming_strings being on (the Cursor checks), where the only
    character to escape in a quoted literal is the quote itself; a NUL, which no text column can
    hold, is left to psycopg, which refuses it. JSON is written by `json_dumps`, the engine's
    JSON serializer, as psycopg would have (a json column keeps its text as sent).
    """
    kind = type(value)
    if value is None:
        return "NULL"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is str:
        text = value
    elif kind is datetime or kind is date:
        text = value.isoformat()
    else:
        from psycopg.types.json import Json  # as SQLAlchemy binds a JSON column's value

        if kind is not Json:
            return None
        text = (value.dumps or json_dumps)(value.obj)
    if "\x00" in text:
        return None
    return "'" + text.replace("'", "''") + "'"


class Statements:
    """Prepared statements by name for one dialect; statements are compiled on first use."""

    def __init__(self, dialect: Dialect, definitions: dict[str, ClauseElement]) -> None:
        self._dialect = dialect
        self._definitions = definitions
        self._prepared: dict[str, Prepared] = {}

    def __getitem__(self, name: str) -> Prepared:
        prepared = self._prepared.get(name)
        if prepared is None:
            prepared = self._prepared[name] = Prepared(self._definitions[name], self._dialect, name)
        return prepared


# The keys under which a connection's info names the Cursor holding statements back, the
# statements PREPAREd on that connection, and whether a failed batch left that list in doubt.
HELD_BACK = "pdw_held_back"
PREPARED_HERE = "pdw_prepared"
PREPARED_UNSURE = "pdw_prepared_unsure"


def send_held_back(connection, *_args) -> None:
    """SQLAlchemy's before_cursor_execute hook: send what a Cursor of this connection holds back
    (its BEGIN, its writes) before anything else runs on it."""
    cursor = connection.info.get(HELD_BACK)
    if cursor is not None and cursor.has_pending:
        cursor.send_pending()


def restore_transactions(dbapi_connection, *_args) -> None:
    """The pool's checkin hook on PostgreSQL: a connection that a Cursor switched to autocommit
    gets psycopg's transactions back before anyone else checks it out (the pool has rolled back
    whatever was left uncommitted)."""
    if dbapi_connection is not None and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


class Cursor:
    """The DBAPI cursor of one transaction, running prepared statements.

    On PostgreSQL each round trip costs more than the statement it carries, so a unit of work
    is sent in as few as its data allows, usually two: its BEGIN goes out with its first read,
    and writes whose result the step does not need at once (`later`, `later_returning`) are
    held back and sent in one query string with the next statement or with the COMMIT. Several
    statements may share a query string only when their values are bound on the client
    (`literal`, or psycopg's own quoting, `ClientCursor.mogrify`), so each statement is PREPAREd
    once per connection and sent as EXECUTE with its values: the server plans it once, not at
    every use.
    On SQLite, which has no network, every statement runs at once.
    """

    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.dialect_name = connection.dialect.name
        driver = connection.connection.driver_connection
        self._cursor = driver.cursor()
        self._statements = statements
        self._batching = self.dialect_name == "postgresql"
        # Statements held back, each with what receives its rows (None: nothing does).
        self._pending: list[tuple[str, Callable[[list], None] | None]] = []
        self._info = connection.info
        self._prepares = False
        if self._batching:
            from psycopg import ClientCursor
            from psycopg.pq import TransactionStatus

            self._client = ClientCursor(driver)
            # Found there by `send_held_back`, so a query made through SQLAlchemy meanwhile sees
            # what is held back.
            self._info[HELD_BACK] = self
            # PREPAREd statements outlive transactions, even rolled-back ones, so the names kept
            # here stay true; a batch that failed part-way may have prepared some of its own, and
            # the server is then asked which (`_ask_what_is_prepared`).
            self._prepared_here: set[str] = self._info.setdefault(PREPARED_HERE, set())
            self._preparing: list[str] = []
            # Only where psycopg prepares nothing itself: it may DEALLOCATE ALL after a rollback.
            self._prepares = driver.prepare_threshold is None
            # With standard_conforming_strings on (PostgreSQL's default since 9.1) a backslash in a
            # quoted literal is just a backslash, so EXECUTE's values can be quoted here
            # (`literal`); otherwise psycopg's quoting, which knows the setting, does it.
            self._quotes = driver.pgconn.parameter_status(b"standard_conforming_strings") == b"on"
            self._json_dumps = getattr(connection.dialect, "_json_serializer", None) or json.dumps
            if (self._prepares and driver.pgconn.transaction_status == TransactionStatus.IDLE
                    and not driver.autocommit):
                if self._info.pop(PREPARED_UNSURE, False):
                    self._ask_what_is_prepared(driver)
                # psycopg sends BEGIN in a round trip of its own before a transaction's first
                # statement, but none in autocommit mode: the BEGIN is then held back like a write.
                # COMMIT and ROLLBACK (psycopg's or SQLAlchemy's) still end the transaction, as
                # they act on the server's transaction status; the pool turns autocommit off
                # again when the connection comes back (`restore_transactions`).
                driver.autocommit = True
                self._pending.append(("BEGIN", None))

    def _ask_what_is_prepared(self, driver) -> None:
        self._prepared_here.clear()
        with driver.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'pdw\\_%%'")
            self._prepared_here.update(name for (name,) in cursor.fetchall())
        driver.rollback()

    def release(self) -> None:
        """Forget this cursor at the transaction's end (the connection goes back to the pool)."""
        if self._info.get(HELD_BACK) is self:
            del self._info[HELD_BACK]
        self._pending.clear()

    def _text(self, prepared: Prepared, values: dict[str, Any]) -> str:
        """Statement `prepared` with `values` as one client-bound query string (PostgreSQL)."""
        parameters = prepared.parameters(values)
        name = prepared.server_name
        if name is None or not self._prepares:
            return self._client.mogrify(prepared.sql, parameters)
        if name not in self._prepared_here and name not in self._preparing:
            self._preparing.append(name)
            self._pending.append((prepared.server_sql, None))
        if not prepared.server_order:
            return f"EXECUTE {name}"
        values = [parameters[n] for n in prepared.server_order]
        if self._quotes:
            literals = [literal(value, self._json_dumps) for value in values]
            if None not in literals:
                return f"EXECUTE {name}(" + ", ".join(literals) + ")"
        return self._client.mogrify(f"EXECUTE {name}(" + ", ".join(["%s"] * len(values)) + ")", values)

    def _send(self, batch: list[tuple[str, Callable[[list], None] | None]]):
        """Execute `batch` in one round trip, each statement's rows to its receiver; returns the
        cursor on the last statement's result."""
        preparing, self._preparing = self._preparing, []
        try:
            self._client.execute(batch[0][0] if len(batch) == 1 else ";\n".join(sql for sql, _ in batch))
        except BaseException:
            if preparing:
                self._info[PREPARED_UNSURE] = True
            raise
        self._prepared_here.update(preparing)
        last = len(batch) - 1
        for index, (_, rows_to) in enumerate(batch):
            if rows_to is not None:
                rows_to(self._client.fetchall())
            if index < last:
                self._client.nextset()
        return self._client

    def _execute(self, prepared: Prepared, values: dict[str, Any]):
        """Execute one statement after what is held back, in one round trip; returns the cursor
        holding its result."""
        if not self._batching or not (self._pending or (self._prepares and prepared.server_name)):
            self._cursor.execute(prepared.sql, prepared.parameters(values))
            return self._cursor
        text = self._text(prepared, values)
        batch = [*self._pending, (text, None)]
        self._pending.clear()
        return self._send(batch)

    def run(self, name: str, values: dict[str, Any]) -> int:
        """Execute statement `name`; returns the rowcount."""
        return self._execute(self._statements[name], values).rowcount

    def later(self, name: str, values: dict[str, Any]) -> None:
        """Execute statement `name` before the next one or the commit, whichever comes first; for
        writes whose rowcount nobody needs."""
        prepared = self._statements[name]
        if self._batching:
            text = self._text(prepared, values)
            self._pending.append((text, None))
        else:
            self._cursor.execute(prepared.sql, prepared.parameters(values))

    def later_returning(self, name: str, values: dict[str, Any],
                        rows_to: Callable[[list[dict[str, Any]]], None]) -> None:
        """`later` for a statement that returns rows: `rows_to` receives them once it has run (at
        once on SQLite; on PostgreSQL by the time the unit of work commits)."""
        prepared = self._statements[name]
        if self._batching:
            text = self._text(prepared, values)
            self._pending.append((text, lambda raw: rows_to([prepared.row(r) for r in raw])))
        else:
            self._cursor.execute(prepared.sql, prepared.parameters(values))
            rows_to([prepared.row(r) for r in self._cursor.fetchall()])

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
        raw = self._execute(prepared, values).fetchone()
        return None if raw is None else prepared.row(raw)

    def all(self, name: str, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row statement `name` returns."""
        prepared = self._statements[name]
        return [prepared.row(raw) for raw in self._execute(prepared, values).fetchall()]

    def each(self, queries: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Every row of each statement of `queries` (name and values), run in order: on
        PostgreSQL in one round trip with what is held back."""
        if not self._batching:
            return [self.all(name, values) for name, values in queries]
        found: list[list[dict[str, Any]]] = []
        for name, values in queries:
            self.later_returning(name, values, found.append)
        self.send_pending()
        return found

    @property
    def has_pending(self) -> bool:
        """True while a BEGIN or statements held back wait to be sent."""
        return bool(self._pending)

    @property
    def has_writes(self) -> bool:
        """True while statements held back wait to be sent (a BEGIN alone is not one)."""
        return len(self._pending) > (1 if self._pending and self._pending[0][0] == "BEGIN" else 0)

    def send_pending(self) -> None:
        """Send what is held back, in one round trip (before a query that may read it)."""
        if self._pending:
            batch = list(self._pending)
            self._pending.clear()
            self._send(batch)

    def commit(self) -> None:
        """Send the statements held back and COMMIT, in one round trip."""
        batch = [*self._pending, ("COMMIT", None)]
        self._pending.clear()
        self._send(batch)
