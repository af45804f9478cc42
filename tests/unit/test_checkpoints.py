"""The SQLite checkpoint thread (engine.persistence.checkpoints): commits leave the write-ahead
log to it, it copies the log back after forty commits or a quiet spell, keeps no thread while
idle, survives a checkpoint that fails, and stops at once when closed."""
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
        for n in range(39):
            with db.write_engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "页" * 2000 + str(n)})
        # Forty commits: the thread copies the log back at once, not after the quiet spell.
        assert _wait_for(lambda: db.checkpointer.checkpoints == 1, seconds=2)
        assert _wait_for(lambda: _unchecked_frames(path) == 0, seconds=2)
        with sqlite3.connect(path) as reader:
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (39,)
    finally:
        db.dispose()
    assert not db.checkpointer.running


def _wal_file(tmp_path, name: str):
    path = tmp_path / name
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
    return path


def test_fewer_commits_are_copied_back_after_a_quiet_spell_and_no_thread_is_kept(tmp_path):
    checkpointer = Checkpointer(str(_wal_file(tmp_path, "quiet.sqlite3")), every=40, quiet_seconds=0.1)
    try:
        checkpointer.committed()
        checkpointer.committed()
        assert checkpointer.running
        assert _wait_for(lambda: checkpointer.checkpoints == 1)  # both, in one checkpoint
        assert _wait_for(lambda: not checkpointer.running)  # quiet and nothing left: no thread
        checkpointer.committed()
        assert _wait_for(lambda: checkpointer.checkpoints == 2)
    finally:
        checkpointer.close()
    checkpointer.committed()  # closed: no thread starts
    assert not checkpointer.running and checkpointer.checkpoints == 2


def test_a_failing_checkpoint_is_logged_and_later_commits_try_again(tmp_path, caplog):
    path = tmp_path / "not-a-database.sqlite3"
    path.write_bytes(b"this is not an SQLite file" * 100)
    checkpointer = Checkpointer(str(path), every=1, quiet_seconds=5)
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

    checkpointer = Checkpointer(str(_wal_file(tmp_path, "forked.sqlite3")), every=1, quiet_seconds=5)
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


def test_closing_stops_the_thread_at_once(tmp_path):
    checkpointer = Checkpointer(str(_wal_file(tmp_path, "closing.sqlite3")), every=40, quiet_seconds=30)
    checkpointer.committed()
    assert checkpointer.running
    started = time.monotonic()
    checkpointer.close()
    # The quiet spell is not waited out (every engine's close joins the thread).
    assert time.monotonic() - started < 2
    assert not checkpointer.running and checkpointer.checkpoints == 0
