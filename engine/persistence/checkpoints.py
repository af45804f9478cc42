"""SQLite's WAL checkpoints, moved off the thread that commits.

In WAL mode SQLite appends each commit's pages to the write-ahead log. By default the commit that
takes the log past 1,000 pages then copies the log back into the database file and syncs both
(`wal_autocheckpoint`), on the committing thread: that request waits for the copy and two
fsyncs. A PDW step writes about twenty pages (the instance, its task rows and their indexes, the
audit entries), so a busy process paid a checkpoint every fifty commits or so. Measured on the
fixture two_reviews through the services: 4.8 ms per application with checkpoints on the commit
path, 3.6 ms with none there, the same CPU either way: the difference was waiting on the disk.

PostgreSQL keeps its checkpoints in a process of their own; here each PDW process that writes to
an SQLite file has a thread that does it. A commit wakes the thread; it lets commits gather for
a moment, then runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own, which copies
what no reader still needs without waiting for readers or writers. Python's sqlite3 releases
the GIL for the copy and the fsyncs, so requests go on meanwhile.

The commit path keeps a backstop: connections checkpoint themselves at 10,000 pages (about 40 MB
of log), which only happens if the thread cannot keep up or is not running (a command-line
process that wrote and exited; SQLite also checkpoints when the last connection closes).

Durability is that of `synchronous=NORMAL`, which PDW uses: a commit is safe from a crash of the
process at once, and from a power failure once a checkpoint has synced the log. With the thread
that is a fraction of a second after the commit, where before it could be a thousand pages later.

Failure modes: a checkpoint that fails (another process's checkpoint running, a full disk) is
logged and retried at the next commit; the log then grows until one succeeds or the backstop
takes over. The thread ends after a while without commits and starts again at the next one, so
an idle or forgotten engine keeps no thread.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

# Commit-path checkpoints happen only past this many log pages (SQLite's default is 1,000).
BACKSTOP_PAGES = 10_000


class Checkpointer:
    """Runs the WAL checkpoints of one SQLite database file in a thread of this process."""

    def __init__(self, path: str, *, gather_seconds: float = 0.2, idle_seconds: float = 30.0) -> None:
        self._path = path
        # How long commits gather before a checkpoint, and how long the thread waits for one.
        self._gather = gather_seconds
        self._idle = idle_seconds
        self._closed = threading.Event()
        self.checkpoints = 0  # run so far, for tests and health
        self._start_afresh()

    def _start_afresh(self) -> None:
        # Also in a child forked after the thread started (a server that builds the app before it
        # forks its workers): the thread, and a lock it may have held, stayed in the parent.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Note a commit on the file: a checkpoint follows within `gather_seconds`."""
        if self._pid != os.getpid():
            self._start_afresh()
        self._wake.set()
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._run, name="pdw-sqlite-checkpoints", daemon=True)
                self._thread.start()

    @property
    def running(self) -> bool:
        """True while this file's checkpoint thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def close(self) -> None:
        """Stop the thread (it finishes the checkpoint it is running)."""
        with self._lock:
            self._closed.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        try:
            while True:
                if not self._wake.wait(self._idle):
                    with self._lock:
                        # A commit that set the event after the wait timed out still gets its turn.
                        if not self._wake.is_set():
                            self._thread = None
                            return
                # Commits gather for a moment; closing ends the wait (the last connection to
                # close checkpoints what is left).
                if self._closed.wait(self._gather):
                    return
                self._wake.clear()
                self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as err:
            log.warning("SQLite checkpoint of %s failed (retried after the next commit): %s", self._path, err)
