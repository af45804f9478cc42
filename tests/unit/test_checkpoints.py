"""The SQLite checkpoint thread (engine.persistence.checkpoints): commits leave the write-ahead
log to it, it copies the log back after commits, keeps no thread while idle, and survives a
checkpoint that fails."""
from __future__ import annotations

import logging
import sqlite3
import time

from sqlalchemy import text

from engine.persistence.checkpoints import BACKSTOP_PAGES, Checkpointer
from engine.persistence.database import connect


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _unchecked_frames(path) -> int:
    """Pages in the log not yet copied into the database file (a PASSIVE checkpoint that copies
    nothing new reports them; readers are none here)."""
    with sqlite3.connect(path) as probe:
        _busy, log_frames, checkpointed = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return log_frames - checkpointed


def test_commits_leave_the_log_to_the_thread_which_copies_it_back(tmp_path):
    path = tmp_path / "pdw.sqlite3"
    db = connect(f"sqlite:///{path}")
    try:
        with db.write_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        with db.write_engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x TEXT)"))
        for n in range(50):
            with db.write_engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "页" * 2000 + str(n)})
        assert _wait_for(lambda: db.checkpointer.checkpoints > 0)
        assert _wait_for(lambda: _unchecked_frames(path) == 0)
        with sqlite3.connect(path) as reader:
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (50,)
    finally:
        db.dispose()
    assert not db.checkpointer.running


def test_the_thread_ends_when_idle_and_starts_again_at_the_next_commit(tmp_path):
    path = tmp_path / "log.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
    checkpointer = Checkpointer(str(path), gather_seconds=0.01, idle_seconds=0.1)
    try:
        checkpointer.committed()
        assert _wait_for(lambda: checkpointer.checkpoints == 1)
        assert _wait_for(lambda: not checkpointer.running)  # idle: no thread kept
        checkpointer.committed()
        assert _wait_for(lambda: checkpointer.checkpoints == 2)
    finally:
        checkpointer.close()
    checkpointer.committed()  # closed: no thread starts
    assert not checkpointer.running


def test_a_failing_checkpoint_is_logged_and_the_next_commit_tries_again(tmp_path, caplog):
    path = tmp_path / "not-a-database.sqlite3"
    path.write_bytes(b"this is not an SQLite file" * 100)
    checkpointer = Checkpointer(str(path), gather_seconds=0.01, idle_seconds=5)
    try:
        with caplog.at_level(logging.WARNING, logger="engine.persistence.checkpoints"):
            checkpointer.committed()
            assert _wait_for(lambda: len(caplog.records) == 1)
            checkpointer.committed()
            assert _wait_for(lambda: len(caplog.records) == 2)
        assert "not-a-database.sqlite3" in caplog.records[0].getMessage()
        assert checkpointer.checkpoints == 0
    finally:
        checkpointer.close()
    assert not checkpointer.running


def test_a_process_forked_after_the_thread_started_starts_its_own(tmp_path):
    import os

    path = tmp_path / "forked.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
    checkpointer = Checkpointer(str(path), gather_seconds=0.01, idle_seconds=5)
    try:
        checkpointer.committed()
        assert _wait_for(lambda: checkpointer.checkpoints == 1)
        child = os.fork()
        if child == 0:  # the thread is not here: the child's first commit must start one
            checkpointer.committed()
            os._exit(0 if _wait_for(lambda: checkpointer.checkpoints == 2) else 1)
        _pid, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        checkpointer.close()


def test_closing_while_a_checkpoint_gathers_commits_stops_the_thread_at_once(tmp_path):
    path = tmp_path / "closing.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
    checkpointer = Checkpointer(str(path), gather_seconds=5, idle_seconds=30)
    checkpointer.committed()
    time.sleep(0.05)  # the thread is gathering commits
    started = time.monotonic()
    checkpointer.close()
    # Neither the gathering pause nor the idle wait is waited out (every engine's close joins it).
    assert time.monotonic() - started < 2
    assert not checkpointer.running
