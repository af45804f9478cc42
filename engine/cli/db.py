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
    """Apply every Alembic migration to PDW_DATABASE_URL."""
    from engine.persistence.migrate import upgrade

    engine = get_engine()
    revision = upgrade(engine.db)
    click.echo(f"database at revision {revision}")
