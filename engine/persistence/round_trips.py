"""Counting the round trips a piece of work makes to PostgreSQL (for the bench and the tests).

libpq's own protocol trace is switched on for every connection checked out of the engine while
counting. A round trip is the client asking the server to answer: a Sync (which ends every
extended-protocol exchange, and every batch of pipeline mode), a Flush (pipeline mode reading a
result before its Sync) or a simple Query. A Flush sent with its Sync, with no other message
between them, asks for one answer and counts once. (Counting a server message that follows a
client one instead would count the answers the server sends on its own as soon as it has read
everything sent so far: in pipeline mode they interleave with what the client is still queueing,
more or less often as the two processes are scheduled, though the client waits for none of them.)
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


ASKS_FOR_AN_ANSWER = (b"Sync", b"Flush", b"Query")


def _round_trips(lines: list[bytes]) -> int:
    count, asked = 0, False
    for line in lines:
        fields = line.split(b"\t")
        if len(fields) < 3:
            continue
        if fields[0] != b"F":
            asked = False  # the server answered: the client's next request is another round trip
            continue
        asks = fields[2].startswith(ASKS_FOR_AN_ANSWER)
        if asks and not asked:
            count += 1
        asked = asks
    return count
