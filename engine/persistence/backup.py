"""Backups of the embedded SQLite database with SQLite's online backup API.

`sqlite3.Connection.backup` copies the database page by page under SQLite's own locking: the
copy is one consistent state of the database however many processes write meanwhile (a write
in the middle restarts the copy of the pages it changed), and WAL content not yet checkpointed
is included. PostgreSQL is backed up with pg_dump / pg_restore (docs/deployment.md), which give
the same guarantee from one snapshot; these functions refuse its URLs.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from engine.errors import Conflict, InvalidInput, PdwError

# Pages copied per step: small steps let the app's writers in between (they never wait long).
PAGES_PER_STEP = 1024


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise PdwError("backup.not_sqlite")
    return Path(parsed.database)


def backup(url: str, target: Path) -> int:
    """Copy the SQLite database of `url` into the new file `target`, consistently while the
    app runs; the number of pages copied.

    Raises:
        PdwError: `url` is not an SQLite file (`backup.not_sqlite`).
        Conflict: `target` exists (`backup.target_exists`); nothing is overwritten.
    """
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise PdwError("backup.no_database", file=str(source_path))
    if target.exists():
        raise Conflict("backup.target_exists", file=str(target))
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            # A backup is one file: no WAL beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()
    partial.rename(target)
    return pages


def restore(url: str, source_file: Path) -> int:
    """Replace the SQLite database of `url` with the backup `source_file`; pages copied.

    The copy goes through the backup API into the live file, so processes that have it open see
    the restored database at their next transaction (stop them first all the same: their open
    sessions would act on the old state). `pdw db upgrade` afterwards brings an older backup to
    the current migration.

    Raises:
        PdwError: `url` is not SQLite (`backup.not_sqlite`).
        InvalidInput: `source_file` is not a PDW SQLite backup (`backup.not_a_backup`).
    """
    target_path = _sqlite_path(url)
    try:
        source = sqlite3.connect(f"file:{source_file}?mode=ro", uri=True)
        try:
            source.execute("SELECT version_num FROM alembic_version").fetchone()
            source.execute("SELECT count(*) FROM audit_log").fetchone()
        except sqlite3.DatabaseError:
            source.close()
            raise InvalidInput("backup.not_a_backup", [], file=str(source_file)) from None
    except sqlite3.OperationalError:
        raise InvalidInput("backup.not_a_backup", [], file=str(source_file)) from None
    try:
        target = sqlite3.connect(target_path)
        try:
            source.backup(target, pages=PAGES_PER_STEP)
            return target.execute("PRAGMA page_count").fetchone()[0]
        finally:
            target.close()
    finally:
        source.close()
