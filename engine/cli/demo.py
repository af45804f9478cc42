"""`pdw demo load`: departments, users, catalog and procedures for trying PDW out."""
from __future__ import annotations

import click

from engine.cli.common import friendly, get_engine, warn_all


@click.group("demo")
def group() -> None:
    """Demo data."""


@group.command("load")
@friendly
def load_command() -> None:
    """Load the demo data (safe to run again)."""
    from engine.demo import load
    from engine.services.supervision import empty_groups_of_catalog

    for line in load(get_engine()):
        click.echo(line)
    warn_all(empty_groups_of_catalog(get_engine().uow()))
