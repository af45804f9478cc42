"""`pdw db upgrade`: bring the database schema up to date."""
from __future__ import annotations

import click

from engine.cli.common import fail, friendly, get_engine, language, say


@click.group("db")
def group() -> None:
    """Database schema."""


@group.command("upgrade")
@friendly
def upgrade_command() -> None:
    """Apply every Alembic migration to PDW_DATABASE_URL, install the shipped holiday notices and
    index for search the applications not yet indexed."""
    from engine.persistence.migrate import upgrade

    from engine.services import calendar, search

    engine = get_engine()
    revision = upgrade(engine.db)
    click.echo(f"database at revision {revision}")
    # The shipped holiday notices (and PDW_ARRANGEMENTS_DIR's), for years the database has none for.
    folders = [engine.config.arrangements_dir] if engine.config.arrangements_dir is not None else []
    for report in calendar.seed(engine.uow(), folders):
        click.echo(f"installed the {report.year} holiday notice {report.notice.notice} from {report.file_name}"
                   + (f"; {len(report.changes)} deadline(s) re-counted" if report.changes else ""))
    # Applications made before the search index existed (migration 0009) are indexed once.
    indexed = search.reindex_missing(engine.uow())
    if indexed:
        click.echo(f"indexed {indexed} application(s) for search")


@group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@friendly
def backup_command(file: str) -> None:
    """Copy the SQLite database into the new FILE, consistently while PDW runs (SQLite's online
    backup API). PostgreSQL: pg_dump, see docs/deployment.md."""
    from pathlib import Path

    from engine.config import Config
    from engine.persistence.backup import backup

    pages = backup(Config.from_env().database_url, Path(file))
    say("done.backup", pages=pages, file=file)


@group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the database's contents (stop the other processes first).")
@friendly
def restore_command(file: str, yes: bool) -> None:
    """Replace the SQLite database with the backup FILE; then run pdw db upgrade and pdw audit verify."""
    from pathlib import Path

    from engine.config import Config
    from engine.messages import render
    from engine.persistence.backup import restore

    if not yes:
        fail(render("backup.confirm", {"file": file}, language()))
    pages = restore(Config.from_env().database_url, Path(file))
    say("done.restore", pages=pages, file=file)
