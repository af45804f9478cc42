"""SQLite's WAL checkpoints, moved off the thread that commits.

In WAL mode SQLite appends each commit's pages to the write-ahead log. By default the commit that
takes the log past 1,000 pages then copies the log back into the database file and syncs both
(`wal_autocheckpoint`), on the committing thread: that request waits for the copy and two
fsyncs. A PDW step writes about twenty pages (the instance, its task rows and their indexes, the
audit entries), so a busy process paid a checkpoint every fifty commits or so. Measured on the
fixture two_reviews through the services: 4.8 ms per application with checkpoints on the commit
path, 3.6 ms with none there, the same CPU either way: the difference was waiting on the disk.

PostgreSQL keeps its checkpoints in a process of their own; here each PDW process that writes to
an SQLite file has a thread that does it, after every forty commits and every few seconds while
fewer come: `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own, which copies what no
reader still needs without waiting for readers or writers. Python's sqlite3 releases the GIL for
the copy and the fsyncs, so requests go on meanwhile.

The commit path keeps a backstop: connections checkpoint themselves at 10,000 pages (about 40 MB
of log), which only happens if the thread cannot keep up or is not running (a command-line
process that wrote and exited; SQLite also checkpoints when the last connection closes).

Durability is that of `synchronous=NORMAL`, which PDW uses: a commit is safe from a crash of the
process at once, and from a power failure once a checkpoint has synced the log: with the thread
within forty commits or a few seconds, where before it could be a thousand pages later.

Failure modes: a checkpoint that fails (another process's checkpoint running, a full disk) is
logged and retried after later commits; the log then grows until one succeeds or the backstop
takes over. The thread ends when a quiet spell finds nothing to copy and starts again at the
next commit, so an idle or forgotten engine keeps no thread.
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
    """Runs the WAL checkpoints of one SQLite database file in a thread of this process.

    A checkpoint follows `every` commits (about SQLite's 1,000 pages, at some twenty a step), and
    one comes every `quiet_seconds` while fewer come, so that a quiet system has its log synced
    and copied back within seconds rather than a thousand pages later.
    """

    def __init__(self, path: str, *, every: int = 40, quiet_seconds: float = 5.0) -> None:
        self._path = path
        self._every = every
        self._quiet = quiet_seconds
        self._closed = threading.Event()
        self.checkpoints = 0  # run so far, for tests and health
        self._start_afresh()

    def _start_afresh(self) -> None:
        # Also in a child forked after the thread started (a server that builds the app before it
        # forks its workers): the thread, and a lock it may have held, stayed in the parent.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending = 0  # commits since the last checkpoint
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while this file's checkpoint thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def committed(self) -> None:
        """Note a commit on the file."""
        if self._pid != os.getpid():
            self._start_afresh()
        with self._lock:
            self._pending += 1
            if self._pending >= self._every:
                self._wake.set()
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._run, name="pdw-sqlite-checkpoints", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop the thread (it finishes a checkpoint it is running; the last connection to close
        checkpoints what is left)."""
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
                woken = self._wake.wait(self._quiet)
                if self._closed.is_set():
                    return
                with self._lock:
                    pending, self._pending = self._pending, 0
                    self._wake.clear()
                    if not woken and not pending:
                        # Quiet since the last checkpoint: no thread is kept; the next commit starts one.
                        self._thread = None
                        return
                if pending:
                    self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as err:
            log.warning("SQLite checkpoint of %s failed (retried after later commits): %s", self._path, err)
