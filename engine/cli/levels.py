"""`pdw levels`: the city and its counties and districts, each with its competent authority."""
from __future__ import annotations

import click

from engine.cli.common import emit, friendly, new_uow, say
from engine.permissions import LEVEL_KINDS


@click.group("levels")
def group() -> None:
    """Levels (本级): the city and its counties and districts."""


@group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="e.g. 宣汉县.")
@click.option("--kind", type=click.Choice(list(LEVEL_KINDS)), default="county", show_default=True)
@click.option("--parent", default=None, help="The level above (default: the city).")
@click.option("--as", "actor", required=True, help="An admin who adds it (audit log).")
@friendly
def add_command(code: str, name: str, kind: str, parent: str | None, actor: str) -> None:
    """Add level CODE; then add its authority with `pdw departments add ... --kind authority --level CODE`."""
    from engine.services.organisation import add_level

    level = add_level(new_uow(), code, name=name, kind=kind, parent=parent, actor=actor)
    say("done.level_added", level=level.code, name=level.name, kind=level.kind, parent=level.parent or "-")


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List the levels: code, kind, parent, competent authority, number of departments and name."""
    from engine.services.organisation import list_levels

    emit([v.to_dict() for v in list_levels(new_uow())], as_json, lambda rows: "\n".join(
        f"{v['code']}\t{v['kind']}\t{v['parent'] or '-'}\t{v['authority'] or '-'}\t{v['departments']}\t{v['name']}"
        for v in rows) or "(no levels)")
