"""Counting the round trips a piece of work makes to PostgreSQL (for the bench and the tests).

libpq's own protocol trace is switched on for every connection checked out of the engine while
counting; the server ends each round trip with one ReadyForQuery message, whatever the query
string carried, so counting those counts round trips.
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
            found.count = sum(1 for line in trace.read().splitlines() if line.startswith(b"B\t") and
                              b"\tReadyForQuery\t" in line)
