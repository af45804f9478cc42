"""`pdw db upgrade`: bring the database schema up to date."""
from __future__ import annotations

import click

from engine.cli.common import friendly, get_engine


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
