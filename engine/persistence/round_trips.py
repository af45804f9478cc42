"""Counting the round trips a piece of work makes to PostgreSQL (for the bench and the tests).

libpq's own protocol trace is switched on for every connection checked out of the engine while
counting. A round trip is the client sending and then reading the server's answer: in the trace,
a message from the server (B) that follows one from the client (F). (Counting ReadyForQuery
messages would miss the round trips of pipeline mode, which reads results without a Sync; the
server sends nothing before a Sync or Flush, so what the client queues meanwhile adds none.)
"""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import Engine, event


@dataclass
class RoundTrips:
    """Filled in when the `counting` block ends."""

    count: int = 0


@contextmanager
def counting(engine: Engine) -> Iterator[RoundTrips]:
    """Count the round trips of the PostgreSQL connections `engine` lends out inside the block."""
    from psycopg import pq

    found = RoundTrips()
    with tempfile.TemporaryFile() as trace:
        def start(dbapi_connection, _record, _proxy) -> None:
            dbapi_connection.pgconn.trace(trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

        def stop(dbapi_connection, _record) -> None:
            if dbapi_connection is not None:
                # libpq writes what it buffered when the trace is switched off.
                dbapi_connection.pgconn.untrace()

        event.listen(engine, "checkout", start)
        event.listen(engine, "checkin", stop)
        try:
            yield found
        finally:
            event.remove(engine, "checkout", start)
            event.remove(engine, "checkin", stop)
            trace.seek(0)
            found.count = _round_trips(trace.read().splitlines())


def _round_trips(lines: list[bytes]) -> int:
    count, last = 0, b""
    for line in lines:
        side = line[:1]
        if side == b"B" and last == b"F":
            count += 1
        if side in (b"B", b"F"):
            last = side
    return count
